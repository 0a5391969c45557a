/**
 * Comparing an event's value with a rule's value (DR.md §7 Q2): numbers and decimal numeric
 * strings compare as numbers (`4625` is `"4625"`); booleans equal booleans and the strings
 * `"true"`/`"false"`; anything else compares by its string form. Maps and lists have no
 * string form here: a value operator never matches them.
 */

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a value stands for (a number, or a decimal numeric string), else undefined. */
export function numberOf(v: unknown): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && DECIMAL.test(v)) return Number(v);
  if (typeof v === "bigint") return Number(v);
  return undefined;
}

/** The string form of a scalar; undefined for maps, lists, null and undefined. */
export function stringOf(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
      return v;
    case "number":
    case "boolean":
    case "bigint":
      return String(v);
    default:
      return undefined;
  }
}

/** A rule-side value prepared once: its string form (folded if case-insensitive) and number. */
export interface Prepared {
  readonly raw: unknown;
  readonly str: string | undefined;
  readonly num: number | undefined;
}

export function prepare(raw: unknown, fold: boolean): Prepared {
  const s = stringOf(raw);
  return { raw, str: s !== undefined && fold ? s.toLowerCase() : s, num: numberOf(raw) };
}

/** Q2 equality between an event value and a prepared rule value. */
export function equals(ev: unknown, rv: Prepared, fold: boolean): boolean {
  if (ev === null || rv.raw === null) return ev === rv.raw;
  if (typeof ev === "boolean" || typeof rv.raw === "boolean") {
    const es = stringOf(ev);
    if (es === undefined || rv.str === undefined) return false;
    const bools = (typeof ev === "boolean" || es === "true" || es === "false") && (rv.str === "true" || rv.str === "false");
    return bools && (fold ? es.toLowerCase() : es) === rv.str;
  }
  if (rv.num !== undefined) {
    const en = numberOf(ev);
    if (en !== undefined) return en === rv.num;
  }
  const es = stringOf(ev);
  if (es === undefined || rv.str === undefined) return false;
  return (fold ? es.toLowerCase() : es) === rv.str;
}
