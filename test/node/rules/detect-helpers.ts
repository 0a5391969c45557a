/** Shared helpers of the detect engine tests: compile a node, evaluate it, or get its compile error. */
import { expect } from "vitest";
import { compileDetection, type EvalContext, RuleError } from "../../../rules/detect/index.ts";

/** 2026-12-03T12:00:00Z, a Thursday. */
export const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);

export function ev(event: unknown, routing: Record<string, unknown> = {}): { routing: Record<string, unknown>; event: unknown } {
  return { routing: { event_type: "NEW_PROCESS", ...routing }, event };
}

/** Does `detect` match `input`? */
export function matches(detect: unknown, input: unknown, ctx: Partial<EvalContext> = {}): boolean {
  return compileDetection(detect).evaluate(input, { now: NOW, ...ctx }).matched;
}

/** The error compiling `detect` raises (the test fails if it compiles). */
export function compileError(detect: unknown): RuleError {
  try {
    compileDetection(detect);
  } catch (e) {
    if (e instanceof RuleError) return e;
    throw e;
  }
  expect.fail(`expected ${JSON.stringify(detect)} not to compile`);
}
