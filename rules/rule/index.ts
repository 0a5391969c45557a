/**
 * Detection & response rules as a whole (DR.md §1, §5, §6): parse a body (JSON or YAML),
 * compile it once per version (detect, respond, tests run at save), then run it per input,
 * getting the rendered actions. Pure: storing detections and starting sessions is the caller's.
 */
export { isYamlType, parseRuleText, parseYamlText } from "./rule-text.ts";
export type { ParsedText } from "./rule-text.ts";
export { CompiledRule, compileRule } from "./rule.ts";
export type { CompileRuleOptions, CompileRuleResult, RuleRejection } from "./rule.ts";
export type { Detection, FailedAction, PlannedAction, PlannedAgent, PlannedReport, RunOptions } from "./run.ts";
export type { RuleProfile } from "./actions.ts";
