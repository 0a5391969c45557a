/**
 * How `{{ … }}` prints values, byte for byte as Go's text/template + fmt print them. Every
 * expected string was produced by Go 1.19's text/template on the same template and data
 * (data decoded from JSON with integral numbers as int, others as float64), except where a
 * comment names a decision of this platform.
 */
import { describe, expect, it } from "vitest";
import { render } from "./template-helpers.ts";

describe("printing values like Go's fmt %v", () => {
  it.each([
    // Strings print raw; booleans as true/false.
    ["{{.s}} {{.t}} {{.f}}", { s: "héllo <b>", t: true, f: false }, "héllo <b> true false"],
    // Integral JSON numbers are Go ints: an epoch in ms prints whole (a float64 would print
    // 1.657925305984e+12). Non-integral numbers are float64, printed shortest.
    ["{{.ms}} {{.neg}} {{.half}} {{.tiny}}", { ms: 1657925305984, neg: -42, half: 1.5, tiny: 0.000001 }, "1657925305984 -42 1.5 1e-06"],
    // float64 %v is %g with the shortest digits and an exponent when it is below -4 or at
    // least 6 (so 123456789.5 prints 1.234567895e+08); integers beyond int64 are float64.
    [
      "{{.big}} {{.g}} {{.p}} {{.q}}",
      { big: 12345678901234567890, g: 123456789.5, p: 0.1, q: 0.00001 },
      "1.2345678901234567e+19 1.234567895e+08 0.1 1e-05",
    ],
    // Maps print as map[k:v …] with keys sorted (Go sorts map keys when printing).
    ["{{.m}}", { m: { z: 1, a: "x", M: true } }, "map[M:true a:x z:1]"],
    // Slices print as [a b c]; a nil element inside a container prints <nil>.
    ["{{.l}}", { l: [1, "two", null, 2.5, [3, 4]] }, "[1 two <nil> 2.5 [3 4]]"],
    // Nested: a slice of maps, and the whole data as dot.
    ["{{.}}", { a: { b: [1, 2, { c: "d" }] }, e: null }, "map[a:map[b:[1 2 map[c:d]]] e:<nil>]"],
    ["{{.}}", [1, { a: 2 }], "[1 map[a:2]]"],
    // Empty containers.
    ["{{.m}}|{{.l}}", { m: {}, l: [] }, "map[]|[]"],
    // Go prints an explicit nil (JSON null) as <no value> at the top level of an action.
    ["[{{.n}}]", { n: null }, "[<no value>]"],
  ])("%s", (src, data, want) => {
    expect(render(src, data)).toBe(want);
  });

  it("prints a missing map key as nothing (a decision: Go would print <no value>)", () => {
    expect(render('[{{.missing}}] [{{.a.missing.deeper}}] [{{index .a "nope"}}]', { a: {} })).toBe("[] [] []");
  });

  it.each([
    // Template literals: ints stay ints; float literals are float64 (1e6 prints 1e+06, 3.0 prints 3).
    ["{{ 3 }} {{ 3.0 }} {{ 1e6 }} {{ 123456.0 }} {{ 1234567.0 }} {{ 1.5e-7 }} {{ 1e21 }}", "3 3 1e+06 123456 1.234567e+06 1.5e-07 1e+21"],
    // Go number syntax: hex, octal (0o and leading 0), binary, separators, signs, characters.
    ["{{ 0x1F }} {{ 0o17 }} {{ 017 }} {{ 0b101 }} {{ 1_000 }} {{ -4 }} {{ +5 }} {{ 'a' }} {{ '\\n' }}", "31 15 15 5 1000 -4 5 97 10"],
    // Interpreted strings with Go escapes; raw strings keep backslashes.
    ['{{ "a\\tb\\u00e9\\x41\\101\\"" }} {{ `raw\\n` }}', 'a\tbéAA" raw\\n'],
    ["{{ true }} {{ false }}", "true false"],
  ])("literal %s", (src, want) => {
    expect(render(src)).toBe(want);
  });
});
