/**
 * Operators that test the value(s) at a path (DR.md §4.2–4.10, 4.18): each compiles its
 * parameters once and returns a test that matches when any resolved value passes (Q3: no
 * value, no match). `fold` is the node's effective case-insensitivity.
 */
import { RE2JS } from "re2js";
import { cachedIp, inNetwork, isPrivate, isPublic, type Network, parseNetwork } from "./ip.ts";
import { eventSide, ruleSide } from "./operands.ts";
import type { Params } from "./params.ts";
import { requiredLiteral } from "./regex-literal.ts";
import { levenshtein } from "./strings.ts";
import type { CompileEnv, Test } from "./types.ts";
import { equals, numberOf, type Prepared, prepare, stringOf } from "./values.ts";

export type OpCompiler = (p: Params, fold: boolean, env: CompileEnv) => Test;

/** Any event value against any rule value with `cmp`. */
function pairwise(p: Params, fold: boolean, env: CompileEnv, cmp: (ev: unknown, rv: Prepared) => boolean): Test {
  const events = eventSide(p, true, true);
  const rules = ruleSide(p, "value", fold, env, true);
  const rv = rules.constant;
  if (rv) {
    // A literal value: one visitor for every evaluation.
    const visit = (ev: unknown) => cmp(ev, rv);
    return (s) => events(s, visit);
  }
  return (s) => {
    const rvs = rules(s);
    if (rvs.length === 0) return false;
    return events(s, (ev) => {
      for (const rv of rvs) if (cmp(ev, rv)) return true;
      return false;
    });
  };
}

/**
 * The last strings folded, and their folds: the rules of an event fold the same few fields
 * (command line, file path, domain) again and again, interleaved, so one slot would thrash.
 */
const FOLD_SLOTS = 4;
const folded: string[] = new Array(FOLD_SLOTS).fill("");
const folds: string[] = new Array(FOLD_SLOTS).fill("");
let nextSlot = 0;

function foldOf(s: string): string {
  for (let i = 0; i < FOLD_SLOTS; i++) if (folded[i] === s) return folds[i] as string;
  const f = s.toLowerCase();
  folded[nextSlot] = s;
  folds[nextSlot] = f;
  nextSlot = (nextSlot + 1) % FOLD_SLOTS;
  return f;
}

/** The event value's string form, folded when case-insensitive. */
function str(ev: unknown, fold: boolean): string | undefined {
  const s = stringOf(ev);
  if (s === undefined || !fold) return s;
  return foldOf(s);
}

function countOccurrences(hay: string, needle: string, atLeast: number): boolean {
  if (needle === "") return true;
  let n = 0;
  for (let i = hay.indexOf(needle); i >= 0; i = hay.indexOf(needle, i + needle.length)) if (++n >= atLeast) return true;
  return false;
}

function contains(p: Params, fold: boolean, env: CompileEnv): Test {
  const count = p.int("count", 1, 1_000_000, false) ?? 1;
  return pairwise(p, fold, env, (ev, rv) => {
    const e = str(ev, fold);
    return e !== undefined && rv.str !== undefined && countOccurrences(e, rv.str, count);
  });
}

function matches(p: Params, _fold: boolean): Test {
  const src = p.string("re");
  // Q1: case-insensitive unless `case sensitive: true`.
  const flags = p.optionalBool("case sensitive") === true ? 0 : RE2JS.CASE_INSENSITIVE;
  let re: RE2JS;
  try {
    re = RE2JS.compile(src, flags);
  } catch (e) {
    return p.fail("re", `invalid RE2 regular expression: ${(e as Error).message}`);
  }
  const events = eventSide(p, true, true);
  const literal = requiredLiteral(src, flags !== 0);
  const visit =
    literal === undefined
      ? (ev: unknown) => {
          const e = stringOf(ev);
          return e !== undefined && re.test(e);
        }
      : (ev: unknown) => {
          // Without the literal no match is possible: skip the regex engine.
          const e = stringOf(ev);
          return e !== undefined && (str(e, flags !== 0) as string).includes(literal) && re.test(e);
        };
  return (s) => events(s, visit);
}

function stringDistance(p: Params, fold: boolean): Test {
  const raw = p.required("value");
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || list.some((v) => typeof v !== "string")) p.fail("value", "must be a string or a list of strings");
  const targets = (list as string[]).map((v) => (fold ? v.toLowerCase() : v));
  const max = p.int("max", 0, 1000, true) as number;
  const events = eventSide(p, true, true);
  const visit = (ev: unknown) => {
    const e = str(ev, fold);
    if (e === undefined) return false;
    for (const t of targets) if (levenshtein(e, t, max) <= max) return true;
    return false;
  };
  return (s) => events(s, visit);
}

function exists(p: Params): Test {
  const truthy = p.optionalBool("truthy") === true;
  const events = eventSide(p, false, false);
  const visit = truthy ? (v: unknown) => v !== null && v !== "" : () => true;
  return (s) => events(s, visit);
}

/** Length in code points (a surrogate pair counts once), without building an array. */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
      const p = s.charCodeAt(i - 1);
      if (p >= 0xd800 && p <= 0xdbff) n--;
    }
  }
  return n;
}

