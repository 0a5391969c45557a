/**
 * How JSON-shaped data behaves as Go values inside templates.
 *
 * Rule data is JSON: objects, arrays, strings, numbers, booleans, null. Go would hold it as
 * `map[string]interface{}`, `[]interface{}`, and so on. Numbers need one decision: a JSON
 * number with an integral value behaves as a Go `int` (so an epoch in ms prints
 * `1657925305984`, not float64's `1.657925305984e+12`), any other as a `float64`. A float
 * literal written in a template (`1.0`, `1e6`) stays a float64, as Go evaluates it, and is
 * carried as a GoFloat so it prints like one (`1e+06`).
 *
 * `undefined` is a missing map key (Go's invalid value); `null` is a JSON null (Go's nil).
 */

export class GoFloat {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type GoMap = { [key: string]: unknown };

export const isMissing = (v: unknown): v is undefined => v === undefined;
export const isNil = (v: unknown): v is null | undefined => v === null || v === undefined;
export const isMap = (v: unknown): v is GoMap => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof GoFloat);
export const isNumber = (v: unknown): v is number | GoFloat => typeof v === "number" || v instanceof GoFloat;
export const numberValue = (v: number | GoFloat): number => (typeof v === "number" ? v : v.value);
/** Whether Go would hold this number as an int (rather than a float64). */
export const isGoInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && Math.abs(v) < 2 ** 63;

/** Go's truth: false, 0, nil, and empty strings, slices and maps are false. */
export function isTrue(v: unknown): boolean {
  if (isNil(v)) return false;
  if (typeof v === "boolean") return v;
  if (isNumber(v)) return numberValue(v) !== 0;
  if (typeof v === "string" || Array.isArray(v)) return v.length > 0;
  if (isMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** The Go type name of a value, as `%T` and error messages print it. */
export function goTypeName(v: unknown): string {
  if (isNil(v)) return "<nil>";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "bool";
  if (isGoInt(v)) return "int";
  if (isNumber(v)) return "float64";
  if (Array.isArray(v)) return "[]interface {}";
  return "map[string]interface {}";
}

/** Compares strings by code point, which is Go's byte order of their UTF-8 forms. */
export function compareGoStrings(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done ? (y.done ? 0 : -1) : 1;
    const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
    if (d !== 0) return d;
  }
}

/** Map keys in the order Go visits them when printing or ranging: sorted. */
export const sortedKeys = (m: GoMap): string[] => Object.keys(m).sort(compareGoStrings);

const encoder = new TextEncoder();
/** Go's len of a string counts UTF-8 bytes. */
export const utf8Bytes = (s: string): Uint8Array => encoder.encode(s);
