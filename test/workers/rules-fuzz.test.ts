/**
 * Fuzzing the rules routes (issue 10): valid rules, templates, events and NDJSON bodies mutated
 * at random (a seeded generator, so a failure replays) and sent with a valid org key. Every
 * answer is a 2xx or a 4xx in the error shape, never a 500; a rule refused at save is
 * `invalid_rule` / `unsupported_resource` with a message; a malformed event or NDJSON line is
 * answered per event without losing the rest of the batch.
 */
import { describe, expect, it } from "vitest";
import { random as generator } from "../fakes/seeded-random.ts";
import { call } from "./helpers.ts";
import { orgWithSecret, putRule, type TestOrg } from "./rules-helpers.ts";

const SEED_RULES: Record<string, unknown>[] = [
  {
    detect: {
      event: "NEW_PROCESS",
      op: "and",
      rules: [
        { op: "contains", path: "event/COMMAND_LINE", value: "-enc", "case sensitive": false, count: 1 },
        { op: "matches", path: "event/FILE_PATH", re: "\\\\temp\\\\[^\\\\]+\\.ps1$" },
        { op: "is", not: true, path: "event/FILE_PATH", value: "[[allowed]]" },
      ],
    },
    respond: [
      { action: "report", name: "ps {{ .routing.hostname }}", priority: 3, metadata: { cmd: "{{ .event.COMMAND_LINE }}" } },
      { action: "add var", name: "seen", value: "{{ .event.FILE_PATH }}", ttl: 60 },
    ],
  },
  {
    detect: {
      event: "NETWORK_CONNECTIONS",
      op: "scope",
      path: "event/NETWORK_ACTIVITY/",
      rule: {
        op: "and",
        rules: [
          { op: "is public address", path: "IP_ADDRESS" },
          { op: "is", path: "PORT", value: 3389 },
        ],
      },
    },
    respond: [{ action: "report", name: "{{ if .event.X }}x{{ else }}rdp{{ end }}" }],
  },
  {
    detect: {
      events: ["DNS_REQUEST"],
      op: "or",
      rules: [
        { op: "string distance", path: "event/DOMAIN_NAME", value: ["example.org"], max: 1 },
        { op: "ends with", path: "event/DOMAIN_NAME", value: ".bad", "sub domain": "-1" },
        { op: "cidr", path: "event/IP", cidr: "10.0.0.0/8" },
      ],
    },
    respond: [{ action: "report", name: '{{ range $i, $v := .event.LIST }}{{ $i }}={{ $v | printf "%q" }}{{ end }}' }],
    tests: { match: [[{ routing: { event_type: "DNS_REQUEST" }, event: { DOMAIN_NAME: "exampIe.org" } }]] },
  },
  {
    target: "detection",
    detect: { target: "detection", event: "ps", op: "exists", path: "routing/hostname", truthy: true },
    respond: [{ action: "report", name: "{{ .cat }} again", detect_data: { h: '{{ index .routing "hostname" }}' } }],
  },
];

const JUNK: unknown[] = [
  null,
  true,
  0,
  -1,
  1e308,
  Number.MAX_SAFE_INTEGER,
  "",
  "x",
  "{{",
  "}}",
  "{{ .event.A/B }}",
  "{{ nope }}",
  "{{ len 1 2 3 }}",
  "{{ range }}",
  '{{ template "x" }}',
  '{{ printf "%*d" 1000000000 1 }}',
  "(?<=x)",
  "(a)\\1",
  "[",
  "\u0000",
  "\ud800",
  "x".repeat(5000),
  "hive://lookup/missing",
  "lcr://api/vt",
  "hive://ai_agent/x",
  "hive://secret/none",
  [],
  [null],
  [[[]]],
  {},
  { op: "and", rules: [] },
  { op: "with child", rules: [] },
  { "<<": 1 },
  { __proto__: { polluted: true } },
];

const KEYS = ["op", "path", "value", "rules", "rule", "re", "event", "events", "name", "action", "prompt", "times", "count", "not", "max"];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

/** A deep copy of `value` with a few random edits (replace, delete, add, retype). */
function mutate(value: unknown, rand: () => number, edits: number): unknown {
  const copy = structuredClone(value);
  for (let n = 0; n < edits; n++) {
    // Walk down to a random container.
    let node: any = copy;
    for (let depth = 0; depth < 6 && node && typeof node === "object"; depth++) {
      const keys = Object.keys(node);
      if (keys.length === 0 || rand() < 0.3) break;
      const next = node[pick(rand, keys)];
      if (!next || typeof next !== "object") break;
      node = next;
    }
    if (!node || typeof node !== "object") continue;
    const keys = Object.keys(node);
    const key = Array.isArray(node)
      ? Math.floor(rand() * (node.length + 1))
      : rand() < 0.7 && keys.length
        ? pick(rand, keys)
        : pick(rand, KEYS);
    const roll = rand();
    if (roll < 0.5) node[key] = structuredClone(pick(rand, JUNK));
    else if (roll < 0.7) delete node[key];
    else if (roll < 0.85 && typeof node[key] === "string") {
      const s: string = node[key];
      const at = Math.floor(rand() * (s.length + 1));
      node[key] = s.slice(0, at) + pick(rand, ["{{", "}}", "|", "(", ")", "[", "\\", "$", '"', "/", "?", "*"]) + s.slice(at);
    } else node[key] = structuredClone(pick(rand, [...JUNK, value]));
  }
  return copy;
}

