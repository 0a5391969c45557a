/**
 * Go's `fmt` for template values: `Sprint` (how `{{ . }}` and `print` write values),
 * `Sprintln` and `Sprintf` with the verbs v s q d b o x X c U e E f F g G t T and %%, the
 * flags `+ - # 0 space`, width and precision (`*` too), and Go's inline error forms
 * (`%!d(string=x)`, `%!s(MISSING)`, `%!(EXTRA …)`, `%!(NOVERB)`).
 */
import { formatFloatAbs, isNegative, type FloatVerb } from "./float-format.ts";
import { goTypeName, isGoInt, isMap, isNil, isNumber, numberValue, sortedKeys, utf8Bytes } from "./values.ts";

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number | undefined;
  prec: number | undefined;
}

const NO_FLAGS: Flags = { plus: false, minus: false, sharp: false, space: false, zero: false, width: undefined, prec: undefined };

function pad(s: string, f: Flags): string {
  const width = f.width ?? 0;
  const len = [...s].length;
  if (len >= width) return s;
  const fill = (f.zero && !f.minus ? "0" : " ").repeat(width - len);
  return f.minus ? s + fill : fill + s;
}

/** `%!v(type=value)`: what Go writes for a verb that does not fit the operand. */
function badVerb(verb: string, v: unknown): string {
  if (isNil(v)) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatArg(v, "v", NO_FLAGS, 0)})`;
}

/** Go's strconv.Quote / QuoteRune: printable characters stay, the rest is escaped. */
export function quoteGo(s: string, quote = '"', asciiOnly = false): string {
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === quote || ch === "\\") out += "\\" + ch;
    else if (isPrintable(ch) && (!asciiOnly || c < 0x80)) out += ch;
    else if (ch === "\x07") out += "\\a";
    else if (ch === "\b") out += "\\b";
    else if (ch === "\f") out += "\\f";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\v") out += "\\v";
    else if (c >= 0xd800 && c < 0xe000) out += "\\ufffd";
    else if (c < 0x80) out += "\\x" + c.toString(16).padStart(2, "0");
    else if (c < 0x10000) out += "\\u" + c.toString(16).padStart(4, "0");
    else out += "\\U" + c.toString(16).padStart(8, "0");
  }
  return out + quote;
}

const isPrintable = (ch: string): boolean => ch === " " || /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch);

function formatInteger(n: number, verb: string, f: Flags): string {
  const neg = n < 0;
  let digits: string;
  const abs = Math.abs(n);
  switch (verb) {
    case "d":
    case "v":
      digits = String(abs);
      break;
    case "b":
      digits = abs.toString(2);
      break;
    case "o":
    case "O":
      digits = abs.toString(8);
      break;
    case "x":
      digits = abs.toString(16);
      break;
    case "X":
      digits = abs.toString(16).toUpperCase();
      break;
    default:
      return badVerb(verb, n);
  }
  // Precision is a minimum digit count; zero padding to the width is the same thing.
  let minDigits = f.prec ?? (f.zero && !f.minus && f.width !== undefined ? f.width - (neg || f.plus || f.space ? 1 : 0) : 0);
  if (f.prec === 0 && n === 0) digits = "";
  if (f.sharp && verb === "o" && !digits.startsWith("0")) digits = "0" + digits;
  let prefix = verb === "O" ? "0o" : "";
  if (f.sharp && verb === "b") prefix = "0b";
  if (f.sharp && verb === "x") prefix = "0x";
  if (f.sharp && verb === "X") prefix = "0X";
  minDigits -= prefix.length;
  digits = prefix + digits.padStart(minDigits, "0");
  const sign = neg ? "-" : f.plus ? "+" : f.space ? " " : "";
  return pad(sign + digits, { ...f, zero: false });
}

function formatFloat(x: number, verb: string, f: Flags): string {
  const goVerb = (verb === "v" ? "g" : verb === "F" ? "f" : verb) as FloatVerb;
  const defaultPrec = verb === "v" || verb === "g" || verb === "G" ? -1 : 6;
  let num = formatFloatAbs(x, goVerb, f.prec ?? defaultPrec);
  if (f.sharp && num !== "Inf" && num !== "NaN") num = sharpFloat(num, verb, f.prec ?? -1);
  const sign = Number.isNaN(x) ? (f.plus ? "+" : f.space ? " " : "") : isNegative(x) ? "-" : f.plus ? "+" : f.space ? " " : "";
  if (num === "Inf" || num === "NaN") return pad((num === "Inf" && sign === "" ? "+" : sign) + num, { ...f, zero: false });
  if (f.zero && !f.minus && f.width !== undefined && f.width > num.length + sign.length) {
    return sign + num.padStart(f.width - sign.length, "0");
  }
  return pad(sign + num, f);
}

/** `#` keeps a decimal point and, for %g/%v, trailing zeros up to the precision (6 by default). */
function sharpFloat(num: string, verb: string, prec: number): string {
  const expAt = num.search(/[eE]/);
  let mant = expAt < 0 ? num : num.slice(0, expAt);
  const tail = expAt < 0 ? "" : num.slice(expAt);
  let digits = verb === "v" || verb === "g" || verb === "G" ? (prec === -1 ? 6 : prec) : 0;
  const significant = mant.replace(".", "").replace(/^0+/, "").length;
  if (!mant.includes(".")) {
    if (mant === "0") digits--;
    mant += ".";
  }
  digits -= significant;
  return mant + "0".repeat(Math.max(digits, 0)) + tail;
}

