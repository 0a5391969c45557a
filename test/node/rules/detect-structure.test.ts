/**
 * Paths (Q4/Q5, `?`, `*`, indices, fan-out, trailing slash), `scope` (Q6), selectors
 * (`event`/`events`, Q9, Q33, target detection), transforms (`file name`, `sub domain`),
 * value modifiers (`<<lookback>>`, `[[variable]]`, Q17), `lookup` (Q13), `times` (Q11), and
 * rules rejected at compile time with the path of the offending node.
 */
import { describe, expect, it } from "vitest";
import { compileDetection } from "../../../rules/detect/index.ts";
import { compileError, ev, matches, NOW } from "./detect-helpers.ts";

const net = ev(
  {
    NETWORK_ACTIVITY: [
      { SOURCE: { IP_ADDRESS: "10.0.0.5", PORT: 5000 }, DESTINATION: { IP_ADDRESS: "10.0.0.9", PORT: 443 } },
      { SOURCE: { IP_ADDRESS: "203.0.113.7", PORT: 6000 }, DESTINATION: { IP_ADDRESS: "10.0.0.9", PORT: 3389 } },
    ],
    PROCESS: { FILE_PATH: "C:\\x\\a.exe", YARA: { RULE: "bad" } },
  },
  { event_type: "NETWORK_CONNECTIONS" },
);

describe("paths", () => {
  it.each([
    ["? over a list", { op: "is", path: "event/NETWORK_ACTIVITY/?/DESTINATION/PORT", value: 3389 }, true],
    ["? over a map", { op: "is", path: "event/PROCESS/?/RULE", value: "bad" }, true],
    ["plain key fans out over a list (Q4)", { op: "is", path: "event/NETWORK_ACTIVITY/SOURCE/IP_ADDRESS", value: "203.0.113.7" }, true],
    ["numeric index (Q5)", { op: "is", path: "event/NETWORK_ACTIVITY/1/DESTINATION/PORT", value: 3389 }, true],
    ["numeric index, other element", { op: "is", path: "event/NETWORK_ACTIVITY/0/DESTINATION/PORT", value: 3389 }, false],
    ["index out of range", { op: "exists", path: "event/NETWORK_ACTIVITY/5" }, false],
    ["* zero or more levels", { op: "is", path: "event/*/RULE", value: "bad" }, true],
    ["* at zero levels", { op: "is", path: "event/*/PROCESS/FILE_PATH", value: "C:\\x\\a.exe" }, true],
    ["exists event/PROCESS/* (docs: anything under PROCESS)", { op: "exists", path: "event/PROCESS/*" }, true],
    ["exists event/NOPE/*", { op: "exists", path: "event/NOPE/*" }, false],
    ["trailing slash", { op: "exists", path: "event/PROCESS/" }, true],
    ["not + ? means no element matches", { op: "is", path: "event/NETWORK_ACTIVITY/?/DESTINATION/PORT", value: 22, not: true }, true],
    ["not + ? with one matching element", { op: "is", path: "event/NETWORK_ACTIVITY/?/DESTINATION/PORT", value: 443, not: true }, false],
    ["a list at the end: any element", { op: "is", path: "event/L", value: "b" }, false],
  ])("%s", (_name, detect, want) => {
    expect(matches(detect, net)).toBe(want);
  });

  it("a list at the end of a path is tested element by element", () => {
    expect(matches({ op: "is", path: "event/TAGS", value: "b" }, ev({ TAGS: ["a", "b"] }))).toBe(true);
    expect(matches({ op: "exists", path: "event/TAGS" }, ev({ TAGS: [] }))).toBe(true);
  });
});

describe("scope (Q6)", () => {
  // The docs example: one connection that is both to port 22... and from a public address.
  const rule = (port: number) => ({
    op: "scope",
    path: "event/NETWORK_ACTIVITY/",
    rule: {
      op: "and",
      rules: [
        { op: "is", path: "event/DESTINATION/PORT", value: port },
        { op: "is public address", path: "event/SOURCE/IP_ADDRESS" },
      ],
    },
  });
  it("requires both conditions of the same element", () => {
    expect(matches(rule(3389), net)).toBe(true);
    // Port 443 is on the connection from a private address: no single element has both.
    expect(matches(rule(443), net)).toBe(false);
    // Without scope the two conditions are met by different elements.
    expect(
      matches(
        { op: "and", rules: rule(443).rule.rules.map((r) => ({ ...r, path: r.path.replace("event/", "event/NETWORK_ACTIVITY/") })) },
        net,
      ),
    ).toBe(true);
  });
  it("bare relative paths and routing/ inside scope", () => {
    expect(matches({ op: "scope", path: "event/NETWORK_ACTIVITY", rule: { op: "is", path: "DESTINATION/PORT", value: 443 } }, net)).toBe(
      true,
    );
    expect(
      matches(
        { op: "scope", path: "event/NETWORK_ACTIVITY", rule: { op: "is", path: "routing/event_type", value: "NETWORK_CONNECTIONS" } },
        net,
      ),
    ).toBe(true);
  });
});

