/**
 * A rule's `detect` compiled once per rule version: its target (`edr`, the default, or
 * `detection`; Q9), the event types it selects (so a rule set can skip rules by type), the
 * lookups and sensor variables it reads (so the caller can preload them), and its test.
 */
import { RuleError } from "./errors.ts";
import { compileNodeParts, selectedTypes } from "./node.ts";
import { isMap, Params } from "./params.ts";
import { type CompileEnv, type EvalContext, type MutableState, NO_CTX, NO_ELEMENT, type Target, type Test } from "./types.ts";

export interface Evaluation {
  readonly matched: boolean;
  /** Lookup metadata of matching `lookup` nodes (`lookup_NAME` → metadata), for `.mtd`. */
  readonly mtd: Record<string, unknown>;
}

export class CompiledDetection {
  readonly target: Target;
  /** Event types (or report names, for `target: detection`) selected at the root; undefined: all. */
  readonly types: readonly string[] | undefined;
  readonly lookups: readonly string[];
  readonly variables: readonly string[];
  readonly #test: Test;
  readonly #untyped: Test;

  constructor(target: Target, types: readonly string[] | undefined, env: CompileEnv, test: { test: Test; untyped: Test }) {
    this.target = target;
    this.types = types;
    this.lookups = [...env.lookups];
    this.variables = [...env.variables];
    this.#test = test.test;
    this.#untyped = test.untyped;
  }

  /**
   * Evaluates one input: `{routing, event}` for `edr`, a detection object for `detection`.
   * `selected`: the caller picked this rule for the input's type from `types` (a rule set's
   * index), so the root's own type check is skipped; it would pass.
   */
  evaluate(input: unknown, ctx: EvalContext, selected = false): Evaluation {
    const test = selected ? this.#untyped : this.#test;
    // Only lookup nodes write metadata: rules without one share a frozen empty map, and one
    // state object (evaluation is synchronous and never re-enters a rule, so it is free again
    // once the test returns; it is cleared so that no event outlives its evaluation).
    if (this.lookups.length === 0) {
      const s = this.#state;
      s.input = input;
      s.doc = input;
      s.ctx = ctx;
      const matched = test(s);
      s.input = null;
      s.doc = null;
      s.ctx = NO_CTX;
      return matched ? MATCHED : UNMATCHED;
    }
    const mtd: Record<string, unknown> = {};
    const matched = test({ input, doc: input, element: NO_ELEMENT, ctx, mtd });
    return { matched, mtd };
  }

  readonly #state: MutableState = {
    input: null,
    doc: null,
    element: NO_ELEMENT,
    ctx: NO_CTX,
    mtd: NO_MTD,
  };
}

const NO_MTD: Record<string, unknown> = Object.freeze({}) as Record<string, unknown>;
/** The answers of rules without lookups, shared (an answer per evaluation is garbage on the hot path). */
const MATCHED: Evaluation = Object.freeze({ matched: true, mtd: NO_MTD });
const UNMATCHED: Evaluation = Object.freeze({ matched: false, mtd: NO_MTD });

const TARGETS: readonly string[] = ["edr", "detection"];
const OTHER_TARGETS: readonly string[] = ["deployment", "artifact", "artifact_event", "schedule", "audit", "billing"];

/** Compiles `detect` (at `path`, `detect` by default); throws RuleError naming the bad node. */
export function compileDetection(raw: unknown, path = "detect"): CompiledDetection {
  if (!isMap(raw)) throw new RuleError(path, "must be a detection node (a map with 'op')");
  const p = new Params(raw, path);
  let target: Target = "edr";
  if (p.has("target")) {
    const t = p.string("target");
    if (OTHER_TARGETS.includes(t))
      throw new RuleError(
        p.at("target"),
        `target '${t}' is not supported: events here are edr events or detections`,
        "unsupported_resource",
      );
    if (!TARGETS.includes(t)) p.fail("target", `unknown target '${t}'`);
    target = t as Target;
  }
  const env: CompileEnv = { target, lookups: new Set(), variables: new Set() };
  const test = compileNodeParts(raw, path, env);
  const types = selectedTypes(p);
  return new CompiledDetection(target, types?.includes("*") ? undefined : types, env, test);
}
