/**
 * The functions a rule template may call: Go's builtins (`index`, `len`, `eq` … `ge`, `and`,
 * `or`, `not`, `print`, `printf`, `println`) with Go's semantics and error wording, and the
 * product's additions (`token`, `anon`, `json`, `prettyjson`, `parsetime`, `split`, `join`,
 * `replace`, `base`, `dir`). `and`/`or` are evaluated lazily by the executor (they stop at
 * the first operand that decides, and return that operand, as Go ≥ 1.18 does).
 */
import { TemplateEvalError } from "./errors.ts";
import { goJson } from "./go-json.ts";
import { formatValue, sprint, sprintf, sprintln } from "./go-fmt.ts";
import { convertGoTime } from "./go-time.ts";
import { md5Hex } from "./md5.ts";
import { compareGoStrings, goTypeName, isGoInt, isMap, isNil, isNumber, isTrue, numberValue, utf8Bytes } from "./values.ts";

export interface FunctionContext {
  /** The secret seed `anon` hashes in front of its value; absent: `anon` fails. */
  anonSeed: string | undefined;
}

type Fn = (args: unknown[], ctx: FunctionContext) => unknown;

interface FunctionDef {
  /** Fixed parameter count, or the minimum for variadic functions. */
  arity: number;
  variadic?: boolean;
  call: Fn;
}

/** Go's typed parameters: a string parameter refuses anything but a string. */
function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (isNil(v)) throw new TemplateEvalError("invalid value; expected string");
  throw new TemplateEvalError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

type Kind = "bool" | "number" | "string" | "invalid" | "other";

function basicKind(v: unknown): Kind {
  if (isNil(v)) return "invalid";
  if (typeof v === "boolean") return "bool";
  if (isNumber(v)) return "number";
  if (typeof v === "string") return "string";
  return "other";
}

/**
 * Go's `eq arg1 arg2…`: true if arg1 equals any later argument. Ints and floats compare by
 * value (Go would refuse to compare an int with a float, but JSON numbers do not carry that
 * difference); nil equals only nil; slices and maps cannot be compared.
 */