describe("selectors", () => {
  const dns = ev({ DOMAIN_NAME: "a.example.org" }, { event_type: "DNS_REQUEST" });
  it.each([
    ["event: exact", { event: "DNS_REQUEST", op: "ends with", path: "event/DOMAIN_NAME", value: ".example.org" }, true],
    ["event: another type", { event: "NEW_PROCESS", op: "exists", path: "event/DOMAIN_NAME" }, false],
    [
      "event: case-sensitive even with case sensitive false",
      { event: "dns_request", op: "exists", path: "event/DOMAIN_NAME", "case sensitive": false },
      false,
    ],
    ["events: list", { events: ["NEW_PROCESS", "DNS_REQUEST"], op: "exists", path: "event/DOMAIN_NAME" }, true],
    ["not does not escape the selector", { event: "NEW_PROCESS", op: "exists", path: "event/X", not: true }, false],
    [
      "nested event of another type is false (Q33)",
      { op: "or", rules: [{ event: "NEW_PROCESS", op: "exists", path: "event/DOMAIN_NAME" }] },
      false,
    ],
    ["no selector sees every event", { op: "exists", path: "event/DOMAIN_NAME" }, true],
  ])("%s", (_name, detect, want) => {
    expect(matches(detect, dns)).toBe(want);
  });

  it("target detection selects by report name; '*' selects all (Q9)", () => {
    const detection = {
      cat: "example-org-lookup",
      routing: { hostname: "kiosk-7", event_type: "DNS_REQUEST" },
      detect: { event: {}, routing: {} },
    };
    const docs = { target: "detection", event: "example-org-lookup", op: "is", path: "routing/hostname", value: "kiosk-7" };
    expect(matches(docs, detection)).toBe(true);
    expect(matches({ ...docs, event: "other" }, detection)).toBe(false);
    expect(matches({ ...docs, event: "*" }, detection)).toBe(true);
    expect(matches({ target: "detection", op: "is", path: "cat", value: "example-org-lookup" }, detection)).toBe(true);
    const c = compileDetection(docs);
    expect([c.target, c.types]).toEqual(["detection", ["example-org-lookup"]]);
  });
});

describe("transforms", () => {
  it.each([
    ["file name", { op: "is", path: "event/FILE_PATH", value: "cmd.exe", "file name": true }, { FILE_PATH: "C:\\Windows\\cmd.exe" }, true],
    ["file name, slash", { op: "is", path: "event/FILE_PATH", value: "bash", "file name": true }, { FILE_PATH: "/usr/bin/bash" }, true],
    ["file name, no separator", { op: "is", path: "event/FILE_PATH", value: "bash", "file name": true }, { FILE_PATH: "bash" }, true],
    [
      "file name + case",
      { op: "starts with", path: "event/FILE_PATH", value: "CMD", "file name": true, "case sensitive": false },
      { FILE_PATH: "C:\\Windows\\cmd.exe" },
      true,
    ],
    ["sub domain 0:2", { op: "is", path: "event/D", value: "www.example", "sub domain": "0:2" }, { D: "www.example.org" }, true],
    ["sub domain -1", { op: "is", path: "event/D", value: "org", "sub domain": "-1" }, { D: "www.example.org" }, true],
    ["sub domain 1:", { op: "is", path: "event/D", value: "example.org", "sub domain": "1:" }, { D: "www.example.org" }, true],
    ["sub domain -2:", { op: "is", path: "event/D", value: "example.org", "sub domain": "-2:" }, { D: "a.b.example.org" }, true],
    ["sub domain : tests each label", { op: "is", path: "event/D", value: "example", "sub domain": ":" }, { D: "www.example.org" }, true],
    ["sub domain : no label", { op: "is", path: "event/D", value: "exam", "sub domain": ":" }, { D: "www.example.org" }, false],
    [
      "sub domain + matches",
      { op: "matches", path: "event/D", re: "^[a-z0-9]{20,}$", "sub domain": "0" },
      { D: "aaaaaaaaaaaaaaaaaaaaaaaa.evil.com" },
      true,
    ],
    [
      "sub domain + string distance",
      { op: "string distance", path: "event/D", value: "google.com", max: 1, "sub domain": "-2:" },
      { D: "mail.gooogle.com" },
      true,
    ],
  ])("%s", (_name, detect, event, want) => {
    expect(matches(detect, ev(event))).toBe(want);
  });
});

