/**
 * The detect engine of detection & response rules (DR.md §2–4 with the §7 decisions): compile a
 * rule's `detect` once, evaluate it per event or detection. Pure: no I/O; the clock, the org's
 * lookups and the sensor variables come in through the EvalContext.
 */
export { CompiledDetection, compileDetection } from "./detection.ts";
export type { Evaluation } from "./detection.ts";
export { RuleError } from "./errors.ts";
export type { RuleErrorCode } from "./errors.ts";
export { lookupName, mtdKey } from "./node.ts";
export type { EvalContext, Target } from "./types.ts";
