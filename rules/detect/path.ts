/**
 * Paths of detection nodes (`event/NETWORK_ACTIVITY/?/DESTINATION/PORT`), compiled once and
 * walked per event with a visitor so that a matching value stops the walk (the operators are
 * "any resolved value"). Decisions of DR.md §7: a plain key applied to a list fans out over
 * its elements (Q4); `?` is any one element or map value, `*` zero or more levels, a numeric
 * key indexes a list (Q5); a missing key resolves to nothing (Q3); a trailing `/` is ignored.
 */

/**
 * `plain`: the key is no property of `Object.prototype`, so reading it from a parsed event's
 * object is undefined exactly when the object lacks it (JSON has no undefined values), and the
 * hot path skips the own-property check that keys like `constructor` need.
 */
export type Segment = { kind: "key"; key: string; index: number; plain: boolean } | { kind: "any" } | { kind: "deep" };

/** A compiled path: its segments (an empty list is the root itself). */
export interface Path {
  readonly source: string;
  readonly segments: readonly Segment[];
}

/** Visitor: return true to stop (a match was found). */
export type Visit = (value: unknown) => boolean;

export function compilePath(source: string): Path {
  const parts = source.split("/").filter((p) => p !== "");
  const segments: Segment[] = parts.map((p): Segment => {
    if (p === "?") return { kind: "any" };
    if (p === "*") return { kind: "deep" };
    return { kind: "key", key: p, index: /^\d+$/.test(p) ? Number(p) : -1, plain: !(p in Object.prototype) };
  });
  return { source, segments };
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Calls `visit` with every value at `segments[i..]` under `value`; true once a visit returned true. */
export function walk(value: unknown, segments: readonly Segment[], i: number, visit: Visit): boolean {
  if (i === segments.length) return visit(value);
  const seg = segments[i] as Segment;
  if (seg.kind === "key") {
    if (Array.isArray(value)) {
      // A numeric key indexes the list; any other key fans out over its elements (Q4, Q5).
      if (seg.index >= 0) return seg.index < value.length ? walk(value[seg.index], segments, i + 1, visit) : false;
      for (const el of value) if (walk(el, segments, i, visit)) return true;
      return false;
    }
    if (!isMap(value)) return false;
    if (seg.plain) {
      const next = value[seg.key];
      return next !== undefined && walk(next, segments, i + 1, visit);
    }
    return Object.hasOwn(value, seg.key) && walk(value[seg.key], segments, i + 1, visit);
  }
  if (seg.kind === "any") {
    if (Array.isArray(value)) {
      for (const el of value) if (walk(el, segments, i + 1, visit)) return true;
    } else if (isMap(value)) {
      for (const k in value) if (walk(value[k], segments, i + 1, visit)) return true;
    }
    return false;
  }
  // `*`: zero levels, then every descendant.
  if (walk(value, segments, i + 1, visit)) return true;
  if (Array.isArray(value)) {
    for (const el of value) if (walk(el, segments, i, visit)) return true;
  } else if (isMap(value)) {
    for (const k in value) if (walk(value[k], segments, i, visit)) return true;
  }
  return false;
}

/** `get`'s answers besides a value: nothing there, or a list on the way (fan out with `walk`). */
export const MISSING: unique symbol = Symbol("missing");
export const FAN_OUT: unique symbol = Symbol("fan out");

/**
 * Where the last `get` that answered FAN_OUT stopped: the value reached and the segment it
 * could not take alone. The caller walks on from there (`walk(fanOut.value, segments,
 * fanOut.at, visit)`) instead of from the root again; evaluation is synchronous, so nothing
 * runs between the two.
 */
export const fanOut: { value: unknown; at: number } = { value: undefined, at: 0 };

/**
 * The one value at `segments[from..]` under `value` when every segment is a plain key and no
 * list is met on the way: the common case, walked without recursion or a visitor. Any other
 * case answers FAN_OUT (see `fanOut`) and the caller walks.
 */
export function get(value: unknown, segments: readonly Segment[], from: number): unknown {
  let v = value;
  for (let i = from; i < segments.length; i++) {
    const seg = segments[i] as Segment;
    if (seg.kind !== "key" || Array.isArray(v)) {
      fanOut.value = v;
      fanOut.at = i;
      return FAN_OUT;
    }
    if (typeof v !== "object" || v === null) return MISSING;
    if (seg.plain) {
      v = (v as Record<string, unknown>)[seg.key];
      if (v === undefined) return MISSING;
      continue;
    }
    // Own keys only: `constructor` of a plain object is not a field of the event.
    if (!Object.hasOwn(v, seg.key)) return MISSING;
    v = (v as Record<string, unknown>)[seg.key];
  }
  return v;
}

/** Every value at `path` under `root`, collected (for lookbacks and scope, not the hot path). */
export function collect(root: unknown, path: Path): unknown[] {
  const out: unknown[] = [];
  walk(root, path.segments, 0, (v) => {
    out.push(v);
    return false;
  });
  return out;
}
