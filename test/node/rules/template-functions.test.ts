/**
 * Every function a rule template may call. Outputs of Go's builtins (and, or, not, eq … ge,
 * index, len, print, printf, println) and of json/prettyjson/parsetime were produced by
 * Go 1.19 (text/template, encoding/json, time) on the same input; md5 results are checked
 * against node:crypto.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { render, renderError } from "./template-helpers.ts";

const md5 = (s: string): string => createHash("md5").update(s, "utf8").digest("hex");

describe("Go builtins", () => {
  it.each([
    // and/or return the operand that decided (not a boolean); not returns a boolean.
    ['{{and 1 0 2}} {{and 1 2}} {{or 0 "" 3}} [{{or 0 ""}}] {{not 0}} {{not "x"}}', {}, "0 2 3 [] true false"],
    // Short-circuit: the failing index is never evaluated.
    ["[{{and .x (index .l 5)}}] {{or 1 (index .l 5)}}", { l: [] }, "[] 1"],
    ["{{ .a | not }} {{ .a | and 1 }} {{ 0 | or .a }}", { a: "v" }, "false v v"],
    // eq with several arguments is true if the first equals any other.
    ['{{eq 1 2 1}} {{eq "a" "a"}} {{ne 1 2}} {{eq .n 1 2 3}} {{eq .missing "x"}}', { n: 4 }, "true true true false false"],
    ['{{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}} {{lt "B" "a"}}', {}, "true true true false true"],
    // Integral and fractional numbers compare by value (Go would refuse int vs float64; JSON
    // numbers do not carry that difference, so this is a decision).
    ["{{le 1 1.5}} {{eq .f 2.5}} {{gt .i 0.5}}", { f: 2.5, i: 1 }, "true true true"],
    ['{{index .l 1}} {{index .m "k"}} {{index .n 0 "a"}} {{index "abc" 1}}', { l: [1, 2], m: { k: "v" }, n: [{ a: "b" }] }, "2 v b 98"],
    // The documented nested index of a list element's map.
    [
      '{{ index (index .event.NETWORK_ACTIVITY 0) "SOURCE" "IP_ADDRESS" }}',
      { event: { NETWORK_ACTIVITY: [{ SOURCE: { IP_ADDRESS: "10.0.0.1" } }] } },
      "10.0.0.1",
    ],
    // len counts a string's UTF-8 bytes, a list's elements, a map's keys.
    ['{{len .l}} {{len .m}} {{len "héllo"}} {{len "😀"}}', { l: [1, 2], m: { k: 1 } }, "2 1 6 4"],
    // print adds spaces only between operands that are not strings; nil prints <nil>.
    ['{{print 1 2 "a" "b" 3 nil}}|{{println 1 "a"}}|{{print}}|{{print "a" 1 2 "b" nil nil}}', {}, "1 2ab3 <nil>|1 a\n||a1 2b<nil> <nil>"],
    ["{{ print .m.x }} {{ print .l }}", { m: { x: null }, l: [] }, "<nil> []"],
  ])("%s", (src, data, want) => {
    expect(render(src, data)).toBe(want);
  });

  it.each([
    ['{{eq 1 "a"}}', "error calling eq: incompatible types for comparison"],
    ["{{lt true false}}", "error calling lt: invalid type for comparison"],
    ["{{eq .l .l}}", "error calling eq: non-comparable type [1]: []interface {}"],
    ["{{index .l 5}}", "error calling index: index out of range: 5"],
    ["{{index .m 5}}", "error calling index: value has type int; should be string"],
    ['{{index .l "a"}}', "error calling index: cannot index slice/array with type string"],
    ["{{index .missing 0}}", "error calling index: index of untyped nil"],
    ["{{len 3}}", "error calling len: len of type int"],
    ["{{len .missing}}", "error calling len: len of nil pointer"],
    ["{{not 1 2}}", "wrong number of args for not: want 1 got 2"],
    ["{{and}}", "wrong number of args for and: want at least 1 got 0"],
    ["{{printf 1}}", "wrong type for value; expected string; got int"],
  ])("%s fails at render", (src, want) => {
    expect(renderError(src, { l: [1], m: {} })).toContain(want);
  });
});

describe("printf verbs, flags, width and precision (Go's fmt)", () => {
  it.each([
    [
      '{{printf "%d %5d %-5d| %05d %+d %x %X %o %b %c %q %U" 42 42 42 42 42 255 255 8 5 65 65 65}}',
      "42    42 42   | 00042 +42 ff FF 10 101 A 'A' U+0041",
    ],
    [
      '{{printf "%s %q %10s|%-10s| %.2s %x % x" "hé" "a\\"b\\n" "r" "l" "abc" "hi" "hi"}}',
      'hé "a\\"b\\n"          r|l         | ab 6869 68 69',
    ],
    [
      '{{printf "%f %.2f %e %.3e %g %G %.3g %8.3f %-8.2f| %+.1f %08.3f" 3.14159 0.125 123456.789 0.000123 1e-7 2.5e20 3.14159 2.5 2.5 2.25 -3.5}}',
      "3.141590 0.12 1.234568e+05 1.230e-04 1e-07 2.5E+20 3.14    2.500 2.50    | +2.2 -003.500",
    ],
    // Ties round half to even on the exact binary value, as Go does (0.125 → 0.12).
    ['{{printf "%.0f %.0f %.0f %.1f %.1f" 0.5 1.5 2.5 0.05 0.15}}', "0 2 2 0.1 0.1"],
    ['{{printf "%6.2f|%-6.1e|%g|%g|%g|%v" 1.005 12345.678 100000.0 1000000.0 0.0001 0.00001}}', "  1.00|1.2e+04|100000|1e+06|0.0001|1e-05"],
    ['{{printf "%e %E %.0e %g %g %g" 0.0 1e-10 5.5 1e20 1e21 123456789.0}}', "0.000000e+00 1.000000E-10 6e+00 1e+20 1e+21 1.23456789e+08"],
    ['{{printf "%6.3v|%.3v|%10.4g|" 3.14159 1234.5678 0.000012345}}', "  3.14|1.23e+03| 1.234e-05|"],
    ['{{printf "%#g %#.3g %#e %#f" 1.0 2.0 3.0 4.0}}', "1.00000 2.00 3.000000e+00 4.000000"],
    ['{{printf "%*d|%-*d|%.*f" 5 1 4 2 2 3.14159}}', "    1|2   |3.14"],
    ['{{printf "%.3q %.1x %08.3f %+08d % d %x" "abcdef" "hi" -3.14159 42 5 "héllo"}}', '"abc" 68 -003.142 +0000042  5 68c3a96c6c6f'],
    [
      '{{printf "%v %v %v %t %T %T %T %T" .m .l nil true .m .l 1 1.5}}',
      "map[a:[1 2] b:1] [x <nil>] <nil> true map[string]interface {} []interface {} int float64",
    ],
    [
      '{{printf "%#v" .m}} {{printf "%#v" .l}} {{printf "%#v" 1.5}} {{printf "%#v" nil}} {{printf "%#x %#o %x" 255 8 -255}}',
      'map[string]interface {}{"a":"x", "b":1} []interface {}{interface {}(nil), true, 2} 1.5 <nil> 0xff 010 -ff',
    ],
    // Verbs apply to each element of a list or map.
    ['{{printf "%s" .m}} {{printf "%d" .l}} {{printf "%x" .l}} {{printf "%3d|" .l}}', "map[k:%!s(int=1)] [10 11] [a b] [ 10  11]|"],
    // Go's inline errors: wrong verb, missing and extra operands, no verb.
    [
      '{{printf "%d %s" "x" 1}} {{printf "%d"}} {{printf "%d" 1 2}} {{printf "%z" 1}} {{printf "%"}} {{printf "100%%"}}',
      "%!d(string=x) %!s(int=1) %!d(MISSING) 1%!(EXTRA int=2) %!z(int=1) %!(NOVERB) 100%",
    ],
    ['{{printf "%v|%s|%d" .missing .missing .missing}}', "<nil>|%!s(<nil>)|%!d(<nil>)"],
    ['{{printf "%q" .s}}', '"\\x01é😀\\x7f\\u00a0\\t"'],
  ])("%s", (src, want) => {
    const data = { m: { b: 1, a: [1, 2] }, l: ["x", null], s: "\u0001é😀\u007f\u00a0\t" };
    const special: Record<string, unknown> = {
      '{{printf "%#v" .m}} {{printf "%#v" .l}} {{printf "%#v" 1.5}} {{printf "%#v" nil}} {{printf "%#x %#o %x" 255 8 -255}}': {
        m: { b: 1, a: "x" },
        l: [null, true, 2],
      },
      '{{printf "%s" .m}} {{printf "%d" .l}} {{printf "%x" .l}} {{printf "%3d|" .l}}': { m: { k: 1 }, l: [10, 11] },
    };
    expect(render(src, special[src] ?? data)).toBe(want);
  });
});

describe("more fmt edge cases, as Go 1.19 prints them", () => {
  it.each([
    ['{{ printf "%5.1q|%-4s|%4s" "abc" "é" "😀" }}', {}, '  "a"|é   |   😀'],
    ['{{ printf "%x %X %o %b" -1 -255 -8 -5 }}', {}, "-1 -FF -10 -101"],
    ['{{ printf "%+q %#q %#q %q" "é" "a`b" "ab" \'x\' }}', {}, '"\\u00e9" "a`b" `ab` \'x\''],
    ['{{ printf "%c%c" 0x1F600 233 }}', {}, "😀é"],
    ['{{ printf "%10.3e|%-10.2g|%+g|% g" 1234.5678 0.000123 1.0 2.5 }}', {}, " 1.235e+03|0.00012   |+1| 2.5"],
    ['{{ printf "%.0g %.1g %.2g %g" 123.0 123.0 0.000456 1e-5 }}', {}, "1e+02 1e+02 0.00046 1e-05"],
    ['{{ printf "%t %t" 1 "x" }} {{ printf "%s" nil }} {{ printf "%d" true }}', {}, "%!t(int=1) %!t(string=x) %!s(<nil>) %!d(bool=true)"],
    ['{{ printf "%v %d" .l .l }}', { l: [1, null, "a"] }, "[1 <nil> a] [1 <nil> %!d(string=a)]"],
    ['{{ printf "%05s|%-05d|%+05d" "ab" 3 3 }}', {}, "000ab|3    |+0003"],
    // 2.675 is 2.67499999… in binary, 1.125 is an exact tie (half to even).
    ['{{ printf "%.2f %.3f %.1f %.2e" 2.675 1.0005 0.25 1.125 }}', {}, "2.67 1.000 0.2 1.12e+00"],
    ['{{ printf "%v %v %.20f" 5e-324 1.7976931348623157e308 0.1 }}', {}, "5e-324 1.7976931348623157e+308 0.10000000000000000555"],
    [
      "{{ json .m }}",
      { m: { n: 1e21, s: 1e-7, t: 123456789.123, z: 0, big: 12345678901234567890 } },
      '{"big":12345678901234567000,"n":1e+21,"s":1e-7,"t":123456789.123,"z":0}',
    ],
    ['{{ 0x10 | printf "%d" }} {{ 1e3 | printf "%v" }} {{ eq nil nil }}', {}, "16 1000 true"],
  ])("%s", (src, data, want) => {
    expect(render(src, data)).toBe(want);
  });
});

describe("the product's functions", () => {
  it("token is the md5 of the value as printed", () => {
    expect(render('{{token "abc"}} {{token .n}} {{token .u}}', { n: 5, u: "ünïcode-and-long-".repeat(8) })).toBe(
      `${md5("abc")} ${md5("5")} ${md5("ünïcode-and-long-".repeat(8))}`,
    );
    expect(render("{{token .m}}", { m: { a: 1 } })).toBe(md5("map[a:1]"));
  });

  it("anon is the md5 of the seed then the value, and needs a seed", () => {
    expect(render("{{anon .ip}}", { ip: "10.128.0.2" }, { anonSeed: "org-seed" })).toBe(md5("org-seed10.128.0.2"));
    expect(render("{{anon .ip}}", { ip: "10.128.0.2" }, { anonSeed: "other" })).not.toBe(md5("org-seed10.128.0.2"));
    expect(renderError("{{anon .ip}}", { ip: "x" })).toContain("error calling anon: no anonymisation seed is configured");
  });

  it.each([
    // Go's json.Marshal: keys sorted, <>& escaped, floats in Go's format.
    [
      "{{json .m}} {{json .s}} {{json 1.5}} {{json .f}} {{json .missing}}",
      { m: { b: [1, 2.5, null, true], a: "<&>" }, s: "x\ny", f: 1e-7 },
      '{"a":"\\u003c\\u0026\\u003e","b":[1,2.5,null,true]} "x\\ny" 1.5 1e-7 null',
    ],
    ["{{json .s}}", { s: "\u2028<tag>&amp; \u0001 é 😀" }, '"\\u2028\\u003ctag\\u003e\\u0026amp; \\u0001 é 😀"'],
    // json.MarshalIndent with two spaces.
    ["{{prettyjson .m}}", { m: { b: [1, { c: {} }], a: [] } }, '{\n  "a": [],\n  "b": [\n    1,\n    {\n      "c": {}\n    }\n  ]\n}'],
    [
      '{{join "," .l}} {{split "," "a,b,,c"}} {{replace "a" "o" "banana"}} {{len (split "." "a.b.c")}}',
      { l: ["a", 1, true] },
      "a,1,true [a b  c] bonono 3",
    ],
    [
      "{{.p | base}} {{.p | dir}} {{.w | base}} {{.w | dir}} {{base .r}} {{dir .r}} {{base .n}} {{dir .n}}",
      { p: "/usr/bin/ls", w: "C:\\Windows\\System32\\cmd.exe", r: "/", n: "file.txt" },
      "ls /usr/bin cmd.exe C:\\Windows\\System32 / / file.txt .",
    ],
    [
      '{{parsetime "{\\"from\\":\\"2006-01-02 15:04:05\\",\\"to\\":\\"Mon, 02 Jan 2006 15:04:05 MST\\"}" .t}}',
      { t: "2023-05-10 22:35:48" },
      "Wed, 10 May 2023 22:35:48 UTC",
    ],
    [
      '{{parsetime "{\\"from\\":\\"2006-01-02T15:04:05Z07:00\\",\\"to\\":\\"Jan _2 3:04:05.000PM MST -0700 Monday January 06 002\\"}" .t}}',
      { t: "2023-02-05T09:05:07.123456789+02:00" },
      "Feb  5 9:05:07.123AM +0200 +0200 Sunday February 23 036",
    ],
    [
      '{{parsetime "{\\"from\\":\\"epoch_ms\\",\\"to\\":\\"2006-01-02 15:04:05.000 MST\\"}" .t}}',
      { t: 1657925305984 },
      "2022-07-15 22:48:25.984 UTC",
    ],
    ['{{parsetime "{\\"from\\":\\"epoch_s\\",\\"to\\":\\"RFC3339\\"}" .t}}', { t: 1657925305 }, "2022-07-15T22:48:25Z"],
    [
      '{{parsetime "{\\"from\\":\\"Jan 2 2006 15:04 -0700\\",\\"to\\":\\"15:04 Z07:00 MST\\"}" .t}}',
      { t: "Dec 25 2022 08:30 -0500" },
      "08:30 -05:00 -0500",
    ],
  ])("%s", (src, data, want) => {
    expect(render(src, data)).toBe(want);
  });

  it.each([
    [
      '{{parsetime "{\\"from\\":\\"2006-01-02\\",\\"to\\":\\"2006\\"}" .t}}',
      { t: "2023-02-30" },
      'parsing time "2023-02-30": value out of range',
    ],
    [
      '{{parsetime "{\\"from\\":\\"2006-01-02\\",\\"to\\":\\"2006\\"}" .t}}',
      { t: "junk" },
      'parsing time "junk" as "2006-01-02": cannot parse',
    ],
    ['{{parsetime "not json" .t}}', { t: "x" }, "error calling parsetime: time spec is not JSON"],
    ['{{split "," .n}}', { n: 3 }, "wrong type for value; expected string; got int"],
    ['{{join "," .s}}', { s: "abc" }, "expected list; got string"],
  ])("%s fails at render", (src, data, want) => {
    expect(renderError(src, data)).toContain(want);
  });
});
