/**
 * Rules at save time (DR.md §1, §5, §6, §7): JSON and YAML bodies, every kind of rejection with
 * the path of the offending node, and the rule's own unit tests blocking a save with the
 * product's messages. The YAML cases follow the documentation's own examples.
 */
import { describe, expect, it } from "vitest";
import { compileRule, parseRuleText, type RuleRejection } from "../../../rules/rule/index.ts";

function rejection(body: unknown, runTests = true): RuleRejection {
  const r = compileRule(body, { runTests });
  expect(r.ok, "expected the rule to be rejected").toBe(false);
  return r as RuleRejection;
}

function yaml(text: string): unknown {
  const p = parseRuleText(text, "application/yaml");
  if (!p.ok) throw new Error(p.message);
  return p.value;
}

const detect = { event: "DNS_REQUEST", op: "ends with", path: "event/DOMAIN_NAME", value: ".example.org", "case sensitive": false };

describe("bodies", () => {
  it("YAML and JSON are the same data model (DR.md §1)", () => {
    const fromYaml = yaml(`
detect: {event: DNS_REQUEST, op: ends with, path: event/DOMAIN_NAME, value: .example.org, case sensitive: false}
respond: [{action: report, name: example-org-lookup}]
`);
    const fromJson = parseRuleText(
      JSON.stringify({ detect, respond: [{ action: "report", name: "example-org-lookup" }] }),
      "application/json",
    );
    expect(fromJson).toEqual({ ok: true, value: fromYaml });
    expect(compileRule(fromYaml).ok).toBe(true);
  });
  it("YAML hex is a number, as in the routing docs", () => {
    expect(yaml("detect: {op: is, path: routing/plat, value: 0x10000000}")).toEqual({
      detect: { op: "is", path: "routing/plat", value: 0x10000000 },
    });
  });
  it("broken text says where", () => {
    const y = parseRuleText("detect: {op: is\n  path: [", "application/yaml");
    expect(y.ok).toBe(false);
    expect(y.ok ? "" : y.message).toMatch(/^YAML: .*line \d+/);
    const j = parseRuleText('{"detect": ', "application/json");
    expect(j.ok ? "" : j.message).toMatch(/^JSON: /);
  });
  it("duplicate YAML keys are an error, not a silent overwrite", () => {
    expect(parseRuleText("detect: {op: is}\ndetect: {op: or}\n", "application/yaml").ok).toBe(false);
  });
  it("an unknown YAML tag is an error, not a string read silently", () => {
    const y = parseRuleText("detect: {op: is, path: a, value: !!nope x}\n", "application/yaml");
    expect(y.ok ? "" : y.message).toMatch(/^YAML: Unresolved tag: tag:yaml.org,2002:nope/);
  });
  it("an alias bomb is refused", () => {
    const bomb = [
      "a: &a [x, x, x, x, x, x, x, x, x, x]",
      ..."bcdefgh".split("").map((k, i) => `${k}: &${k} [${Array(10).fill(`*${"abcdefgh"[i]}`).join(", ")}]`),
    ];
    expect(parseRuleText(bomb.join("\n"), "application/yaml").ok).toBe(false);
  });
  it("respond is optional (Q29)", () => {
    expect(compileRule({ detect }).ok).toBe(true);
  });
});