describe("value modifiers (Q17)", () => {
  it("<<lookback>> compares with another field of the same event", () => {
    const d = { op: "is", path: "event/PARENT/FILE_PATH", value: "<<event/FILE_PATH>>" };
    expect(matches(d, ev({ FILE_PATH: "a.exe", PARENT: { FILE_PATH: "a.exe" } }))).toBe(true);
    expect(matches(d, ev({ FILE_PATH: "a.exe", PARENT: { FILE_PATH: "b.exe" } }))).toBe(false);
    expect(matches(d, ev({ PARENT: { FILE_PATH: "b.exe" } }))).toBe(false);
    expect(matches({ op: "is greater than", path: "event/A", value: "<<event/B>>" }, ev({ A: 5, B: "4" }))).toBe(true);
  });
  it("[[variable]]: any member; empty or missing matches nothing (true under not)", () => {
    const d = { op: "is", not: true, path: "event/FILE_PATH", value: "[[allowlisted-bins]]" };
    const variable = (name: string) => (name === "allowlisted-bins" ? ["a.exe", "b.exe"] : undefined);
    expect(matches(d, ev({ FILE_PATH: "b.exe" }), { variable })).toBe(false);
    expect(matches(d, ev({ FILE_PATH: "c.exe" }), { variable })).toBe(true);
    expect(matches({ op: "contains", path: "event/X", value: "[[none]]" }, ev({ X: "" }), { variable })).toBe(false);
    expect(matches({ op: "contains", path: "event/X", value: "[[none]]", not: true }, ev({ X: "" }), { variable })).toBe(true);
    expect(compileDetection(d).variables).toEqual(["allowlisted-bins"]);
  });
});

describe("lookup (Q13)", () => {
  const table = { ABCDEF: { family: "emotet", score: 90 }, "123456": { family: "benign", score: 1 } };
  const lookup = (name: string) => (name === "bad-hashes" ? table : undefined);
  it.each([
    ["key present", { op: "lookup", path: "event/HASH", resource: "hive://lookup/bad-hashes" }, "ABCDEF", true],
    ["key absent", { op: "lookup", path: "event/HASH", resource: "hive://lookup/bad-hashes" }, "FFFF", false],
    ["case sensitive by default", { op: "lookup", path: "event/HASH", resource: "hive://lookup/bad-hashes" }, "abcdef", false],
    [
      "case sensitive false",
      { op: "lookup", path: "event/HASH", resource: "lcr://lookup/bad-hashes", "case sensitive": false },
      "abcdef",
      true,
    ],
    ["lookup/NAME form", { op: "lookup", path: "event/HASH", resource: "lookup/bad-hashes" }, "ABCDEF", true],
    ["unknown lookup", { op: "lookup", path: "event/HASH", resource: "hive://lookup/other" }, "ABCDEF", false],
    [
      "metadata_rules",
      {
        op: "lookup",
        path: "event/HASH",
        resource: "hive://lookup/bad-hashes",
        metadata_rules: { op: "is greater than", path: "score", value: 50 },
      },
      "123456",
      false,
    ],
    [
      "metadata_rules true",
      {
        op: "lookup",
        path: "event/HASH",
        resource: "hive://lookup/bad-hashes",
        metadata_rules: { op: "is greater than", path: "/score", value: 50 },
      },
      "ABCDEF",
      true,
    ],
    [
      "metadata_rules on /",
      {
        op: "lookup",
        path: "event/HASH",
        resource: "hive://lookup/bad-hashes",
        metadata_rules: { op: "is greater than", path: "/", value: 1, "length of": true },
      },
      "ABCDEF",
      true,
    ],
  ])("%s", (_name, detect, hash, want) => {
    expect(matches(detect, ev({ HASH: hash }), { lookup })).toBe(want);
  });
  it("exposes the metadata as .mtd.lookup_NAME", () => {
    const c = compileDetection({ op: "lookup", path: "event/HASH", resource: "hive://lookup/bad-hashes" });
    expect(c.lookups).toEqual(["bad-hashes"]);
    expect(c.evaluate(ev({ HASH: "ABCDEF" }), { now: NOW, lookup }).mtd).toEqual({ lookup_bad_hashes: { family: "emotet", score: 90 } });
  });
});