function lengthOf(v: unknown): number | undefined {
  if (Array.isArray(v)) return v.length;
  if (typeof v === "object" && v !== null) return Object.keys(v).length;
  const s = stringOf(v);
  return s === undefined ? undefined : codePoints(s);
}

/**
 * `length of` against a limit, deciding most strings by their UTF-16 length alone: a string
 * has between half as many and as many code points as UTF-16 units, so only a string whose
 * bounds straddle the limit is counted.
 */
function lengthBeyond(v: unknown, limit: number, greater: boolean): boolean {
  if (typeof v === "string") {
    const most = v.length;
    const least = Math.ceil(most / 2);
    if (greater ? most <= limit : least >= limit) return false;
    if (greater ? least > limit : most < limit) return true;
  }
  const n = lengthOf(v);
  return n !== undefined && (greater ? n > limit : n < limit);
}

function compare(greater: boolean): OpCompiler {
  return (p, fold, env) => {
    const useLength = p.optionalBool("length of") === true;
    const raw = p.required("value");
    if (typeof raw !== "string" || !/^(<<.+>>|\[\[.+\]\])$/.test(raw)) {
      if (numberOf(raw) === undefined) p.fail("value", "must be a number");
    }
    const events = eventSide(p, !useLength, false);
    const rules = ruleSide(p, "value", fold, env, true);
    const limit = rules.constant?.num;
    if (limit !== undefined) {
      const visit = useLength
        ? (ev: unknown) => lengthBeyond(ev, limit, greater)
        : (ev: unknown) => {
            const n = numberOf(ev);
            return n !== undefined && (greater ? n > limit : n < limit);
          };
      return (s) => events(s, visit);
    }
    return (s) => {
      const rvs = rules(s);
      return events(s, (ev) => {
        const n = useLength ? lengthOf(ev) : numberOf(ev);
        if (n === undefined) return false;
        for (const rv of rvs) if (rv.num !== undefined && (greater ? n > rv.num : n < rv.num)) return true;
        return false;
      });
    };
  };
}

function olderThan(p: Params): Test {
  const seconds = p.number("seconds");
  const events = eventSide(p, true, false);
  return (s) =>
    events(s, (ev) => {
      const n = numberOf(ev);
      if (n === undefined) return false;
      // Q30: above 10^11 the value is milliseconds, else seconds.
      const ms = n > 1e11 ? n : n * 1000;
      return s.ctx.now - ms > seconds * 1000;
    });
}

function cidr(p: Params): Test {
  const net = parseNetwork(p.string("cidr").trim()) as Network;
  if (!net) p.fail("cidr", "must be a network such as 10.0.0.0/8 or fc00::/7");
  const events = eventSide(p, true, false);
  const visit = (ev: unknown) => {
    const ip = typeof ev === "string" ? cachedIp(ev) : undefined;
    return ip !== undefined && inNetwork(ip, net);
  };
  return (s) => events(s, visit);
}

function address(pub: boolean, family: 4 | 6 | undefined): OpCompiler {
  return (p) => {
    const events = eventSide(p, true, false);
    const visit = (ev: unknown) => {
      const ip = typeof ev === "string" ? cachedIp(ev) : undefined;
      if (!ip || (family !== undefined && ip.v !== family)) return false;
      return pub ? isPublic(ip) : isPrivate(ip);
    };
    return (s) => events(s, visit);
  };
}

function inValues(p: Params, fold: boolean): Test {
  const values = p.list("values");
  if (values.length === 0 || values.some((v) => typeof v === "object" && v !== null))
    p.fail("values", "must be a non-empty list of strings, numbers or booleans");
  const prepared = values.map((v) => prepare(v, fold));
  const events = eventSide(p, true, true);
  const visit = (ev: unknown) => {
    for (const rv of prepared) if (equals(ev, rv, fold)) return true;
    return false;
  };
  return (s) => events(s, visit);
}

/** Operator name → compiler. */
export const VALUE_OPS: ReadonlyMap<string, OpCompiler> = new Map<string, OpCompiler>([
  ["is", (p, fold, env) => pairwise(p, fold, env, (ev, rv) => equals(ev, rv, fold))],
  ["in", inValues],
  ["contains", contains],
  ["starts with", (p, fold, env) => pairwise(p, fold, env, (ev, rv) => rv.str !== undefined && str(ev, fold)?.startsWith(rv.str) === true)],
  ["ends with", (p, fold, env) => pairwise(p, fold, env, (ev, rv) => rv.str !== undefined && str(ev, fold)?.endsWith(rv.str) === true)],
  ["matches", matches],
  ["string distance", stringDistance],
  ["exists", exists],
  ["is greater than", compare(true)],
  ["is lower than", compare(false)],
  ["is older than", olderThan],
  ["cidr", cidr],
  ["is public address", address(true, undefined)],
  ["is private address", address(false, undefined)],
  ["is public ipv4 address", address(true, 4)],
  ["is public ipv6 address", address(true, 6)],
  ["is private ipv4 address", address(false, 4)],
  ["is private ipv6 address", address(false, 6)],
]);
