/**
 * Compiles one detection node (and its children) into a test: the operator, then the
 * parameters every node accepts — `event`/`events` (exact, case-sensitive; Q33: a nested node
 * of another event type is false), `times` (Q11), `not`. Structural operators (`and`, `or`,
 * `scope`, `lookup`) and sensor-context operators (platform, architecture, tags) live here;
 * value operators in value-ops.ts.
 */
import { childPath, RuleError } from "./errors.ts";
import { compilePath } from "./path.ts";
import { eventSide, resolver } from "./operands.ts";
import { isMap, Params } from "./params.ts";
import { ARCH_OPS, PLATFORM_SHORTHANDS, PLATFORMS, platformIs } from "./platform.ts";
import { inWindows, type TimeWindow, zoneFormatter } from "./times.ts";
import { type CompileEnv, type MutableState, NO_CTX, NO_ELEMENT, type State, type Test } from "./types.ts";
import { VALUE_OPS } from "./value-ops.ts";
import { numberOf, stringOf } from "./values.ts";

/** Keys of stateful rules (DR.md §4.19), not evaluated by this engine yet. */
const STATEFUL = ["with child", "with descendant", "with events", "is stateless", "report latest event", "within"];

/**
 * `routing/<key>` of the input, for the keys the engine reads itself (`event_type`, `plat`,
 * `arch`, `tags`, `event_time`): none is a property of Object or Array prototypes, so a plain
 * read answers undefined for a list or a missing routing without testing for either (the
 * hottest read: every rule's event type).
 */
function routingField(s: State, key: string): unknown {
  const input = s.input as { routing?: unknown } | null;
  if (typeof input !== "object" || input === null) return undefined;
  const routing = input.routing as Record<string, unknown> | null | undefined;
  return typeof routing === "object" && routing !== null ? routing[key] : undefined;
}

/** `hive://lookup/NAME`, `lcr://lookup/NAME` or `lookup/NAME` → NAME (Q13/Q14/Q16). */
export function lookupName(resource: string): string | undefined {
  const m = /^(?:hive:\/\/lookup\/|lcr:\/\/lookup\/|lookup\/)([^/]+)$/.exec(resource);
  return m ? m[1] : undefined;
}

/** The `.mtd` key of a lookup's metadata: `lookup_NAME` with `/`, `:`, `-` as `_`. */
export function mtdKey(name: string): string {
  return `lookup_${name}`.replace(/[/:-]/g, "_");
}

const foldedIndex = new WeakMap<object, Map<string, unknown>>();

function lookupFolded(table: Readonly<Record<string, unknown>>, key: string): unknown {
  let idx = foldedIndex.get(table);
  if (!idx) {
    idx = new Map();
    for (const [k, v] of Object.entries(table)) if (!idx.has(k.toLowerCase())) idx.set(k.toLowerCase(), v);
    foldedIndex.set(table, idx);
  }
  return idx.get(key.toLowerCase());
}

function compileLookup(p: Params, fold: boolean, env: CompileEnv): Test {
  const resource = p.string("resource");
  const name = lookupName(resource);
  if (!name)
    throw new RuleError(
      p.at("resource"),
      `unsupported resource '${resource}': only hive://lookup/<name> is served`,
      "unsupported_resource",
    );
  env.lookups.add(name);
  const meta = p.has("metadata_rules") ? compileNode(p.node.metadata_rules, p.at("metadata_rules"), env) : undefined;
  const key = mtdKey(name);
  const events = eventSide(p, true, true);
  return (s) => {
    const table = s.ctx.lookup?.(name);
    if (!table) return false;
    return events(s, (ev) => {
      const k = stringOf(ev);
      if (k === undefined) return false;
      const found = fold ? lookupFolded(table, k) : Object.hasOwn(table, k) ? table[k] : undefined;
      if (found === undefined) return false;
      if (meta && !meta({ input: s.input, doc: found, element: NO_ELEMENT, ctx: s.ctx, mtd: s.mtd })) return false;
      s.mtd[key] = found;
      return true;
    });
  };
}

function compileScope(p: Params, env: CompileEnv): Test {
  const res = resolver(compilePath(p.string("path")));
  if (!isMap(p.node.rule))
    p.fail(p.has("rule") ? "rule" : null, p.has("rule") ? "must be a detection node" : "missing parameter 'rule' for operator 'scope'");
  const child = compileNode(p.node.rule, p.at("rule"), env);
  // One state and one visitor per scope node, refilled per evaluation: a node is never
  // re-entered while it runs (its children are other nodes), and evaluation is synchronous.
  const inner: MutableState = { input: null, doc: null, element: NO_ELEMENT, ctx: NO_CTX, mtd: {} };
  const each = (el: unknown) => {
    inner.element = el;
    return child(inner);
  };
  const visit = (v: unknown) => {
    if (Array.isArray(v)) {
      for (const el of v) if (each(el)) return true;
      return false;
    }
    return each(v);
  };
  return (s) => {
    inner.input = s.input;
    inner.doc = s.doc;
    inner.ctx = s.ctx;
    inner.mtd = s.mtd;
    const matched = res(s, visit);
    inner.input = inner.doc = inner.element = null;
    return matched;
  };
}

function compileChildren(p: Params, env: CompileEnv): Test[] {
  const rules = p.list("rules");
  if (rules.length === 0) p.fail("rules", "must list at least one node");
  return rules.map((r, i) => compileNode(r, childPath(p.at("rules"), i), env));
}

