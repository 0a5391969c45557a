/**
 * Go literal syntax inside actions: interpreted strings with Go escapes, raw strings,
 * character constants and numbers (with Go's int/float distinction, which printing needs).
 */

const SIMPLE_ESCAPES: Record<string, string> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

/** Decodes a quoted Go literal (`"…"` or `'…'`); returns undefined when an escape is invalid. */
export function unquoteGo(lit: string): string | undefined {
  const quote = lit[0];
  if (quote === "`") return lit.slice(1, -1).replaceAll("\r", "");
  const body = lit.slice(1, -1);
  let out = "";
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[i + 1] ?? "";
    i++;
    if (e in SIMPLE_ESCAPES) {
      // `\'` is valid only in character constants and `\"` only in strings, as in Go.
      if ((e === "'" && quote === '"') || (e === '"' && quote === "'")) return undefined;
      out += SIMPLE_ESCAPES[e];
      continue;
    }
    const hexLen = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
    if (hexLen > 0) {
      const hex = body.slice(i + 1, i + 1 + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) return undefined;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000 && e !== "x")) return undefined;
      out += String.fromCodePoint(code);
      i += hexLen;
      continue;
    }
    if (e >= "0" && e <= "7") {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) return undefined;
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
      continue;
    }
    return undefined;
  }
  return out;
}

/** A numeric literal's value, and whether Go evaluates it as a float64 (it has `.`, `e` or `p`). */
export function parseGoNumber(text: string): { value: number; isFloat: boolean } | undefined {
  if (text.endsWith("i")) return undefined;
  const clean = text.replaceAll("_", "");
  const sign = clean.startsWith("-") ? -1 : 1;
  const unsigned = clean.replace(/^[+-]/, "");
  const isHex = /^0[xX]/.test(unsigned);
  const isFloat = isHex ? /[.pP]/.test(unsigned) : /[.eE]/.test(unsigned);
  let value: number;
  if (/^0[bB]/.test(unsigned)) value = parseInt(unsigned.slice(2), 2);
  else if (/^0[oO]/.test(unsigned)) value = parseInt(unsigned.slice(2), 8);
  else if (isHex && !isFloat) value = parseInt(unsigned.slice(2), 16);
  else if (isHex) return undefined;
  else if (!isFloat && /^0[0-7]+$/.test(unsigned)) value = parseInt(unsigned, 8);
  else value = Number(unsigned);
  if (!Number.isFinite(value)) return undefined;
  return { value: sign * value, isFloat };
}