describe("times (Q11)", () => {
  // Weekdays 09:00–17:00 in New York; NOW is Thursday 12:00 UTC = 07:00 EST.
  const window = (start: number, end: number, tz = "America/New_York") => ({
    day_of_week_start: 2,
    day_of_week_end: 6,
    time_of_day_start: start,
    time_of_day_end: end,
    tz,
  });
  const at = (ms: number) => ev({ X: 1 }, { event_time: ms });
  it.each([
    ["outside hours", [window(900, 1700)], NOW, false],
    ["inside hours", [window(900, 1700)], NOW + 3 * 3_600_000, true],
    ["end bound inclusive", [window(900, 1000)], NOW + 3 * 3_600_000, true],
    ["start bound inclusive", [window(700, 800)], NOW, true],
    ["second window", [window(900, 1700), window(600, 800)], NOW, true],
    ["in UTC", [window(1200, 1200, "UTC")], NOW, true],
    ["weekend only", [{ day_of_week_start: 7, day_of_week_end: 1, time_of_day_start: 0, time_of_day_end: 2359, tz: "UTC" }], NOW, false],
    ["wrapping night window", [window(2200, 800)], NOW, true],
  ])("%s", (_name, times, when, want) => {
    expect(matches({ op: "exists", path: "event/X", times }, at(when))).toBe(want);
  });
  it("no event_time: outside every window", () => {
    expect(matches({ op: "exists", path: "event/X", times: [window(0, 2359, "UTC")] }, ev({ X: 1 }))).toBe(false);
  });
});

describe("rejected at compile time, naming the path", () => {
  it.each([
    [
      "unknown operator",
      {
        op: "and",
        rules: [
          { op: "is", path: "a", value: 1 },
          { op: "is", path: "b", value: 1 },
          { op: "equals", path: "c" },
        ],
      },
      "detect.rules[2].op",
      "invalid_rule",
      /unknown operator 'equals'/,
    ],
    ["missing op", { op: "or", rules: [{ path: "x" }] }, "detect.rules[0]", "invalid_rule", /missing parameter 'op'/],
    ["missing value", { op: "is", path: "event/X" }, "detect", "invalid_rule", /missing parameter 'value'/],
    ["missing path", { op: "contains", value: "x" }, "detect", "invalid_rule", /missing parameter 'path'/],
    ["bad regex", { op: "matches", path: "event/X", re: "(unclosed" }, "detect.re", "invalid_rule", /invalid RE2/],
    ["backreference is not RE2", { op: "matches", path: "event/X", re: "(a)\\1" }, "detect.re", "invalid_rule", /invalid RE2/],
    ["lookahead is not RE2", { op: "matches", path: "event/X", re: "a(?=b)" }, "detect.re", "invalid_rule", /invalid RE2/],
    ["value is not the pattern", { op: "matches", path: "event/X", value: "a" }, "detect", "invalid_rule", /missing parameter 're'/],
    ["bad cidr", { op: "cidr", path: "event/IP", cidr: "10.0.0.0/33" }, "detect.cidr", "invalid_rule", /network/],
    ["unknown platform", { op: "is platform", name: "Windows" }, "detect.name", "invalid_rule", /unknown platform/],
    ["non-numeric comparison value", { op: "is greater than", path: "event/X", value: "big" }, "detect.value", "invalid_rule", /number/],
    ["bad sub domain", { op: "is", path: "event/D", value: "x", "sub domain": "a:b" }, "detect.sub domain", "invalid_rule", /slice/],
    [
      "bad time zone",
      {
        op: "exists",
        path: "event/X",
        times: [{ day_of_week_start: 1, day_of_week_end: 7, time_of_day_start: 0, time_of_day_end: 2359, tz: "Mars/Base" }],
      },
      "detect.times[0].tz",
      "invalid_rule",
      /time zone/,
    ],
    ["empty and", { op: "and", rules: [] }, "detect.rules", "invalid_rule", /at least one/],
    ["scope without rule", { op: "scope", path: "event/X" }, "detect", "invalid_rule", /'rule'/],
    ["not a boolean", { op: "exists", path: "event/X", not: "yes" }, "detect.not", "invalid_rule", /true or false/],
    [
      "api lookup",
      { op: "lookup", path: "event/HASH", resource: "lcr://api/vt" },
      "detect.resource",
      "unsupported_resource",
      /unsupported resource/,
    ],
    ["external", { op: "external", resource: "lcr://detection/x" }, "detect.op", "unsupported_resource", /resource/],
    ["yara", { op: "yara", resource: "lcr://yara/x" }, "detect.op", "unsupported_resource", /resource/],
    ["artifact target", { target: "artifact", op: "exists", path: "text" }, "detect.target", "unsupported_resource", /not supported/],
    ["unknown target", { target: "edrr", op: "exists", path: "x" }, "detect.target", "invalid_rule", /unknown target/],
    [
      "stateful (not yet)",
      {
        event: "NEW_PROCESS",
        op: "ends with",
        path: "event/FILE_PATH",
        value: "winword.exe",
        "with child": { op: "exists", path: "event/X" },
      },
      "detect.with child",
      "invalid_rule",
      /stateful/,
    ],
    ["node not a map", { op: "or", rules: ["x"] }, "detect.rules[0]", "invalid_rule", /detection node/],
  ])("%s", (_name, detect, path, code, message) => {
    const e = compileError(detect);
    expect([e.path, e.code]).toEqual([path, code]);
    expect(e.message).toMatch(message);
  });
});
