/**
 * Template constructs (actions, pipelines, if/else if/else, range, with, variables, comments,
 * trim markers) and where parse errors point. Expected outputs were produced by Go 1.19's
 * text/template on the same input, except where a comment names a decision (newer Go
 * features, positions with columns).
 */
import { describe, expect, it } from "vitest";
import { parseError, render, renderError } from "./template-helpers.ts";

describe("control structures", () => {
  it.each([
    ["{{if .a}}A{{else if .b}}B{{else}}C{{end}}", { b: 1 }, "B"],
    ["{{if .a}}A{{else if .b}}B{{else}}C{{end}}", { b: 0 }, "C"],
    ["{{if .a}}A{{end}}", { a: "x" }, "A"],
    // Go's truth: empty string, zero, empty list/map, nil and missing are false.
    [
      "{{if .s}}s{{end}}{{if .z}}z{{end}}{{if .l}}l{{end}}{{if .m}}m{{end}}{{if .n}}n{{end}}{{if .x}}x{{end}}",
      { s: "", z: 0, l: [], m: {}, n: null },
      "",
    ],
    ["{{if .s}}s{{end}}{{if .z}}z{{end}}{{if .l}}l{{end}}{{if .m}}m{{end}}", { s: " ", z: 0.5, l: [0], m: { k: null } }, "szlm"],
    ["{{range .l}}[{{.}}]{{else}}empty{{end}}", { l: [1, "two", 3.5] }, "[1][two][3.5]"],
    ["{{range .l}}[{{.}}]{{else}}empty{{end}}", { l: [] }, "empty"],
    ["{{range .l}}[{{.}}]{{else}}empty{{end}}", {}, "empty"],
    ["{{range $i, $v := .l}}{{$i}}={{$v}};{{end}}", { l: ["a", "b"] }, "0=a;1=b;"],
    // Maps range in sorted key order (byte order: upper case before lower, é last).
    ["{{range $k, $v := .m}}{{$k}}={{$v}};{{end}}", { m: { b: 2, a: 1, C: 3, é: 4 } }, "C=3;a=1;b=2;é=4;"],
    // With one variable, it holds the element (not the key).
    ["{{range $v := .m}}{{$v}};{{end}}", { m: { b: 2, a: 1 } }, "1;2;"],
    ["{{range .l}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}", { l: [1, 2, 3, 4, 5] }, "13"],
    ["{{$.a}}{{range .l}}{{$.a}}{{.}}{{end}}", { a: "A", l: [1, 2] }, "AA1A2"],
    ["{{with .a}}{{.b}}{{else}}none{{end}}", { a: { b: "x" } }, "x"],
    ["{{with .a}}{{.b}}{{else}}none{{end}}", { a: {} }, "none"],
    ["{{with $x := .a}}{{$x}}{{end}}", { a: "q" }, "q"],
    // `else with` chains like `else if` (Go 1.23).
    ["{{with .a}}a{{else with .b}}b={{.}}{{else}}none{{end}}", { b: "B" }, "b=B"],
    // Ranging over an integer counts from 0 (Go 1.22).
    ["{{range $i := 3}}{{$i}}{{end}}", {}, "012"],
  ])("%s with %j", (src, data, want) => {
    expect(render(src, data)).toBe(want);
  });
});

describe("variables and pipelines", () => {
  it.each([
    // Declarations print nothing; `=` assigns to the variable in scope, across blocks.
    ["{{$x := 1}}{{$x}}{{$x = 2}}{{$x}}{{if true}}{{$x = 3}}{{end}}{{$x}}", {}, "123"],
    ["{{$x := 5}}{{range $i := .l}}{{$x = $i}}{{end}}{{$x}}", { l: [7, 8] }, "8"],
    // `range $i, $v = …` assigns to existing variables: they keep the last key and element.
    ["{{$i := 0}}{{$v := 0}}{{range $i, $v = .l}}{{end}}{{$i}} {{$v}}", { l: ["a", "b"] }, "1 b"],
    ["{{(.a).b}} {{($).a.b}} {{with $x := .a}}{{$x.b}}{{end}}", { a: { b: "c" } }, "c c c"],
    // A variable declared in an if pipeline is visible in both branches.
    ["{{if $x := .a}}{{$x}}{{else}}[{{$x}}]{{end}}", { a: 0 }, "[0]"],
    ["{{$x := .a}}{{with .b}}{{$x}}{{.}}{{end}}", { a: "q", b: "r" }, "qr"],
    // The previous command's value is the last argument of the next.
    ['{{.a | printf "%s-%s" "x"}} {{"x" | len}} {{.l | len | printf "%03d"}}', { a: "A", l: [1, 2, 3] }, "x-A 1 003"],
    // Parenthesised pipelines, and fields of their results.
    ['{{(index .l 0).a}} {{(index .l 0).a | printf "%q"}}', { l: [{ a: "b" }] }, 'b "b"'],
    ["{{$.a.b}} {{$v := .a}}{{$v.b}}", { a: { b: "c" } }, "c c"],
    // Pipelines and parenthesised calls can span lines inside an action.
    ['{{ printf "%s=%d"\n  .k\n  (len .l) }}', { k: "n", l: [1, 2] }, "n=2"],
  ])("%s", (src, data, want) => {
    expect(render(src, data)).toBe(want);
  });
});

