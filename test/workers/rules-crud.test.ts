/** Rules per org (DR.md §8): create/replace in JSON or YAML, enabled and version, validation at save, tests blocking a save, replay. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { orgWithSecret, processEvent, putRule } from "./rules-helpers.ts";

const detect = { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "mimikatz" };

describe("rules CRUD", () => {
  it("stores rules disabled by default, bumps the version on every write, reads, lists and deletes", async () => {
    const org = await orgWithSecret();
    const first = await call("PUT", `/v1/orgs/${org.oid}/rules/mimikatz`, {
      headers: org.headers,
      body: { detect, respond: [{ action: "report", name: "mimikatz" }] },
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      name: "mimikatz",
      namespace: "general",
      enabled: false,
      version: 1,
      rule: { detect, respond: [{ action: "report", name: "mimikatz" }] },
    });
    const enabled = await putRule(org, "mimikatz", { detect });
    expect(enabled).toMatchObject({ enabled: true, version: 2 });
    expect(enabled.rule).toEqual({ detect });
    // A replace without `enabled` keeps the flag.
    const again = await call("PUT", `/v1/orgs/${org.oid}/rules/mimikatz`, { headers: org.headers, body: { detect } });
    expect(again.body).toMatchObject({ enabled: true, version: 3 });
    expect((await call("GET", `/v1/orgs/${org.oid}/rules/mimikatz`, { headers: org.headers })).body).toMatchObject({
      name: "mimikatz",
      version: 3,
      enabled: true,
    });
    await putRule(org, "another", { detect, enabled: false });
    expect(
      (await call("GET", `/v1/orgs/${org.oid}/rules`, { headers: org.headers })).body.rules.map((r: any) => [r.name, r.enabled]),
    ).toEqual([
      ["another", false],
      ["mimikatz", true],
    ]);
    expect((await call("DELETE", `/v1/orgs/${org.oid}/rules/mimikatz`, { headers: org.headers })).body).toEqual({ deleted: true });
    expect((await call("GET", `/v1/orgs/${org.oid}/rules/mimikatz`, { headers: org.headers })).status).toBe(404);
    expect((await call("DELETE", `/v1/orgs/${org.oid}/rules/mimikatz`, { headers: org.headers })).status).toBe(404);
  });

  it("accepts YAML bodies", async () => {
    const org = await orgWithSecret();
    const yaml = `
detect:
  event: DNS_REQUEST
  op: ends with
  path: event/DOMAIN_NAME
  value: .example.org
  case sensitive: false
respond:
  - action: report
    name: example-org-lookup
enabled: true
`;
    const answer = await call("PUT", `/v1/orgs/${org.oid}/rules/dns`, {
      headers: { ...org.headers, "content-type": "application/yaml" },
      body: yaml,
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      enabled: true,
      rule: { detect: { "case sensitive": false, value: ".example.org" }, respond: [{ action: "report", name: "example-org-lookup" }] },
    });
  });

  it("is per org: another org's key is refused", async () => {
    const org = await orgWithSecret();
    const other = await orgWithSecret();
    await putRule(org, "r", { detect });
    expect((await call("GET", `/v1/orgs/${org.oid}/rules/r`, { headers: other.headers })).status).toBe(403);
    expect((await call("GET", `/v1/orgs/${other.oid}/rules`, { headers: other.headers })).body.rules).toEqual([]);
  });
});

describe("validation at save", () => {
  it.each([
    [
      "unknown operator",
      { detect: { op: "and", rules: [detect, { op: "iz", path: "event/X", value: 1 }] } },
      "invalid_rule",
      "detect.rules[1].op: unknown operator 'iz'",
    ],
    ["bad regex", { detect: { op: "matches", path: "event/X", re: "(a)\\1" } }, "invalid_rule", "detect.re: invalid RE2"],
    [
      "unparsable template",
      {
        detect,
        respond: [{ action: "start ai agent", prompt: "{{ .event.PARENT/FILE_PATH }}", anthropic_secret: "hive://secret/anthropic" }],
      },
      "invalid_rule",
      "respond[0].prompt: template: 1:",
    ],
    ["missing parameter", { detect: { op: "is", path: "event/X" } }, "invalid_rule", "detect: missing parameter 'value'"],
    [
      "unsupported resource",
      { detect: { op: "lookup", path: "event/H", resource: "lcr://api/vt" } },
      "unsupported_resource",
      "detect.resource: unsupported resource",
    ],
    [
      "failing unit test",
      { detect, tests: { match: [[processEvent("notepad.exe")]] } },
      "invalid_rule",
      "tests.match[0]: match test 1 failed",
    ],
    [
      "test event of another type",
      { detect, tests: { match: [[{ routing: { event_type: "DNS_REQUEST" }, event: {} }]] } },
      "invalid_rule",
      "test 1 failed validation: test event type 'DNS_REQUEST' does not match rule's expected event(s): [NEW_PROCESS]",
    ],
    ["not a rule", [1, 2], "invalid_rule", "rule: must be a map"],
  ])("%s → 400", async (_name, body, code, message) => {
    const org = await orgWithSecret();
    const answer = await call("PUT", `/v1/orgs/${org.oid}/rules/bad`, { headers: org.headers, body });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(code);
    expect(answer.body.message).toContain(message);
    expect((await call("GET", `/v1/orgs/${org.oid}/rules/bad`, { headers: org.headers })).status).toBe(404);
  });

  it("unparsable JSON and YAML are invalid_rule", async () => {
    const org = await orgWithSecret();
    const json = await call("PUT", `/v1/orgs/${org.oid}/rules/x`, { headers: org.headers, body: '{"detect":' });
    expect([json.status, json.body.error]).toEqual([400, "invalid_rule"]);
    const yaml = await call("PUT", `/v1/orgs/${org.oid}/rules/x`, {
      headers: { ...org.headers, "content-type": "application/yaml" },
      body: "detect: [unclosed",
    });
    expect([yaml.status, yaml.body.error]).toEqual([400, "invalid_rule"]);
    expect(yaml.body.message).toMatch(/^rule: YAML: /);
  });

  it("a passing unit test lets the rule save", async () => {
    const org = await orgWithSecret();
    await putRule(org, "tested", {
      detect,
      tests: { match: [[processEvent("mimikatz.exe")]], non_match: [[processEvent("notepad.exe")]] },
    });
  });
});

describe("replay (rules/test)", () => {
  it("renders the actions exactly as they would run and stores nothing", async () => {
    const org = await orgWithSecret();
    const rule = `
detect: {event: NEW_PROCESS, op: contains, path: event/COMMAND_LINE, value: mimikatz}
respond:
  - {action: report, name: "mimikatz on {{ .routing.hostname }}", priority: 4}
  - action: start ai session
    prompt: "Triage {{ .detect.cat }}"
    anthropic_secret: hive://secret/anthropic
    idempotent_key: "{{ .routing.event_id }}"
    data: {cmd: event.COMMAND_LINE}
`;
    const event = processEvent("mimikatz.exe", { event_id: "ev-1" });
    const answer = await call("POST", `/v1/orgs/${org.oid}/rules/test`, {
      headers: org.headers,
      body: { rule, events: [event, processEvent("notepad.exe"), { nope: 1 }] },
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([
      {
        matched: true,
        actions: [
          { action: "report", name: "mimikatz on ws-1", priority: 4, publish: true },
          {
            action: "start ai agent",
            name: null,
            prompt: 'Triage mimikatz on ws-1\n\n```json\n{\n  "cmd": "mimikatz.exe"\n}\n```',
            idempotent_key: "ev-1",
            debounce_key: null,
            profile: {},
            one_shot: true,
          },
        ],
      },
      { matched: false, actions: [] },
      { matched: false, actions: [], error: expect.stringContaining("invalid event") },
    ]);
    const stored = await env.DB.prepare("SELECT COUNT(*) AS n FROM org_detections WHERE org_id = ?").bind(org.oid).first<{ n: number }>();
    expect(stored?.n).toBe(0);
    expect((await call("GET", "/v1/org/sessions", { headers: org.headers })).body.sessions).toEqual([]);
    const bad = await call("POST", `/v1/orgs/${org.oid}/rules/test`, {
      headers: org.headers,
      body: { rule: { detect: { op: "nope" } }, events: [event] },
    });
    expect([bad.status, bad.body.error]).toEqual([400, "invalid_rule"]);
  });
});
