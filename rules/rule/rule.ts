/**
 * A whole rule `{detect, respond?, tests?}` compiled once per version: the detection, the
 * actions, and its unit tests run (a failing test rejects the rule, DR.md §6). The result is
 * a CompiledRule or the error to answer with: `invalid_rule` / `unsupported_resource` and the
 * path of the offending node (`detect.rules[2].op`).
 */
import { type CompiledDetection, compileDetection, type EvalContext, RuleError, type RuleErrorCode } from "../detect/index.ts";
import { isMap } from "../detect/params.ts";
import { type CompiledAction, compileActions } from "./actions.ts";
import { type PlannedAction, planActions, type RunOptions } from "./run.ts";
import { runRuleTests } from "./rule-tests.ts";

/** Top-level keys of a rule body; `enabled` belongs to the API, the rest to the rule. */
const RULE_KEYS = new Set(["detect", "respond", "tests", "enabled"]);

export class CompiledRule {
  readonly detection: CompiledDetection;
  readonly actions: readonly CompiledAction[];

  constructor(detection: CompiledDetection, actions: readonly CompiledAction[]) {
    this.detection = detection;
    this.actions = actions;
  }

  /** Evaluates `input` and, when it matches, renders the actions (no side effects). */
  run(input: unknown, ctx: EvalContext, options: RunOptions): { matched: boolean; actions: PlannedAction[] } {
    const { matched, mtd } = this.detection.evaluate(input, ctx, options.selected === true);
    if (!matched) return { matched, actions: [] };
    return { matched, actions: planActions(this.actions, input, this.detection.target, mtd, options) };
  }
}

export interface RuleRejection {
  ok: false;
  code: RuleErrorCode;
  path: string;
  message: string;
}

export type CompileRuleResult = { ok: true; rule: CompiledRule } | RuleRejection;

export interface CompileRuleOptions {
  /** Run the rule's `tests` (at save time); replays and the event path skip them. */
  runTests?: boolean;
  /** Context of the tests (clock, org lookups). */
  testContext?: EvalContext;
}

export function compileRule(body: unknown, options: CompileRuleOptions = {}): CompileRuleResult {
  try {
    if (!isMap(body)) throw new RuleError("rule", "must be a map with 'detect'");
    for (const k of Object.keys(body))
      if (!RULE_KEYS.has(k)) throw new RuleError(k, `unknown key '${k}': a rule has detect, respond and tests`);
    if (body.detect === undefined) throw new RuleError("detect", "missing 'detect'");
    if (body.enabled !== undefined && typeof body.enabled !== "boolean") throw new RuleError("enabled", "must be true or false");
    const detection = compileDetection(body.detect);
    const actions = compileActions(body.respond);
    if (options.runTests) runRuleTests(body.tests, detection, options.testContext ?? { now: Date.now() });
    return { ok: true, rule: new CompiledRule(detection, actions) };
  } catch (e) {
    if (e instanceof RuleError) return { ok: false, code: e.code, path: e.path, message: e.message };
    throw e;
  }
}