describe("comments and trim markers", () => {
  it.each([
    // `{{- ` trims all white space (spaces, tabs, newlines) before; ` -}}` after.
    ["a  {{- 1 -}}  b {{- /* c */ -}} c {{/* x */}} d", "a1bc  d"],
    ["  x  {{- if true -}}  \n  y  \n  {{- end -}}  z  ", "  xyz  "],
    ["{{- /* only */ -}}\n  kept", "kept"],
    ['a\n{{- "b" }}\n{{ "c" -}}\n\td', "ab\ncd"],
    ["{{/* a\nmulti-line comment */}}x", "x"],
    // `{{-3}}` is the number -3, not a trim marker (the marker needs a space after it).
    ["{{-3}} {{- 3}}", "-33"],
    ["a \r\n {{- 1 -}} \r\n b", "a1b"],
  ])("%j", (src, want) => {
    expect(render(src)).toBe(want);
  });

  it("keeps list output aligned with trim markers around range", () => {
    const src = "Hosts:\n{{- range $i, $h := .hosts }}\n  {{ $i }}. {{ $h }}\n{{- end }}\nDone";
    expect(render(src, { hosts: ["a", "b"] })).toBe("Hosts:\n  0. a\n  1. b\nDone");
  });
});

describe("parse errors say where and what", () => {
  // Go reports `template: NAME:LINE: msg`; this engine adds the column (1-based, in
  // characters) since a rule has no template name.
  it.each([
    // The documented mistake: a path with `/` in a template field.
    ["{{ .event.PARENT/FILE_PATH }}", "template: 1:17: bad character U+002F '/'"],
    ["{{if .a}}x", "template: 1:3: unexpected EOF: missing {{end}} for {{if}}"],
    ["{{end}}", "template: 1:3: unexpected {{end}}"],
    ["{{ else }}", "template: 1:4: unexpected {{else}}"],
    ["text\n  {{.a", "template: 2:3: unclosed action"],
    ["{{foo .a}}", 'template: 1:3: function "foo" not defined'],
    ["{{$x}}", 'template: 1:3: undefined variable "$x"'],
    ["{{$x = 1}}", 'template: 1:3: undefined variable "$x"'],
    ['{{"abc}}', "template: 1:3: unterminated quoted string"],
    ["{{ (1 }}", "template: 1:7: unclosed left paren"],
    ["{{ 1) }}", "template: 1:5: unexpected right paren"],
    ["{{/* unclosed }}", "template: 1:1: unclosed comment"],
    ["{{/* x */ }}", "template: 1:10: comment ends before closing delimiter"],
    ["{{ .a | 1 }}", "template: 1:9: non executable command in pipeline stage 2"],
    ["{{ break }}", "template: 1:4: {{break}} outside {{range}}"],
    ["{{ 12abc }}", 'template: 1:4: bad number syntax: "12abc"'],
    ['{{ "a".b }}', 'template: 1:4: unexpected . after term "\\"a\\""'],
    ["{{ }}", "template: 1:4: missing value for command"],
    ['{{ "\\q" }}', 'template: 1:4: invalid syntax in string "\\q"'],
    ['{{ define "x" }}{{ end }}', "template: 1:4: {{define}} is not supported in rule templates"],
    ["{{range $a, $b, $c := .l}}{{end}}", "template: 1:15: range can only initialize variables"],
    ["{{ $a, $b := .l }}", "template: 1:6: too many declarations in command"],
  ])("%j", (src, want) => {
    expect(parseError(src)).toBe(want);
  });
});

describe("render errors say where and what", () => {
  it.each([
    ["{{.a.b}}", { a: "str" }, "template: 1:3: executing at <.a.b>: can't evaluate field b in type string"],
    ["{{.a 1}}", { a: {} }, "template: 1:3: executing at <.a 1>: a is not a method but has arguments"],
    ["{{1 2}}", {}, "template: 1:3: executing at <1 2>: can't give argument to non-function 1"],
    ["{{nil}}", {}, "template: 1:3: executing at <nil>: nil is not a command"],
    ["{{range .s}}x{{end}}", { s: "abc" }, "template: 1:9: executing at <.s>: range can't iterate over abc"],
    [
      "line1\nline2 {{ .a.b.c }} {{ index .x 1 }}",
      { x: [] },
      "template: 2:23: executing at <index .x 1>: error calling index: index out of range: 1",
    ],
  ])("%j", (src, data, want) => {
    expect(renderError(src, data)).toBe(want);
  });

  it("bounds the work a template may do", () => {
    const l = Array.from({ length: 100 }, (_, i) => i);
    const src = "{{range .l}}{{range $.l}}{{range $.l}}{{end}}{{end}}{{end}}";
    expect(renderError(src, { l }, { maxSteps: 50_000 })).toContain("evaluation exceeds 50000 steps");
    expect(renderError("{{range .l}}{{range $.l}}xxxxxxxxxx{{end}}{{end}}", { l }, { maxOutputChars: 1000 })).toContain(
      "output exceeds 1000 characters",
    );
  });
});