/** A YAML-ish text damaged by a random character edit. */
function damage(text: string, rand: () => number): string {
  const at = Math.floor(rand() * (text.length + 1));
  return (
    text.slice(0, at) + pick(rand, ["{", "}", "[", "]", ":", "-", "&a", "*a", "!!", "\n  ", "'", '"', "#", "\t", "|"]) + text.slice(at + 1)
  );
}

function expectClear(answer: { status: number; body: any }, label: string): void {
  expect(answer.status, label).toBeLessThan(500);
  if (answer.status >= 400) {
    expect(answer.body, label).toEqual({ error: expect.any(String), message: expect.any(String) });
    expect(answer.body.message.length, label).toBeGreaterThan(0);
  }
}

async function fuzzRules(org: TestOrg, seed: number, rounds: number): Promise<Record<string, number>> {
  const rand = generator(seed);
  const codes: Record<string, number> = {};
  for (let i = 0; i < rounds; i++) {
    const rule = mutate(pick(rand, SEED_RULES), rand, 1 + Math.floor(rand() * 3));
    const asYaml = rand() < 0.3;
    const body = asYaml ? damage(JSON.stringify(rule, null, 1), rand) : rule;
    const headers = asYaml ? { ...org.headers, "content-type": "application/yaml" } : org.headers;
    const label = `seed ${seed} round ${i}: ${JSON.stringify(body).slice(0, 300)}`;
    const answer = await call("PUT", `/v1/orgs/${org.oid}/rules/fuzz-${i % 7}`, { headers, body });
    expectClear(answer, label);
    if (answer.status >= 400) expect(["invalid_rule", "unsupported_resource", "invalid_request"], label).toContain(answer.body.error);
    const code = answer.status >= 400 ? answer.body.error : "stored";
    codes[code] = (codes[code] ?? 0) + 1;
    // The same rule replayed: a 4xx, or one result per event.
    const replay = await call("POST", `/v1/orgs/${org.oid}/rules/test`, {
      headers: org.headers,
      body: {
        rule: asYaml ? body : rule,
        events: [{ routing: { event_type: "NEW_PROCESS", hostname: "h" }, event: { COMMAND_LINE: "-enc x" } }],
      },
    });
    expectClear(replay, `replay ${label}`);
    if (replay.status === 200) expect(replay.body.results, label).toHaveLength(1);
  }
  return codes;
}

describe("fuzzed rules, templates, events and NDJSON", () => {
  it("a mutated rule or template is stored or refused with a clear 4xx, never a 500", async () => {
    const org = await orgWithSecret();
    const codes = await fuzzRules(org, 0x5eed, 150);
    // The mutations reach both outcomes (a fuzzer that only ever hits one path tests little).
    expect(codes.stored).toBeGreaterThan(0);
    expect(codes.invalid_rule).toBeGreaterThan(0);
  });

  it("mutated events and NDJSON lines are answered per event; the good ones in the batch still run", async () => {
    const org = await orgWithSecret();
    await putRule(org, "ps", {
      detect: { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "-enc" },
      respond: [
        { action: "report", name: "ps", metadata: { first: "{{ index .event.LIST 0 }}", cmd: "{{ .event.COMMAND_LINE }}" } },
        { action: "add var", name: "seen", value: "{{ .event.COMMAND_LINE }}" },
      ],
    });
    const rand = generator(0xbeef);
    const good = { routing: { event_type: "NEW_PROCESS", sid: "s-1", hostname: "h" }, event: { COMMAND_LINE: "-enc good", LIST: ["a"] } };
    for (let i = 0; i < 60; i++) {
      const junk = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => mutate(good, rand, 1 + Math.floor(rand() * 3)));
      const batch = [...junk, good];
      const label = `round ${i}: ${JSON.stringify(batch).slice(0, 300)}`;
      const answer = await call("POST", `/v1/orgs/${org.oid}/events`, { headers: org.headers, body: { events: batch } });
      expectClear(answer, label);
      expect(answer.status, label).toBe(200);
      expect(answer.body.results, label).toHaveLength(batch.length);
      // The well-formed event at the end matched and reported whatever came before it.
      expect(answer.body.results.at(-1), label).toMatchObject({
        matched_rules: ["ps"],
        detections: [expect.any(String)],
        failed_actions: [],
      });

      // Lines damaged at random, except the well-formed last one.
      const lines = batch.map((e, n) => (n < batch.length - 1 && rand() < 0.3 ? damage(JSON.stringify(e), rand) : JSON.stringify(e)));
      const ndjson = `${lines.join("\n")}\n`;
      const streamed = await call("POST", `/v1/orgs/${org.oid}/events`, {
        headers: { ...org.headers, "content-type": "application/x-ndjson" },
        body: ndjson,
      });
      expectClear(streamed, `ndjson ${label}`);
      expect(streamed.status, label).toBe(200);
      expect(streamed.body.results.at(-1), label).toMatchObject({ matched_rules: ["ps"] });
    }
  });
});