function formatString(s: string, verb: string, f: Flags): string {
  const str = f.prec !== undefined ? [...s].slice(0, f.prec).join("") : s;
  switch (verb) {
    case "v":
    case "s":
      return pad(str, f);
    case "q":
      // `%#q` uses a raw string when Go's CanBackquote allows; `%+q` escapes non-ASCII.
      if (f.sharp && !/[`\x00-\x08\x0a-\x1f\x7f\ufeff]/.test(str)) return pad("`" + str + "`", f);
      return pad(quoteGo(str, '"', f.plus), f);
    case "x":
    case "X": {
      const hex = [...utf8Bytes(str)].map((b) => b.toString(16).padStart(2, "0"));
      const joined = f.space ? hex.map((h) => (f.sharp ? "0x" + h : h)).join(" ") : (f.sharp ? "0x" : "") + hex.join("");
      return pad(verb === "X" ? joined.toUpperCase() : joined, f);
    }
    default:
      return badVerb(verb, s);
  }
}

/** One operand under one verb; `depth` > 0 inside a slice or map. */
function formatArg(v: unknown, verb: string, f: Flags, depth: number): string {
  if (verb === "T") return pad(goTypeName(v), f);
  if (isNil(v)) return depth > 0 || verb === "v" ? pad("<nil>", f) : badVerb(verb, v);
  if (typeof v === "boolean") return verb === "t" || verb === "v" ? pad(String(v), f) : badVerb(verb, v);
  if (typeof v === "string") return formatString(v, verb, f);
  if (isGoInt(v)) {
    if (verb === "c") return pad(String.fromCodePoint(v), f);
    if (verb === "q") return pad(quoteGo(String.fromCodePoint(v), "'"), f);
    if (verb === "U") {
      const u = "U+" + v.toString(16).toUpperCase().padStart(4, "0");
      return pad(f.sharp ? `${u} '${String.fromCodePoint(v)}'` : u, f);
    }
    // Integral JSON numbers are ints here, but Go data would often hold them as float64:
    // accept the float verbs for them rather than printing `%!f(int=3)`.
    if ("eEfFgG".includes(verb)) return formatFloat(v, verb, f);
    return formatInteger(v, verb, f);
  }
  if (isNumber(v)) return "veEfFgG".includes(verb) ? formatFloat(numberValue(v), verb, f) : badVerb(verb, v);
  if (Array.isArray(v)) return "[" + v.map((e) => formatArg(e, verb, f, depth + 1)).join(" ") + "]";
  if (isMap(v)) {
    const parts = sortedKeys(v).map((k) => formatArg(k, verb, f, depth + 1) + ":" + formatArg(v[k], verb, f, depth + 1));
    return "map[" + parts.join(" ") + "]";
  }
  return pad(String(v), f);
}

/** `%#v`: the value in Go syntax, as Go writes interface-typed JSON data. */
function goSyntax(v: unknown, depth: number): string {
  if (isNil(v)) return depth > 0 ? "interface {}(nil)" : "<nil>";
  if (typeof v === "string") return quoteGo(v);
  if (typeof v === "boolean" || isGoInt(v)) return String(v);
  if (isNumber(v)) return formatFloat(numberValue(v), "g", NO_FLAGS);
  if (Array.isArray(v)) return "[]interface {}{" + v.map((e) => goSyntax(e, depth + 1)).join(", ") + "}";
  if (isMap(v))
    return (
      "map[string]interface {}{" +
      sortedKeys(v)
        .map((k) => `${quoteGo(k)}:${goSyntax(v[k], depth + 1)}`)
        .join(", ") +
      "}"
    );
  return String(v);
}

/** `%v` of one value: how Go's fmt.Sprint writes it. */
export const formatValue = (v: unknown): string => formatArg(v, "v", NO_FLAGS, 0);

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: readonly unknown[]): string {
  let out = "";
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== "string" && typeof args[i - 1] !== "string") out += " ";
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: always a space between operands, and a final newline. */
export const sprintln = (args: readonly unknown[]): string => args.map(formatValue).join(" ") + "\n";

/** fmt.Sprintf. */
export function sprintf(format: string, args: readonly unknown[]): string {
  let out = "";
  let argNum = 0;
  let i = 0;
  const takeInt = (): number | undefined => {
    const a = args[argNum++];
    return isGoInt(a) ? a : undefined;
  };
  while (i < format.length) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = { ...NO_FLAGS };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === "+") f.plus = true;
      else if (c === "-") {
        f.minus = true;
        f.zero = false;
      } else if (c === "#") f.sharp = true;
      else if (c === " ") f.space = true;
      else if (c === "0") f.zero = !f.minus;
      else break;
    }
    if (format[i] === "*") {
      i++;
      f.width = takeInt();
      if (f.width === undefined) out += "%!(BADWIDTH)";
      else if (f.width < 0) {
        f.minus = true;
        f.zero = false;
        f.width = -f.width;
      }
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) {
        f.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === ".") {
      i++;
      if (format[i] === "*") {
        i++;
        f.prec = takeInt();
        if (f.prec === undefined || f.prec < 0) {
          f.prec = undefined;
          out += "%!(BADPREC)";
        }
      } else {
        const m = /^\d+/.exec(format.slice(i));
        f.prec = m ? Number(m[0]) : 0;
        i += m ? m[0].length : 0;
      }
    }
    if (i >= format.length) {
      out += "%!(NOVERB)";
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === "%") {
      out += "%";
      continue;
    }
    if (argNum >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argNum++];
    out += verb === "v" && f.sharp ? pad(goSyntax(arg, 0), f) : formatArg(arg, verb, f, 0);
  }
  if (argNum < args.length) {
    const extra = args.slice(argNum).map((a) => (isNil(a) ? "<nil>" : `${goTypeName(a)}=${formatValue(a)}`));
    out += `%!(EXTRA ${extra.join(", ")})`;
  }
  return out;
}
