/**
 * String helpers of the detect operators: Levenshtein distance over code points (Q31), the
 * `file name` transform (last component for `/` and `\`), and the `sub domain` slice
 * (Python-style, on `.`-separated labels; `":"` tests each label on its own).
 */

/** Two reusable rows of the distance table (grown on demand): no allocation per comparison. */
let rowA = new Int32Array(64);
let rowB = new Int32Array(64);

/** The code points of `s` as char codes when it has no surrogate (the common case), else an array of code points. */
function units(s: string): string | number[] {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) return Array.from(s, (ch) => ch.codePointAt(0) as number);
  }
  return s;
}

function at(u: string | number[], i: number): number {
  return typeof u === "string" ? u.charCodeAt(i) : (u[i] as number);
}

/**
 * Levenshtein distance over code points (Q31). With `max`, the answer is exact up to `max`
 * and some number above `max` beyond it: a row whose every cell exceeds `max` ends the work.
 */
export function levenshtein(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  const x = units(a);
  const y = units(b);
  if (Math.abs(x.length - y.length) > max) return max + 1;
  if (rowA.length <= y.length) {
    rowA = new Int32Array(y.length + 1);
    rowB = new Int32Array(y.length + 1);
  }
  let prev = rowA;
  let cur = rowB;
  for (let j = 0; j <= y.length; j++) prev[j] = j;
  for (let i = 1; i <= x.length; i++) {
    cur[0] = i;
    let best = i;
    const xc = at(x, i - 1);
    for (let j = 1; j <= y.length; j++) {
      const cost = xc === at(y, j - 1) ? 0 : 1;
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      cur[j] = v;
      if (v < best) best = v;
    }
    if (best > max) return max + 1;
    const t = prev;
    prev = cur;
    cur = t;
  }
  return prev[y.length] as number;
}

export function fileName(s: string): string {
  const i = Math.max(s.lastIndexOf("/"), s.lastIndexOf("\\"));
  return i >= 0 ? s.slice(i + 1) : s;
}

/** A parsed `sub domain` parameter: one label (`"-1"`), a slice (`"0:2"`, `"1:"`), or each label (`":"`). */
export type SubDomain = { kind: "index"; i: number } | { kind: "slice"; start?: number; end?: number } | { kind: "each" };

export function parseSubDomain(spec: string): SubDomain | undefined {
  const s = spec.trim();
  if (s === ":") return { kind: "each" };
  const int = /^[+-]?\d+$/;
  if (int.test(s)) return { kind: "index", i: Number(s) };
  const m = /^([+-]?\d+)?:([+-]?\d+)?$/.exec(s);
  if (!m) return undefined;
  return { kind: "slice", start: m[1] === undefined ? undefined : Number(m[1]), end: m[2] === undefined ? undefined : Number(m[2]) };
}

function clamp(i: number, n: number): number {
  if (i < 0) return Math.max(0, n + i);
  return Math.min(i, n);
}

/** The value(s) the operator tests after the `sub domain` transform. */
export function applySubDomain(value: string, sd: SubDomain): string[] {
  const labels = value.split(".");
  if (sd.kind === "each") return labels;
  if (sd.kind === "index") {
    const i = sd.i < 0 ? labels.length + sd.i : sd.i;
    return i >= 0 && i < labels.length ? [labels[i] as string] : [];
  }
  const start = clamp(sd.start ?? 0, labels.length);
  const end = clamp(sd.end ?? labels.length, labels.length);
  return [labels.slice(start, end).join(".")];
}
