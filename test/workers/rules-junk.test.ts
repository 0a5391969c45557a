/**
 * Junk at the rules routes with a valid org key (the generic junk test stops at auth): every
 * body, in every content type these routes read, gets a 4xx in the error shape, never a 500.
 */
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { orgWithSecret } from "./rules-helpers.ts";

const BODIES = [
  "",
  "not json",
  "{",
  "[]",
  "null",
  "42",
  '"s"',
  "\u0000\u0001",
  "{}",
  '{"detect": null}',
  '{"detect": []}',
  '{"detect": {"op": 7}}',
  '{"detect": {"op": "or", "rules": [{"op": "and", "rules": "x"}]}}',
  '{"detect": {"op": "is", "path": 3, "value": {}}}',
  '{"detect": {"op": "matches", "path": "a", "re": "[[:nope:]]"}}',
  '{"detect": {"op": "is", "path": "a", "value": 1, "times": [{}]}}',
  '{"detect": {"op": "exists", "path": "a"}, "respond": [{"action": "start ai agent", "prompt": {"x": 1}}]}',
  '{"detect": {"op": "exists", "path": "a"}, "respond": [{"action": "report", "name": "{{"}]}',
  '{"detect": {"op": "exists", "path": "a"}, "tests": {"match": [[1, null, "x"]]}}',
  "detect: &a [*a]",
  "a: !!binary x",
  "- - - -",
  "detect:\n  op: is\n  path: [",
  "{rule: 1, events: [1]}",
  '{"rule": "detect: {op: nope}", "events": [{}]}',
  '{"rule": {}, "events": []}',
  '{"events": [{"routing": {}}], "rule": {"detect": {"op": "exists", "path": "x"}}}',
  '{"events": 1}',
  '{"events": [null, [], "x", {"routing": null}]}',
  '\n\n{"routing":{}}\n[1]\n{',
];
const TYPES = ["application/json", "application/yaml", "application/x-ndjson", "text/plain"];

describe("junk at the rules routes", () => {
  it("answers every junk body with a 4xx or a per-event error, never a 500", async () => {
    const org = await orgWithSecret();
    const routes = [
      ["PUT", `/v1/orgs/${org.oid}/rules/junk`],
      ["POST", `/v1/orgs/${org.oid}/rules/test`],
      ["POST", `/v1/orgs/${org.oid}/events`],
    ] as const;
    for (const [method, path] of routes) {
      for (const type of TYPES) {
        for (const body of BODIES) {
          const answer = await call(method, path, { headers: { ...org.headers, "content-type": type }, body });
          const label = `${method} ${path.split("/").slice(-1)[0]} ${type} ${JSON.stringify(body).slice(0, 40)}`;
          expect(answer.status, label).toBeLessThan(500);
          if (answer.status >= 400) expect(answer.body, label).toEqual({ error: expect.any(String), message: expect.any(String) });
          else expect(answer.body, label).toEqual(expect.any(Object));
        }
      }
    }
    for (const q of ["?limit=abc", "?since=yesterday", "?cursor=" + "x".repeat(600), "?cat=" + "c".repeat(600), "?other=1"]) {
      const answer = await call("GET", `/v1/orgs/${org.oid}/detections${q}`, { headers: org.headers });
      expect(answer.status, q).toBe(400);
    }
  });
});
