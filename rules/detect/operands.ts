/**
 * The two sides of a value operator. Event side: the values at `path` (scope-aware, lists at
 * the end fanned out, `file name`/`sub domain` applied). Rule side: the literal `value`, a
 * `<<path>>` lookback into the same event, or a `[[name]]` sensor variable (any member may
 * match; an empty or missing variable matches nothing) — DR.md §3, Q17.
 */
import { compilePath, FAN_OUT, fanOut, get, MISSING, type Path, type Visit, walk } from "./path.ts";
import type { Params } from "./params.ts";
import { applySubDomain, fileName, parseSubDomain, type SubDomain } from "./strings.ts";
import { type CompileEnv, NO_ELEMENT, type State } from "./types.ts";
import { type Prepared, prepare, stringOf } from "./values.ts";

/** Resolves a compiled path in a state; `scope` re-roots `event/` and bare paths at its element (Q6). */
export type Resolver = (s: State, visit: Visit) => boolean;

export function resolver(path: Path): Resolver {
  const segs = path.segments;
  const head = segs[0];
  const headKey = head?.kind === "key" ? head.key : undefined;
  return (s, visit) => {
    if (s.element === NO_ELEMENT) return walk(s.doc, segs, 0, visit);
    if (headKey === "routing") return walk(s.input, segs, 0, visit);
    if (headKey === "event") return walk(s.element, segs, 1, visit);
    return walk(s.element, segs, 0, visit);
  };
}

/** Like `resolver`, but answers the one value directly (or MISSING, or FAN_OUT: then walk). */
export function getter(path: Path): (s: State) => unknown {
  const segs = path.segments;
  const head = segs[0];
  const headKey = head?.kind === "key" ? head.key : undefined;
  return (s) => {
    if (s.element === NO_ELEMENT) return get(s.doc, segs, 0);
    if (headKey === "routing") return get(s.input, segs, 0);
    if (headKey === "event") return get(s.element, segs, 1);
    return get(s.element, segs, 0);
  };
}

const visitNothing: Visit = () => false;

/** The event-side values of a node: `visit` sees every candidate; true stops the walk. */
export type EventSide = (s: State, visit: Visit) => boolean;

/**
 * Compiles `path` plus the transforms. `flatten` fans out a list found at the end of the path
 * (every value operator but `exists` and `length of`, which look at the list itself).
 */
export function eventSide(p: Params, flatten: boolean, transforms: boolean): EventSide {
  const path = compilePath(p.string("path"));
  // The common case (plain keys, no list on the way, one value) skips the walk and its closures.
  const fast = getter(path);
  let transform: ((v: unknown, visit: Visit) => boolean) | undefined;
  if (transforms) {
    const fn = p.optionalBool("file name") === true;
    let sd: SubDomain | undefined;
    if (p.has("sub domain")) {
      const spec = p.node["sub domain"];
      sd = typeof spec === "string" || typeof spec === "number" ? parseSubDomain(String(spec)) : undefined;
      if (!sd) p.fail("sub domain", 'must be a slice such as "0:2", "-1", "1:" or ":"');
    }
    if (fn || sd) {
      const subdomain = sd;
      transform = (v, visit) => {
        let str = stringOf(v);
        if (str === undefined) return false;
        if (fn) str = fileName(str);
        if (!subdomain) return visit(str);
        for (const part of applySubDomain(str, subdomain)) if (visit(part)) return true;
        return false;
      };
    }
  }
  const segs = path.segments;
  // A walk goes on from where `fast` stopped (the one value reached before a list or a wildcard).
  const walkOn = (visit: Visit) => {
    const from = fanOut.value;
    fanOut.value = undefined;
    return walk(from, segs, fanOut.at, visit);
  };
  if (!flatten)
    return (s, visit) => {
      const v = fast(s);
      if (v === MISSING) return false;
      return v === FAN_OUT ? walkOn(visit) : visit(v);
    };
  const t = transform;
  const flattening = (visit: Visit): Visit => {
    const each: Visit = (x) => {
      if (Array.isArray(x)) {
        for (const el of x) if (each(el)) return true;
        return false;
      }
      return t ? t(x, visit) : visit(x);
    };
    return each;
  };
  // Operators with a literal value pass the same visitor every time: its flattening visitor is
  // built once, not per event (a closure per evaluation is garbage on the hot path).
  let lastVisit: Visit | null = null;
  let lastEach: Visit = visitNothing;
  return (s, visit) => {
    const v = fast(s);
    if (v === MISSING) return false;
    if (v !== FAN_OUT && !Array.isArray(v)) return t ? t(v, visit) : visit(v);
    if (visit !== lastVisit) {
      lastVisit = visit;
      lastEach = flattening(visit);
    }
    const each = lastEach;
    return v === FAN_OUT ? walkOn(each) : each(v);
  };
}

/**
 * The rule-side values of a node, prepared (string form folded when case-insensitive);
 * `constant` is set for a literal `value`, so operators can build their visitor once.
 */
export type RuleSide = ((s: State) => readonly Prepared[]) & { constant?: Prepared };

const LOOKBACK = /^<<(.+)>>$/;
const VARIABLE = /^\[\[(.+)\]\]$/;

export function ruleSide(p: Params, key: string, fold: boolean, env: CompileEnv, modifiers: boolean): RuleSide {
  const raw = p.required(key);
  if (typeof raw === "object") p.fail(key, "must be a string, number or boolean");
  if (modifiers && typeof raw === "string") {
    const lb = LOOKBACK.exec(raw);
    if (lb) {
      const res = resolver(compilePath(lb[1] as string));
      return (s) => {
        const out: Prepared[] = [];
        res(s, function each(v): boolean {
          if (Array.isArray(v)) for (const el of v) each(el);
          else out.push(prepare(v, fold));
          return false;
        });
        return out;
      };
    }
    const vr = VARIABLE.exec(raw);
    if (vr) {
      const name = vr[1] as string;
      env.variables.add(name);
      return (s) => (s.ctx.variable?.(name) ?? []).map((v) => prepare(v, fold));
    }
  }
  const value = prepare(raw, fold);
  const constant = [value];
  return Object.assign(() => constant, { constant: value });
}
