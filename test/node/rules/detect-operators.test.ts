/**
 * Every detect operator of DR.md §4, matching and non-matching, with the §7 decisions pinned:
 * Q1 (matches case-insensitive by default), Q2 (typed comparison), Q3 (missing path), Q10
 * (non-overlapping count), Q15 (in), Q27 (100.64/10 private), Q30 (s vs ms), Q31, Q32.
 */
import { describe, expect, it } from "vitest";
import { ev, matches, NOW } from "./detect-helpers.ts";

type Case = [string, Record<string, unknown>, unknown, boolean];

const proc = ev({
  FILE_PATH: "C:\\Windows\\System32\\cmd.exe",
  COMMAND_LINE: "cmd.exe -e -e -e",
  PROCESS_ID: 4242,
  USER: "Bob",
  FLAG: true,
  EMPTY: "",
  NIL: null,
});

const cases: Case[] = [
  // is (Q2): numbers and numeric strings compare as numbers; booleans with "true"/"false".
  ["is: equal int", { op: "is", path: "event/PROCESS_ID", value: 4242 }, proc, true],
  ["is: int vs numeric string", { op: "is", path: "event/PROCESS_ID", value: "4242" }, proc, true],
  ["is: numeric string event vs int rule", { op: "is", path: "event/ID", value: 4625 }, ev({ ID: "4625" }), true],
  ["is: 4625 vs 4625.0", { op: "is", path: "event/ID", value: "4625.0" }, ev({ ID: 4625 }), true],
  ["is: different int", { op: "is", path: "event/PROCESS_ID", value: 4243 }, proc, false],
  ["is: boolean", { op: "is", path: "event/FLAG", value: true }, proc, true],
  ["is: boolean vs string 'true'", { op: "is", path: "event/FLAG", value: "true" }, proc, true],
  ["is: boolean vs 1", { op: "is", path: "event/FLAG", value: 1 }, proc, false],
  ["is: case-sensitive by default", { op: "is", path: "event/USER", value: "bob" }, proc, false],
  ["is: case sensitive false", { op: "is", path: "event/USER", value: "bob", "case sensitive": false }, proc, true],
  ["is: missing path (Q3)", { op: "is", path: "event/NOPE", value: "x" }, proc, false],
  ["is: missing path under not (Q3)", { op: "is", path: "event/NOPE", value: "x", not: true }, proc, true],
  ["is: map never equals a string", { op: "is", path: "event", value: "x" }, proc, false],
  // contains (+count, Q10 non-overlapping)
  ["contains", { op: "contains", path: "event/COMMAND_LINE", value: "-e" }, proc, true],
  ["contains: count 3", { op: "contains", path: "event/COMMAND_LINE", value: "-e", count: 3 }, proc, true],
  ["contains: count 4", { op: "contains", path: "event/COMMAND_LINE", value: "-e", count: 4 }, proc, false],
  ["contains: non-overlapping", { op: "contains", path: "event/S", value: "aa", count: 2 }, ev({ S: "aaa" }), false],
  ["contains: non-overlapping 4", { op: "contains", path: "event/S", value: "aa", count: 2 }, ev({ S: "aaaa" }), true],
  ["contains: case", { op: "contains", path: "event/COMMAND_LINE", value: "CMD" }, proc, false],
  ["contains: case insensitive", { op: "contains", path: "event/COMMAND_LINE", value: "CMD", "case sensitive": false }, proc, true],
  ["contains: number's string form", { op: "contains", path: "event/PROCESS_ID", value: "24" }, proc, true],
  // starts with / ends with
  ["starts with", { op: "starts with", path: "routing/hostname", value: "lab-" }, ev({}, { hostname: "lab-7" }), true],
  ["starts with: no", { op: "starts with", path: "routing/hostname", value: "lab-" }, ev({}, { hostname: "prod-7" }), false],
  ["ends with", { op: "ends with", path: "event/FILE_PATH", value: "cmd.exe" }, proc, true],
  ["ends with: case", { op: "ends with", path: "event/FILE_PATH", value: "CMD.EXE" }, proc, false],
  ["ends with: case insensitive", { op: "ends with", path: "event/FILE_PATH", value: "CMD.EXE", "case sensitive": false }, proc, true],
  // matches (Q1): RE2, unanchored, case-insensitive unless `case sensitive: true`.
  [
    "matches: docs example",
    { op: "matches", path: "event/FILE_PATH", re: "\\\\temp\\\\[^\\\\]+\\.ps1$" },
    ev({ FILE_PATH: "C:\\Temp\\x.ps1" }),
    true,
  ],
  ["matches: anchored no", { op: "matches", path: "event/FILE_PATH", re: "^temp" }, ev({ FILE_PATH: "C:\\Temp\\x.ps1" }), false],
  ["matches: unanchored search", { op: "matches", path: "event/COMMAND_LINE", re: "-e\\s-e" }, proc, true],
  ["matches: insensitive by default", { op: "matches", path: "event/USER", re: "^bob$" }, proc, true],
  ["matches: case sensitive true", { op: "matches", path: "event/USER", re: "^bob$", "case sensitive": true }, proc, false],
  ["matches: number's string form", { op: "matches", path: "event/PROCESS_ID", re: "^42\\d+$" }, proc, true],
  // exists (+truthy)
  ["exists", { op: "exists", path: "event/PROCESS_ID" }, proc, true],
  ["exists: missing", { op: "exists", path: "event/PARENT/FILE_PATH" }, proc, false],
  ["exists: null is present", { op: "exists", path: "event/NIL" }, proc, true],
  ["exists: truthy null", { op: "exists", path: "event/NIL", truthy: true }, proc, false],
  ["exists: truthy empty string", { op: "exists", path: "event/EMPTY", truthy: true }, proc, false],
  ["exists: truthy value", { op: "exists", path: "event/USER", truthy: true }, proc, true],
  ["exists: not (match absence)", { op: "exists", path: "event/PARENT", not: true }, proc, true],
  // is greater than / is lower than (+length of)
  ["greater", { op: "is greater than", path: "event/PROCESS_ID", value: 4000 }, proc, true],
  ["greater: strict", { op: "is greater than", path: "event/PROCESS_ID", value: 4242 }, proc, false],
  ["lower", { op: "is lower than", path: "event/PROCESS_ID", value: 5000 }, proc, true],
  ["lower: strict", { op: "is lower than", path: "event/PROCESS_ID", value: 4242 }, proc, false],
  ["greater: numeric string", { op: "is greater than", path: "event/N", value: "9" }, ev({ N: "10" }), true],
  ["greater: not numeric (Q2)", { op: "is greater than", path: "event/USER", value: 1 }, proc, false],
  ["length of string", { op: "is greater than", path: "event/COMMAND_LINE", value: 15, "length of": true }, proc, true],
  ["length of string: no", { op: "is greater than", path: "event/COMMAND_LINE", value: 16, "length of": true }, proc, false],
  ["length of map = keys", { op: "is greater than", path: "event/M", value: 1, "length of": true }, ev({ M: { a: 1, b: 2 } }), true],
  ["length of list", { op: "is lower than", path: "event/L", value: 3, "length of": true }, ev({ L: [1, 2, 3] }), false],
  // string distance (Q31): Levenshtein ≤ max, code points, honours case sensitive.
  [
    "string distance: docs example",
    { op: "string distance", path: "event/DOMAIN_NAME", value: ["example.org"], max: 1 },
    ev({ DOMAIN_NAME: "exampIe.org" }),
    true,
  ],
  [
    "string distance: too far",
    { op: "string distance", path: "event/DOMAIN_NAME", value: "example.org", max: 1 },
    ev({ DOMAIN_NAME: "exampIe.orq" }),
    false,
  ],
  ["string distance: inclusive max", { op: "string distance", path: "event/D", value: "abc", max: 2 }, ev({ D: "xyc" }), true],
  ["string distance: code points", { op: "string distance", path: "event/D", value: "héllo", max: 1 }, ev({ D: "hello" }), true],
  ["string distance: case sensitive", { op: "string distance", path: "event/D", value: "ABC", max: 0 }, ev({ D: "abc" }), false],
  [
    "string distance: case insensitive",
    { op: "string distance", path: "event/D", value: "ABC", max: 0, "case sensitive": false },
    ev({ D: "abc" }),
    true,
  ],
  // is older than (Q30): > 1e11 is ms, else seconds.
  ["older: seconds", { op: "is older than", path: "event/T", seconds: 3600 }, ev({ T: NOW / 1000 - 7200 }), true],
  ["older: seconds, too recent", { op: "is older than", path: "event/T", seconds: 3600 }, ev({ T: NOW / 1000 - 60 }), false],
  ["older: ms", { op: "is older than", path: "event/T", seconds: 3600 }, ev({ T: NOW - 7_200_000 }), true],
  ["older: ms, too recent", { op: "is older than", path: "event/T", seconds: 3600 }, ev({ T: NOW - 60_000 }), false],
  // cidr and addresses (Q27)
  ["cidr", { op: "cidr", path: "event/IP", cidr: "10.16.0.0/12" }, ev({ IP: "10.20.1.2" }), true],
  ["cidr: outside", { op: "cidr", path: "event/IP", cidr: "10.16.0.0/12" }, ev({ IP: "10.32.1.2" }), false],
  ["cidr: v6", { op: "cidr", path: "event/IP", cidr: "2001:db8::/32" }, ev({ IP: "2001:db8::1" }), true],
  ["cidr: not an ip", { op: "cidr", path: "event/IP", cidr: "10.0.0.0/8" }, ev({ IP: "host" }), false],
  ["private: 100.64/10", { op: "is private address", path: "event/IP" }, ev({ IP: "100.64.3.4" }), true],
  ["private: 172.31", { op: "is private address", path: "event/IP" }, ev({ IP: "172.31.255.1" }), true],
  ["private: 172.32 no", { op: "is private address", path: "event/IP" }, ev({ IP: "172.32.0.1" }), false],
  ["private: loopback no", { op: "is private address", path: "event/IP" }, ev({ IP: "127.0.0.1" }), false],
  ["private: fc00::/7", { op: "is private address", path: "event/IP" }, ev({ IP: "fd12::1" }), true],
  ["public", { op: "is public address", path: "event/IP" }, ev({ IP: "8.8.8.8" }), true],
  ["public: private no", { op: "is public address", path: "event/IP" }, ev({ IP: "192.168.1.1" }), false],
  ["public: loopback no", { op: "is public address", path: "event/IP" }, ev({ IP: "127.0.0.1" }), false],
  ["public: link-local no", { op: "is public address", path: "event/IP" }, ev({ IP: "169.254.1.1" }), false],
  ["public: multicast no", { op: "is public address", path: "event/IP" }, ev({ IP: "224.0.0.1" }), false],
  ["public: v6 link-local no", { op: "is public address", path: "event/IP" }, ev({ IP: "fe80::1" }), false],
  ["public: v6 global", { op: "is public address", path: "event/IP" }, ev({ IP: "2606:4700::1111" }), true],
  ["public ipv4: v6 no", { op: "is public ipv4 address", path: "event/IP" }, ev({ IP: "2606:4700::1111" }), false],
  ["public ipv6: v6", { op: "is public ipv6 address", path: "event/IP" }, ev({ IP: "2606:4700::1111" }), true],
  ["private ipv4", { op: "is private ipv4 address", path: "event/IP" }, ev({ IP: "10.0.0.1" }), true],
  ["private ipv6: v4 no", { op: "is private ipv6 address", path: "event/IP" }, ev({ IP: "10.0.0.1" }), false],
  // in (Q15)
  ["in", { op: "in", path: "event/USER", values: ["alice", "Bob"] }, proc, true],
  ["in: no", { op: "in", path: "event/USER", values: ["alice", "bob"] }, proc, false],
  ["in: case insensitive", { op: "in", path: "event/USER", values: ["alice", "bob"], "case sensitive": false }, proc, true],
  ["in: numbers (Q2)", { op: "in", path: "event/PORT", values: [22, 3389] }, ev({ PORT: "3389" }), true],
];

