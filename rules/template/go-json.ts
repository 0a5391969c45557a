/**
 * Go's `encoding/json` Marshal / MarshalIndent for template values (the `json` and
 * `prettyjson` functions): map keys sorted, `<`, `>`, `&`, U+2028 and U+2029 escaped, floats
 * in Go's format (exponent only below 1e-6 or from 1e21).
 */
import { formatFloatAbs, isNegative } from "./float-format.ts";
import { TemplateEvalError } from "./errors.ts";
import { isGoInt, isMap, isNil, isNumber, numberValue, sortedKeys } from "./values.ts";

function quoteJson(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"' || ch === "\\") out += "\\" + ch;
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (c < 0x20 || ch === "<" || ch === ">" || ch === "&" || c === 0x2028 || c === 0x2029) {
      out += "\\u" + c.toString(16).padStart(4, "0");
    } else if (c >= 0xd800 && c < 0xe000) out += "\\ufffd";
    else out += ch;
  }
  return out + '"';
}

function jsonNumber(x: number): string {
  if (!Number.isFinite(x)) throw new TemplateEvalError(`json: unsupported value: ${x}`);
  if (isGoInt(x)) return String(x);
  const abs = Math.abs(x);
  const useExp = abs !== 0 && (abs < 1e-6 || abs >= 1e21);
  let s = formatFloatAbs(abs, useExp ? "e" : "f", -1);
  // Go writes e-07 as e-7.
  if (useExp) s = s.replace(/e([+-])0(\d)$/, "e$1$2");
  return (isNegative(x) && x !== 0 ? "-" : "") + s;
}

function encode(v: unknown, indent: string, depth: number): string {
  if (isNil(v)) return "null";
  if (typeof v === "boolean") return String(v);
  if (typeof v === "string") return quoteJson(v);
  if (isNumber(v)) return jsonNumber(numberValue(v));
  const nl = indent ? "\n" + indent.repeat(depth + 1) : "";
  const close = indent ? "\n" + indent.repeat(depth) : "";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return "[" + nl + v.map((e) => encode(e, indent, depth + 1)).join("," + nl) + close + "]";
  }
  if (isMap(v)) {
    const keys = sortedKeys(v);
    if (keys.length === 0) return "{}";
    const sep = indent ? ": " : ":";
    return "{" + nl + keys.map((k) => quoteJson(k) + sep + encode(v[k], indent, depth + 1)).join("," + nl) + close + "}";
  }
  return quoteJson(String(v));
}

/** json.Marshal; with `indent`, json.MarshalIndent(v, "", indent). */
export const goJson = (v: unknown, indent = ""): string => encode(v, indent, 0);
