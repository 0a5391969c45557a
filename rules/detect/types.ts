/**
 * The shapes shared by the detect compiler and its evaluator: what the caller supplies per
 * evaluation (clock, org lookups, sensor variables) and the per-evaluation state a compiled
 * node reads (the input, the document its paths address, the `scope` element, lookup metadata).
 */

/** What evaluation may read besides the input; all synchronous (the caller preloads). */
export interface EvalContext {
  /** Now, epoch milliseconds (for `is older than`). */
  readonly now: number;
  /** The org lookup `name` (key → metadata), or undefined when it does not exist. */
  readonly lookup?: (name: string) => Readonly<Record<string, unknown>> | undefined;
  /** The values of sensor variable `name` for the input's sensor (`[[name]]`). */
  readonly variable?: (name: string) => readonly unknown[] | undefined;
}

/** Marks "not inside a `scope`". */
export const NO_ELEMENT: unique symbol = Symbol("no element");

export interface State {
  /** The event `{routing, event}` or the detection being evaluated. */
  readonly input: unknown;
  /** What paths address: the input, or a lookup's metadata inside `metadata_rules`. */
  readonly doc: unknown;
  /** The element a `scope` re-roots `event/` at. */
  readonly element: unknown;
  readonly ctx: EvalContext;
  /** Lookup metadata collected by matching `lookup` nodes, for templates' `.mtd`. */
  readonly mtd: Record<string, unknown>;
}

/** A state an evaluation refills instead of allocating one (see CompiledDetection.evaluate, `scope`). */
export type MutableState = { -readonly [K in keyof State]: State[K] };

/** The context of a reusable state between evaluations (it holds no caller's data then). */
export const NO_CTX: EvalContext = Object.freeze({ now: 0 });

/** A compiled node. */
export type Test = (s: State) => boolean;

export type Target = "edr" | "detection";

/** Facts gathered while compiling, used by the caller (which lookups to preload). */
export interface CompileEnv {
  readonly target: Target;
  readonly lookups: Set<string>;
  readonly variables: Set<string>;
}