function compileOp(op: string, p: Params, fold: boolean, env: CompileEnv): Test {
  const valueOp = VALUE_OPS.get(op);
  if (valueOp) return valueOp(p, fold, env);
  switch (op) {
    // Plain loops: a callback per evaluation (every/some) is an allocation on the hot path.
    case "and": {
      const kids = compileChildren(p, env);
      return (s) => {
        for (let i = 0; i < kids.length; i++) if (!(kids[i] as Test)(s)) return false;
        return true;
      };
    }
    case "or": {
      const kids = compileChildren(p, env);
      return (s) => {
        for (let i = 0; i < kids.length; i++) if ((kids[i] as Test)(s)) return true;
        return false;
      };
    }
    case "scope":
      return compileScope(p, env);
    case "lookup":
      return compileLookup(p, fold, env);
    case "is platform": {
      const name = p.string("name");
      const code = PLATFORMS.get(name);
      if (code === undefined) p.fail("name", `unknown platform '${name}'`);
      return (s) => platformIs(routingField(s, "plat"), code);
    }
    case "is tagged": {
      const tag = p.string("tag");
      return (s) => {
        const tags = routingField(s, "tags");
        return Array.isArray(tags) ? tags.includes(tag) : false;
      };
    }
    case "external":
    case "yara":
      throw new RuleError(p.at("op"), `operator '${op}' needs a resource this platform does not serve`, "unsupported_resource");
  }
  const shorthand = PLATFORM_SHORTHANDS.get(op);
  if (shorthand) {
    const code = PLATFORMS.get(shorthand) as number;
    return (s) => platformIs(routingField(s, "plat"), code);
  }
  const arch = ARCH_OPS.get(op);
  if (arch) {
    return (s) => {
      const a = numberOf(routingField(s, "arch"));
      return a !== undefined && arch.includes(a);
    };
  }
  return p.fail("op", `unknown operator '${op}'`);
}

function compileTimes(p: Params): TimeWindow[] {
  return p.list("times").map((w, i) => {
    const at = childPath(p.at("times"), i);
    if (!isMap(w)) throw new RuleError(at, "must be a time window");
    const wp = new Params(w, at);
    const tz = wp.string("tz");
    if (!zoneFormatter(tz)) wp.fail("tz", `unknown time zone '${tz}'`);
    const hhmm = (k: string) => {
      const n = wp.int(k, 0, 2359, true) as number;
      if (n % 100 > 59) wp.fail(k, "must be HHMM");
      return n;
    };
    return {
      dayStart: wp.int("day_of_week_start", 1, 7, true) as number,
      dayEnd: wp.int("day_of_week_end", 1, 7, true) as number,
      timeStart: hhmm("time_of_day_start"),
      timeEnd: hhmm("time_of_day_end"),
      tz,
    };
  });
}

/** Event types a node selects (`event`/`events`), or undefined when it selects every one. */
export function selectedTypes(p: Params): string[] | undefined {
  if (p.has("event") && p.has("events")) p.fail("events", "use either 'event' or 'events'");
  if (p.has("event")) return [p.string("event")];
  if (!p.has("events")) return undefined;
  const list = p.list("events");
  if (list.length === 0 || list.some((e) => typeof e !== "string")) p.fail("events", "must be a non-empty list of names");
  return list as string[];
}

/** Compiles the node at `path`. */
export function compileNode(raw: unknown, path: string, env: CompileEnv): Test {
  return compileNodeParts(raw, path, env).test;
}

/**
 * Compiles the node at `path`: its test, and the same test without its `event`/`events`
 * check (`untyped`), for a caller that has already selected the input by type (a rule set
 * indexed by the types its roots select).
 */
export function compileNodeParts(raw: unknown, path: string, env: CompileEnv): { test: Test; untyped: Test } {
  if (!isMap(raw)) throw new RuleError(path, "must be a detection node (a map with 'op')");
  const p = new Params(raw, path);
  for (const k of STATEFUL) if (p.has(k)) p.fail(k, "stateful rules are not supported yet");
  if (p.has("count") && raw.op !== "contains") p.fail("count", "stateful rules are not supported yet");
  if (!p.has("op")) p.fail(null, "missing parameter 'op'");
  const op = raw.op;
  if (typeof op !== "string") return p.fail("op", "must be a string");
  const sensitive = p.optionalBool("case sensitive");
  const negate = p.optionalBool("not") === true;
  let test = compileOp(op, p, sensitive === false, env);

  if (negate) {
    const op = test;
    test = (s) => !op(s);
  }
  // `not` inverts the operator only: outside its windows or its event types a node is false.
  if (p.has("times")) {
    const windows = compileTimes(p);
    const inner = test;
    test = (s) => {
      const t = numberOf(routingField(s, "event_time"));
      return t !== undefined && inWindows(t, windows) && inner(s);
    };
  }
  const untyped = test;
  const types = selectedTypes(p);
  if (types && !types.includes("*")) {
    const inner = test;
    const field =
      env.target === "detection" ? (s: State) => (isMap(s.input) ? s.input.cat : undefined) : (s: State) => routingField(s, "event_type");
    const set = new Set(types);
    test = (s) => {
      const t = field(s);
      return typeof t === "string" && set.has(t) && inner(s);
    };
  }
  return { test, untyped };
}