describe("rejections name the offending node", () => {
  const agent = { action: "start ai agent", prompt: "Triage {{ .detect.cat }}", anthropic_secret: "hive://secret/anthropic" };
  it.each([
    ["not a map", "x", "rule", "invalid_rule", /must be a map/],
    ["no detect", { respond: [] }, "detect", "invalid_rule", /missing 'detect'/],
    ["unknown top-level key", { detect, respnd: [] }, "respnd", "invalid_rule", /unknown key/],
    [
      "unknown operator, deep",
      { detect: { op: "and", rules: [detect, { op: "or", rules: [detect, { op: "iss", path: "x", value: 1 }] }] } },
      "detect.rules[1].rules[1].op",
      "invalid_rule",
      /unknown operator 'iss'/,
    ],
    ["bad regex", { detect: { op: "matches", path: "event/X", re: "a(?<!b)" } }, "detect.re", "invalid_rule", /RE2/],
    ["missing parameter", { detect: { op: "starts with", path: "event/X" } }, "detect", "invalid_rule", /missing parameter 'value'/],
    [
      "unsupported resource",
      { detect: { op: "lookup", path: "event/X", resource: "lcr://api/vt" } },
      "detect.resource",
      "unsupported_resource",
      /unsupported resource/,
    ],
    ["respond not a list", { detect, respond: { action: "report" } }, "respond", "invalid_rule", /list of actions/],
    ["action without name", { detect, respond: [{ name: "x" }] }, "respond[0]", "invalid_rule", /missing parameter 'action'/],
    [
      "unknown action",
      { detect, respond: [{ action: "reprot", name: "x" }] },
      "respond[0].action",
      "invalid_rule",
      /unknown action 'reprot'/,
    ],
    ["unserved action", { detect, respond: [{ action: "isolate network" }] }, "respond[0].action", "invalid_rule", /not supported/],
    ["report without name", { detect, respond: [{ action: "report" }] }, "respond[0]", "invalid_rule", /missing parameter 'name'/],
    [
      "unparsable report name",
      { detect, respond: [{ action: "report", name: "x {{ .event.PARENT/FILE_PATH }}" }] },
      "respond[0].name",
      "invalid_rule",
      /template: 1:\d+/,
    ],
    [
      "unparsable metadata template",
      { detect, respond: [{ action: "report", name: "x", metadata: { a: { b: "{{ if }}" } } }] },
      "respond[0].metadata.a.b",
      "invalid_rule",
      /template/,
    ],
    [
      "non-integer priority",
      { detect, respond: [{ action: "report", name: "x", priority: "high" }] },
      "respond[0].priority",
      "invalid_rule",
      /integer/,
    ],
    [
      "suppression",
      { detect, respond: [{ action: "report", name: "x", suppression: { max_count: 1, period: "1h" } }] },
      "respond[0].suppression",
      "invalid_rule",
      /not supported yet/,
    ],
    [
      "agent without prompt",
      { detect, respond: [{ ...agent, prompt: undefined }] },
      "respond[0]",
      "invalid_rule",
      /missing parameter 'prompt'/,
    ],
    [
      "agent without secret",
      { detect, respond: [{ ...agent, anthropic_secret: undefined }] },
      "respond[0]",
      "invalid_rule",
      /missing parameter 'anthropic_secret'/,
    ],
    [
      "agent bad secret",
      { detect, respond: [{ ...agent, anthropic_secret: "secret://x" }] },
      "respond[0].anthropic_secret",
      "invalid_rule",
      /hive:\/\/secret/,
    ],
    [
      "agent unparsable prompt",
      {
        detect,
        respond: [
          { action: "report", name: "x" },
          { ...agent, prompt: "{{ .detect.cat " },
        ],
      },
      "respond[1].prompt",
      "invalid_rule",
      /template/,
    ],
    [
      "agent unparsable data",
      { detect, respond: [{ ...agent, data: { host: "{{ .routing.hostname }" } }] },
      "respond[0].data.host",
      "invalid_rule",
      /template/,
    ],
    [
      "agent unparsable idempotent_key",
      { detect, respond: [{ ...agent, idempotent_key: "{{ end }}" }] },
      "respond[0].idempotent_key",
      "invalid_rule",
      /template/,
    ],
    [
      "agent bad profile",
      { detect, respond: [{ ...agent, profile: { permission_mode: "yolo" } }] },
      "respond[0].profile.permission_mode",
      "invalid_rule",
      /./,
    ],
    [
      "agent unknown profile key",
      { detect, respond: [{ ...agent, profile: { max_turns: 3, turbo: true } }] },
      "respond[0].profile",
      "invalid_rule",
      /turbo/,
    ],
    ["agent unknown parameter", { detect, respond: [{ ...agent, promt: "x" }] }, "respond[0].promt", "invalid_rule", /unknown parameter/],
    [
      "add var without name",
      { detect, respond: [{ action: "add var", value: "x" }] },
      "respond[0]",
      "invalid_rule",
      /missing parameter 'name'/,
    ],
    [
      "add var without value",
      { detect, respond: [{ action: "add var", name: "v" }] },
      "respond[0]",
      "invalid_rule",
      /missing parameter 'value'/,
    ],
    [
      "add var bad ttl",
      { detect, respond: [{ action: "add var", name: "v", value: "x", ttl: -1 }] },
      "respond[0].ttl",
      "invalid_rule",
      /seconds/,
    ],
    ["del var with ttl", { detect, respond: [{ action: "del var", name: "v", ttl: 5 }] }, "respond[0].ttl", "invalid_rule", /no ttl/],
    [
      "add var unparsable value",
      { detect, respond: [{ action: "add var", name: "v", value: "{{ .x" }] },
      "respond[0].value",
      "invalid_rule",
      /template/,
    ],
    [
      "agent definition mode",
      { detect, respond: [{ action: "start ai agent", definition: "hive://ai_agent/triage" }] },
      "respond[0].definition",
      "unsupported_resource",
      /definition mode/,
    ],
  ])("%s", (_name, body, path, code, message) => {
    const r = rejection(body);
    expect([r.path, r.code]).toEqual([path, code]);
    expect(r.message).toMatch(message);
  });
  it("the alias start ai session compiles like start ai agent (Q18)", () => {
    expect(compileRule({ detect, respond: [{ ...agent, action: "start ai session" }] }).ok).toBe(true);
  });
});

