/**
 * Go's `strconv.FormatFloat` for the `e`, `f` and `g` formats (shortest or with a precision),
 * which `fmt` uses for `%v`, `%e`, `%f`, `%g`. Digits with a precision are taken from the
 * exact decimal value of the double and rounded half to even, as Go does, so ties such as
 * `printf "%.2f" 0.125` give Go's `0.12`, not JavaScript's `toFixed` `0.13`.
 */

interface Digits {
  /** Significant decimal digits, no leading or trailing zeros ("" for zero). */
  d: string;
  /** Position of the decimal point relative to the first digit. */
  dp: number;
}

/** The shortest digits that read back as `x` (x > 0), as Go's shortest mode finds them. */
function shortestDigits(x: number): Digits {
  if (x === 0) return { d: "", dp: 0 };
  const [mantissa, exponent] = x.toExponential().split("e") as [string, string];
  const d = mantissa.replace(".", "").replace(/0+$/, "");
  return { d, dp: Number(exponent) + 1 };
}

/** Every decimal digit of the exact binary value of `x` (x ≥ 0). */
function exactDigits(x: number): Digits {
  if (x === 0) return { d: "", dp: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let exp = biased - 1075;
  if (biased === 0) exp = -1074;
  else mant |= 1n << 52n;
  let s: string;
  let dp: number;
  if (exp >= 0) {
    s = (mant << BigInt(exp)).toString();
    dp = s.length;
  } else {
    s = (mant * 5n ** BigInt(-exp)).toString();
    dp = s.length + exp;
  }
  const d = s.replace(/0+$/, "");
  return { d, dp };
}

/** Rounds to `n` significant digits, half to even on the exact value. */
function round(digs: Digits, n: number): Digits {
  const { d, dp } = digs;
  if (n < 0 || n >= d.length) return digs;
  const next = d.charCodeAt(n) - 48;
  const tie = next === 5 && n + 1 === d.length;
  const up = next > 5 || (next === 5 && !tie) || (tie && n > 0 && (d.charCodeAt(n - 1) - 48) % 2 === 1);
  if (!up) {
    const kept = d.slice(0, n).replace(/0+$/, "");
    return { d: kept, dp: kept === "" ? 0 : dp };
  }
  let i = n - 1;
  while (i >= 0 && d[i] === "9") i--;
  if (i < 0) return { d: "1", dp: dp + 1 };
  return { d: d.slice(0, i) + String.fromCharCode(d.charCodeAt(i) + 1), dp };
}

function fmtE(digs: Digits, prec: number, e: string): string {
  let out = digs.d[0] ?? "0";
  if (prec > 0) out += "." + digs.d.slice(1, prec + 1).padEnd(prec, "0");
  const exp = digs.d.length === 0 ? 0 : digs.dp - 1;
  return out + e + (exp < 0 ? "-" : "+") + String(Math.abs(exp)).padStart(2, "0");
}

function fmtF(digs: Digits, prec: number): string {
  const { d, dp } = digs;
  let out = dp > 0 ? d.slice(0, dp).padEnd(dp, "0") : "0";
  if (prec > 0) {
    out += ".";
    for (let i = 1; i <= prec; i++) {
      const j = dp + i - 1;
      out += j >= 0 && j < d.length ? d[j] : "0";
    }
  }
  return out;
}

export type FloatVerb = "e" | "E" | "f" | "g" | "G";

/**
 * Formats |x| (the caller adds the sign) with a Go format and precision (-1: shortest).
 * Infinities come back as "Inf" and NaN as "NaN".
 */
export function formatFloatAbs(x: number, verb: FloatVerb, precision: number): string {
  if (Number.isNaN(x)) return "NaN";
  const abs = Math.abs(x);
  if (abs === Infinity) return "Inf";
  const shortest = precision < 0;
  let prec = precision;
  let digs: Digits;
  if (shortest) {
    digs = shortestDigits(abs);
    prec = verb === "e" || verb === "E" ? digs.d.length - 1 : verb === "f" ? Math.max(digs.d.length - digs.dp, 0) : digs.d.length;
  } else {
    const exact = exactDigits(abs);
    if (verb === "e" || verb === "E") digs = round(exact, prec + 1);
    else if (verb === "f") digs = round(exact, exact.dp + prec);
    else {
      if (prec === 0) prec = 1;
      digs = round(exact, prec);
    }
  }
  if (verb === "e" || verb === "E") return fmtE(digs, prec, verb);
  if (verb === "f") return fmtF(digs, prec);
  let eprec = prec;
  if (eprec > digs.d.length && digs.d.length >= digs.dp) eprec = digs.d.length;
  if (shortest) eprec = 6;
  const exp = digs.dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (prec > digs.d.length) prec = digs.d.length;
    return fmtE(digs, prec - 1, verb === "g" ? "e" : "E");
  }
  if (prec > digs.dp) prec = digs.d.length;
  return fmtF(digs, Math.max(prec - digs.dp, 0));
}

/** Whether a float's sign is negative (including -0, which Go prints as `-0`). */
export const isNegative = (x: number): boolean => x < 0 || Object.is(x, -0);
