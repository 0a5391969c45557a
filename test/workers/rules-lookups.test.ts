/** Org lookups for the `lookup` operator (DR.md §8, Q13): stored per org, read by rules at save (tests), replay and ingestion, metadata in `.mtd`. */
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { orgWithSecret, postEvents, putRule } from "./rules-helpers.ts";

const hashEvent = (hash: string) => ({ routing: { event_type: "CODE_IDENTITY", hostname: "ws-1" }, event: { HASH: hash } });
const rule = {
  detect: { event: "CODE_IDENTITY", op: "lookup", path: "event/HASH", resource: "hive://lookup/bad-hashes", "case sensitive": false },
  respond: [{ action: "report", name: "bad hash: {{ .mtd.lookup_bad_hashes.family }}" }],
};

describe("lookups", () => {
  it("are stored per org and matched by rules, with their metadata in templates", async () => {
    const org = await orgWithSecret();
    const put = await call("PUT", `/v1/orgs/${org.oid}/lookups/bad-hashes`, {
      headers: org.headers,
      body: { data: { ABC123: { family: "emotet" } } },
    });
    expect(put.status).toBe(200);
    expect((await call("GET", `/v1/orgs/${org.oid}/lookups/bad-hashes`, { headers: org.headers })).body).toMatchObject({
      name: "bad-hashes",
      data: { ABC123: { family: "emotet" } },
    });
    // The rule's own tests run against the stored lookup at save time.
    await putRule(org, "hashes", { ...rule, tests: { match: [[hashEvent("abc123")]], non_match: [[hashEvent("fff")]] } });
    const [hit, miss] = await postEvents(org, { events: [hashEvent("abc123"), hashEvent("fff")] });
    expect(hit.matched_rules).toEqual(["hashes"]);
    expect(miss.matched_rules).toEqual([]);
    const listed = (await call("GET", `/v1/orgs/${org.oid}/detections`, { headers: org.headers })).body.detections;
    expect(listed.map((d: any) => d.cat)).toEqual(["bad hash: emotet"]);
    const replay = await call("POST", `/v1/orgs/${org.oid}/rules/test`, {
      headers: org.headers,
      body: { rule, events: [hashEvent("ABC123")] },
    });
    expect(replay.body.results[0].actions).toEqual([{ action: "report", name: "bad hash: emotet", publish: true }]);
  });

  it("a rule whose test needs a missing lookup is refused; another org's lookup is not visible", async () => {
    const org = await orgWithSecret();
    const other = await orgWithSecret();
    await call("PUT", `/v1/orgs/${other.oid}/lookups/bad-hashes`, { headers: other.headers, body: { data: { ABC123: {} } } });
    const answer = await call("PUT", `/v1/orgs/${org.oid}/rules/hashes`, {
      headers: org.headers,
      body: { ...rule, tests: { match: [[hashEvent("ABC123")]] } },
    });
    expect([answer.status, answer.body.error]).toEqual([400, "invalid_rule"]);
    expect((await call("GET", `/v1/orgs/${org.oid}/lookups/bad-hashes`, { headers: org.headers })).status).toBe(404);
    expect((await call("DELETE", `/v1/orgs/${other.oid}/lookups/bad-hashes`, { headers: other.headers })).body).toEqual({ deleted: true });
    const bad = await call("PUT", `/v1/orgs/${org.oid}/lookups/x`, { headers: org.headers, body: { data: [1] } });
    expect(bad.status).toBe(400);
  });
});