describe("unit tests run at save (§6)", () => {
  // The documentation's CobaltStrike named-pipe example, shortened to a few of its patterns.
  const cobalt = `
detect:
  event: WEL
  op: and
  rules:
    - op: and
      rules:
        - op: or
          rules:
            - {case sensitive: false, op: is, path: event/EVENT/System/_event_id, value: '17'}
            - {case sensitive: false, op: is, path: event/EVENT/System/_event_id, value: '18'}
        - {case sensitive: false, op: is, path: event/EVENT/System/Channel, value: Microsoft-Windows-Sysmon/Operational}
    - op: or
      rules:
        - {case sensitive: false, op: starts with, path: event/EVENT/EventData/PipeName, value: \\mojo.5688.8052.183894939787088877}
        - {case sensitive: false, op: is, path: event/EVENT/EventData/PipeName, value: \\demoagent_11}
        - {op: matches, path: event/EVENT/EventData/PipeName, re: '\\\\f4c3[0-9a-f]{2}$'}
        - op: and
          rules:
            - {case sensitive: false, op: starts with, path: event/EVENT/EventData/PipeName, value: \\Winsock2\\CatalogChangeListener-}
            - {case sensitive: false, op: ends with, path: event/EVENT/EventData/PipeName, value: '-0,'}
respond:
  - action: report
    name: CobaltStrike Named Pipe Patterns
tests:
  match:
    - - event: {EVENT: {EventData: {PipeName: \\mojo.5688.8052.183894939787088877}, System: {Channel: Microsoft-Windows-Sysmon/Operational, _event_id: "17"}}}
        routing: {event_type: WEL, hostname: testhost}
    - - event: {EVENT: {EventData: {PipeName: \\f4c3ab}, System: {Channel: Microsoft-Windows-Sysmon/Operational, _event_id: "17"}}}
        routing: {event_type: WEL}
    - - event: {EVENT: {EventData: {PipeName: "\\\\Winsock2\\\\CatalogChangeListener-123-0,"}, System: {Channel: Microsoft-Windows-Sysmon/Operational, _event_id: "18"}}}
        routing: {event_type: WEL}
  non_match:
    - - event: {EVENT: {EventData: {PipeName: \\SearchFilterHost}, System: {Channel: Microsoft-Windows-Sysmon/Operational, _event_id: "18"}}}
        routing: {event_type: WEL}
    - - event: {EVENT: {EventData: {PipeName: \\mojo.5688.8052.183894939787088877}, System: {Channel: Security, _event_id: "18"}}}
        routing: {event_type: WEL}
    - - event: {PROCESS_ID: 1234}
        routing: {event_type: NEW_PROCESS}
`;
  it("the documentation's example passes its own tests", () => {
    const r = compileRule(yaml(cobalt), { runTests: true });
    expect(r.ok ? "" : r.message).toBe("");
  });
  it("a match test that does not match blocks the save", () => {
    const body = yaml(cobalt) as { tests: { match: unknown[][] } };
    body.tests.match.push([
      {
        event: {
          EVENT: { EventData: { PipeName: "\\lsass" }, System: { Channel: "Microsoft-Windows-Sysmon/Operational", _event_id: "17" } },
        },
        routing: { event_type: "WEL" },
      },
    ]);
    const r = rejection(body);
    expect([r.path, r.message]).toEqual(["tests.match[3]", "tests.match[3]: match test 4 failed: no event matched the rule"]);
  });
  it("a non_match test that matches blocks the save", () => {
    const body = yaml(cobalt) as { tests: { non_match: unknown[][] } };
    body.tests.non_match.push([
      { event: {}, routing: { event_type: "WEL" } },
      {
        event: {
          EVENT: { EventData: { PipeName: "\\demoagent_11" }, System: { Channel: "microsoft-windows-sysmon/operational", _event_id: 18 } },
        },
        routing: { event_type: "WEL" },
      },
    ]);
    const r = rejection(body);
    expect([r.path, r.message]).toEqual([
      "tests.non_match[3][1]",
      "tests.non_match[3][1]: non_match test 4 failed: event 2 matched the rule",
    ]);
  });
  it("a match event of another type is the product's validation error", () => {
    const r = rejection({
      detect,
      tests: { match: [[{ event: { DOMAIN_NAME: "a.example.org" }, routing: { event_type: "NEW_PROCESS" } }]] },
    });
    expect(r.message).toBe(
      "tests.match[0]: test 1 failed validation: test event type 'NEW_PROCESS' does not match rule's expected event(s): [DNS_REQUEST]",
    );
  });
  it("tests are not run when not asked (replays)", () => {
    expect(
      compileRule({ detect, tests: { match: [[{ event: {}, routing: { event_type: "DNS_REQUEST" } }]] } }, { runTests: false }).ok,
    ).toBe(true);
  });
  it("malformed tests", () => {
    expect(rejection({ detect, tests: { match: [{ event: {} }] } }).path).toBe("tests.match");
    expect(rejection({ detect, tests: { matches: [] } }).path).toBe("tests.matches");
  });
});