describe("value operators", () => {
  it.each(cases)("%s", (_name, detect, input, want) => {
    expect(matches(detect, input)).toBe(want);
  });
});

describe("platform, architecture and tags", () => {
  const win64 = ev({}, { plat: 0x10000000, arch: 2, tags: ["crown-jewel", "vip"] });
  const linuxArm = ev({}, { plat: 536870912, arch: 4 });
  const macArm = ev({}, { plat: 0x30000000, arch: 3 });
  it.each([
    ["is platform windows", { op: "is platform", name: "windows" }, win64, true],
    ["is platform linux on windows", { op: "is platform", name: "linux" }, win64, false],
    ["is windows", { op: "is windows" }, win64, true],
    ["is linux", { op: "is linux" }, linuxArm, true],
    ["is mac (= macos)", { op: "is mac" }, macArm, true],
    ["is platform macos", { op: "is platform", name: "macos" }, macArm, true],
    ["is 64 bit: x64", { op: "is 64 bit" }, win64, true],
    ["is 64 bit: arm64", { op: "is 64 bit" }, linuxArm, true],
    ["is 64 bit: arm", { op: "is 64 bit" }, macArm, false],
    ["is 32 bit", { op: "is 32 bit" }, ev({}, { arch: 1 }), true],
    ["is arm: arm64", { op: "is arm" }, linuxArm, true],
    ["is arm: x64", { op: "is arm" }, win64, false],
    ["is tagged", { op: "is tagged", tag: "crown-jewel" }, win64, true],
    ["is tagged: absent", { op: "is tagged", tag: "dev" }, win64, false],
    ["is tagged: no tags", { op: "is tagged", tag: "dev" }, linuxArm, false],
    ["or of platforms (docs example)", { op: "or", rules: [{ op: "is windows" }, { op: "is linux" }] }, macArm, false],
    ["or of platforms, not: none of these", { op: "or", not: true, rules: [{ op: "is windows" }, { op: "is linux" }] }, macArm, true],
  ])("%s", (_name, detect, input, want) => {
    expect(matches(detect, input)).toBe(want);
  });
});

describe("and / or short-circuit", () => {
  it("and stops at the first false child; or at the first true child", () => {
    const seen: string[] = [];
    const lookup = (name: string) => {
      seen.push(name);
      return { x: {} };
    };
    const input = ev({ K: "x" });
    const l = (name: string) => ({ op: "lookup", path: "event/K", resource: `hive://lookup/${name}` });
    expect(matches({ op: "and", rules: [{ op: "is", path: "event/K", value: "y" }, l("a")] }, input, { lookup })).toBe(false);
    expect(matches({ op: "or", rules: [l("b"), l("c")] }, input, { lookup })).toBe(true);
    expect(seen).toEqual(["b"]);
  });
});
