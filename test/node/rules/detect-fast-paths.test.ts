/**
 * The detect engine's shortcuts decide exactly as the plain definitions do (DR.md §4, §7):
 * `length of` decided by UTF-16 bounds near the limit with surrogate pairs; paths resumed after
 * a list or wildcard instead of walked again from the root, inside and outside `scope`; keys
 * that are also `Object.prototype` names never read the prototype; rules evaluated one after
 * another (one reused state each) never see a previous event; and a rule picked by its type
 * (the Worker's index) answers as if it had checked the type itself.
 */
import { describe, expect, it } from "vitest";
import { compileDetection } from "../../../rules/detect/index.ts";
import { ev, matches, NOW } from "./detect-helpers.ts";

/** "a😀b😀": 6 UTF-16 units, 4 code points. */
const ASTRAL = "a\u{1F600}b\u{1F600}";

describe("length of, near the limit", () => {
  const len = (op: string, value: number, text: string) => matches({ op, path: "event/S", value, "length of": true }, ev({ S: text }));
  it.each([
    ["is greater than", 3, ASTRAL, true],
    ["is greater than", 4, ASTRAL, false],
    ["is greater than", 5, ASTRAL, false],
    ["is lower than", 5, ASTRAL, true],
    ["is lower than", 4, ASTRAL, false],
    ["is lower than", 3, ASTRAL, false],
    ["is greater than", 2, "\u{1F600}\u{1F600}\u{1F600}", true],
    ["is greater than", 3, "\u{1F600}\u{1F600}\u{1F600}", false],
    ["is lower than", 4, "\u{1F600}\u{1F600}\u{1F600}", true],
    ["is greater than", 5, "abcdef", true],
    ["is greater than", 6, "abcdef", false],
    ["is lower than", 7, "abcdef", true],
    ["is lower than", 6, "abcdef", false],
  ] as const)("%s %d of %j: %s", (op, value, text, expected) => {
    expect(len(op, value, text)).toBe(expected);
  });
  it("numbers and booleans count their string form", () => {
    expect(len("is greater than", 3, 12345 as unknown as string)).toBe(true);
    expect(len("is lower than", 5, true as unknown as string)).toBe(true);
  });
});

describe("paths resumed after a list or a wildcard", () => {
  const net = ev({
    NET: [{ DST: { IP: "10.0.0.1", PORT: 22 } }, { DST: [{ IP: "192.168.1.1" }, { IP: "8.8.8.8" }] }],
  });
  it("fans out from where the plain keys stop, at any depth", () => {
    expect(matches({ op: "is", path: "event/NET/DST/IP", value: "8.8.8.8" }, net)).toBe(true);
    expect(matches({ op: "is", path: "event/NET/?/DST/IP", value: "192.168.1.1" }, net)).toBe(true);
    expect(matches({ op: "is", path: "event/NET/1/DST/1/IP", value: "8.8.8.8" }, net)).toBe(true);
    expect(matches({ op: "is", path: "event/NET/0/DST/1/IP", value: "8.8.8.8" }, net)).toBe(false);
    expect(matches({ op: "is", path: "event/*/PORT", value: 22 }, net)).toBe(true);
    expect(matches({ op: "exists", path: "event/NET/?/DST/PORT" }, net)).toBe(true);
    expect(matches({ op: "exists", path: "event/NET/?/DST/NOPE" }, net)).toBe(false);
  });
  it("inside a scope, for event/ paths, bare paths and routing/ paths", () => {
    const scoped = (rule: unknown) => matches({ op: "scope", path: "event/NET", rule }, net);
    expect(scoped({ op: "is", path: "event/DST/IP", value: "8.8.8.8" })).toBe(true);
    expect(scoped({ op: "is", path: "DST/?/IP", value: "192.168.1.1" })).toBe(true);
    expect(
      scoped({
        op: "and",
        rules: [
          { op: "is", path: "DST/IP", value: "10.0.0.1" },
          { op: "is", path: "DST/PORT", value: 22 },
        ],
      }),
    ).toBe(true);
    // Both conditions on one element only: the second element has no PORT.
    expect(
      scoped({
        op: "and",
        rules: [
          { op: "is", path: "DST/IP", value: "8.8.8.8" },
          { op: "exists", path: "DST/PORT" },
        ],
      }),
    ).toBe(false);
    expect(scoped({ op: "is", path: "routing/event_type", value: "NEW_PROCESS" })).toBe(true);
  });
  it("a scope inside a scope", () => {
    const rule = {
      op: "scope",
      path: "event/NET",
      rule: { op: "scope", path: "DST", rule: { op: "is", path: "IP", value: "8.8.8.8" } },
    };
    expect(matches(rule, net)).toBe(true);
  });
});

describe("keys named like Object.prototype members", () => {
  it("are read from the event only", () => {
    expect(matches({ op: "exists", path: "event/constructor" }, ev({}))).toBe(false);
    expect(matches({ op: "exists", path: "event/toString" }, ev({ A: 1 }))).toBe(false);
    expect(matches({ op: "exists", path: "event/L/constructor" }, ev({ L: [{}, {}] }))).toBe(false);
    expect(matches({ op: "is", path: "event/constructor", value: "x" }, ev({ constructor: "x" }))).toBe(true);
    expect(matches({ op: "is", path: "event/L/hasOwnProperty", value: 1 }, ev({ L: [{}, { hasOwnProperty: 1 }] }))).toBe(true);
  });
});

describe("a rule evaluated again", () => {
  it("sees only the event it is given", () => {
    const d = compileDetection({ op: "exists", path: "event/A" });
    expect(d.evaluate(ev({ A: 1 }), { now: NOW }).matched).toBe(true);
    expect(d.evaluate(ev({ B: 1 }), { now: NOW }).matched).toBe(false);
    const s = compileDetection({ op: "scope", path: "event/L", rule: { op: "is", path: "X", value: 1 } });
    expect(s.evaluate(ev({ L: [{ X: 1 }] }), { now: NOW }).matched).toBe(true);
    expect(s.evaluate(ev({ L: [{ X: 2 }] }), { now: NOW }).matched).toBe(false);
    expect(s.evaluate(ev({}), { now: NOW }).matched).toBe(false);
  });
});

describe("a rule selected by its type", () => {
  it("skips only its root's type check: the answer is the same for inputs of its type, and nested checks hold (Q33)", () => {
    const d = compileDetection({
      events: ["NEW_PROCESS", "EXISTING_PROCESS"],
      op: "or",
      rules: [
        { event: "DNS_REQUEST", op: "exists", path: "event/A" },
        { op: "is", path: "event/B", value: 1 },
      ],
    });
    const inputs = [ev({ A: 1 }), ev({ B: 1 }), ev({ B: 2 }), ev({ A: 1, B: 1 }, { event_type: "EXISTING_PROCESS" })];
    for (const input of inputs) expect(d.evaluate(input, { now: NOW }, true).matched).toBe(d.evaluate(input, { now: NOW }).matched);
    expect(inputs.map((i) => d.evaluate(i, { now: NOW }, true).matched)).toEqual([false, true, false, true]);
    // The check it skips: an input of another type is the caller's to keep away.
    expect(d.evaluate(ev({ B: 1 }, { event_type: "DNS_REQUEST" }), { now: NOW }).matched).toBe(false);
    expect(d.types).toEqual(["NEW_PROCESS", "EXISTING_PROCESS"]);
  });
});