function eq(args: unknown[]): boolean {
  const [a, ...rest] = args;
  if (rest.length === 0) throw new TemplateEvalError("missing argument for comparison");
  const ka = basicKind(a);
  for (const b of rest) {
    const kb = basicKind(b);
    if (ka === "other" || kb === "other") {
      if (ka === "invalid" || kb === "invalid") continue;
      throw new TemplateEvalError(`non-comparable type ${formatValue(ka === "other" ? a : b)}: ${goTypeName(ka === "other" ? a : b)}`);
    }
    if (ka !== kb) {
      if (ka !== "invalid" && kb !== "invalid") throw new TemplateEvalError("incompatible types for comparison");
      continue;
    }
    if (ka === "invalid") return true;
    if (ka === "number" ? numberValue(a as number) === numberValue(b as number) : a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = basicKind(a);
  const kb = basicKind(b);
  if (ka === "bool" || ka === "invalid" || ka === "other" || kb === "bool" || kb === "invalid" || kb === "other") {
    throw new TemplateEvalError("invalid type for comparison");
  }
  if (ka !== kb) throw new TemplateEvalError("incompatible types for comparison");
  if (ka === "string") return compareGoStrings(a as string, b as string) < 0;
  return numberValue(a as number) < numberValue(b as number);
}

function index(args: unknown[]): unknown {
  let [item] = args;
  if (isNil(item)) throw new TemplateEvalError("index of untyped nil");
  for (const key of args.slice(1)) {
    if (isNil(item)) throw new TemplateEvalError("index of nil pointer");
    if (Array.isArray(item) || typeof item === "string") {
      if (isNil(key)) throw new TemplateEvalError("cannot index slice/array with nil");
      if (!isGoInt(key)) throw new TemplateEvalError(`cannot index slice/array with type ${goTypeName(key)}`);
      const bytes = typeof item === "string" ? utf8Bytes(item) : item;
      if (key < 0 || key >= bytes.length) throw new TemplateEvalError(`index out of range: ${key}`);
      item = bytes[key];
    } else if (isMap(item)) {
      if (isNil(key)) throw new TemplateEvalError("value is nil; should be of type string");
      if (typeof key !== "string") throw new TemplateEvalError(`value has type ${goTypeName(key)}; should be string`);
      item = Object.hasOwn(item, key) ? item[key] : undefined;
    } else {
      throw new TemplateEvalError(`can't index item of type ${goTypeName(item)}`);
    }
  }
  return item;
}

function length(v: unknown): number {
  if (isNil(v)) throw new TemplateEvalError("len of nil pointer");
  if (typeof v === "string") return utf8Bytes(v).length;
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new TemplateEvalError(`len of type ${goTypeName(v)}`);
}

/** The last element of a path, accepting `/` and `\` (rule data carries Windows paths too). */
function baseName(p: string): string {
  if (p === "") return ".";
  const trimmed = p.replace(/[\\/]+$/, "");
  if (trimmed === "") return p[0] as string;
  return trimmed.slice(Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\")) + 1);
}

/** Everything before the last element, without trailing separators (`.` when none). */
function dirName(p: string): string {
  const trimmed = p.replace(/[\\/]+$/, "");
  const cut = Math.max(trimmed.lastIndexOf("/"), trimmed.lastIndexOf("\\"));
  if (cut < 0) return trimmed === "" && p !== "" ? (p[0] as string) : ".";
  const dir = trimmed.slice(0, cut).replace(/[\\/]+$/, "");
  return dir === "" ? (trimmed[0] as string) : dir;
}

/** `parsetime` takes its layouts as JSON `{"from": …, "to": …}`, like the @parsetime modifier. */
export function parseTimeSpec(spec: string): { from: string; to: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(spec);
  } catch {
    throw new TemplateEvalError(`time spec is not JSON: ${spec}`);
  }
  if (!isMap(parsed) || typeof parsed.from !== "string" || typeof parsed.to !== "string") {
    throw new TemplateEvalError('time spec needs string "from" and "to"');
  }
  return { from: parsed.from, to: parsed.to };
}

const asString = (v: unknown): string => (typeof v === "string" ? v : formatValue(v));

const FUNCTIONS: Record<string, FunctionDef> = {
  not: { arity: 1, call: ([a]) => !isTrue(a) },
  index: { arity: 1, variadic: true, call: index },
  len: { arity: 1, call: ([a]) => length(a) },
  eq: { arity: 1, variadic: true, call: eq },
  ne: { arity: 2, call: ([a, b]) => !eq([a, b]) },
  lt: { arity: 2, call: ([a, b]) => lt(a, b) },
  le: { arity: 2, call: ([a, b]) => lt(a, b) || eq([a, b]) },
  gt: { arity: 2, call: ([a, b]) => !(lt(a, b) || eq([a, b])) },
  ge: { arity: 2, call: ([a, b]) => !lt(a, b) },
  print: { arity: 0, variadic: true, call: (args) => sprint(args) },
  println: { arity: 0, variadic: true, call: (args) => sprintln(args) },
  printf: { arity: 1, variadic: true, call: ([f, ...rest]) => sprintf(str(f), rest) },
  token: { arity: 1, call: ([a]) => md5Hex(asString(a)) },
  anon: {
    arity: 1,
    call: ([a], ctx) => {
      if (ctx.anonSeed === undefined) throw new TemplateEvalError("no anonymisation seed is configured");
      return md5Hex(ctx.anonSeed + asString(a));
    },
  },
  json: { arity: 1, call: ([a]) => goJson(a) },
  prettyjson: { arity: 1, call: ([a]) => goJson(a, "  ") },
  parsetime: {
    arity: 2,
    call: ([spec, value]) => {
      const { from, to } = parseTimeSpec(str(spec));
      try {
        return convertGoTime(value, from, to);
      } catch (e) {
        throw new TemplateEvalError((e as Error).message);
      }
    },
  },
  split: { arity: 2, call: ([sep, s]) => str(s).split(str(sep)) },
  join: {
    arity: 2,
    call: ([sep, list]) => {
      if (!Array.isArray(list)) throw new TemplateEvalError(`wrong type for value; expected list; got ${goTypeName(list)}`);
      return list.map(asString).join(str(sep));
    },
  },
  replace: { arity: 3, call: ([from, to, s]) => str(s).replaceAll(str(from), str(to)) },
  base: { arity: 1, call: ([p]) => baseName(str(p)) },
  dir: { arity: 1, call: ([p]) => dirName(str(p)) },
};

/** The names the parser accepts as functions (`and`/`or` are run by the executor). */
export const FUNCTION_NAMES: ReadonlySet<string> = new Set([...Object.keys(FUNCTIONS), "and", "or"]);

/** Calls a (non-lazy) function with evaluated arguments; TemplateEvalError on misuse, like Go. */
export function callFunction(name: string, args: unknown[], ctx: FunctionContext): unknown {
  const def = FUNCTIONS[name];
  if (!def) throw new TemplateEvalError(`function ${JSON.stringify(name)} not defined`);
  if (def.variadic ? args.length < def.arity : args.length !== def.arity) {
    const want = def.variadic ? `at least ${def.arity}` : String(def.arity);
    throw new TemplateEvalError(`wrong number of args for ${name}: want ${want} got ${args.length}`);
  }
  try {
    return def.call(args, ctx);
  } catch (e) {
    if (e instanceof TemplateEvalError && !e.message.startsWith("wrong type") && !e.message.startsWith("invalid value")) {
      throw new TemplateEvalError(`error calling ${name}: ${e.message}`);
    }
    throw e;
  }
}
