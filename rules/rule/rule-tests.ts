/**
 * A rule's own unit tests (DR.md §6), run when it is saved: each test is a list of events
 * evaluated one by one with no state between them. A `match` test passes when one of its
 * events matches; a `non_match` test fails as soon as one matches. With `event`/`events` on
 * the rule, a `match` event of another type is a validation error (the product's message);
 * in a `non_match` test it is skipped.
 */
import type { CompiledDetection, EvalContext } from "../detect/index.ts";
import { RuleError } from "../detect/errors.ts";
import { isMap } from "../detect/params.ts";

/** Type of an input as the rule's selector sees it. */
function inputType(input: unknown, target: "edr" | "detection"): unknown {
  if (!isMap(input)) return undefined;
  if (target === "detection") return input.cat;
  return isMap(input.routing) ? input.routing.event_type : undefined;
}

function testLists(raw: unknown, path: string): unknown[][] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw) || raw.some((t) => !Array.isArray(t)))
    throw new RuleError(path, "must be a list of tests, each a list of events");
  return raw as unknown[][];
}

/** Checks `tests` shape and runs it; throws RuleError (path `tests.match[N]`…) on the first failure. */
export function runRuleTests(raw: unknown, detection: CompiledDetection, ctx: EvalContext): void {
  if (raw === undefined || raw === null) return;
  if (!isMap(raw)) throw new RuleError("tests", "must be a map with 'match' and/or 'non_match'");
  for (const k of Object.keys(raw))
    if (k !== "match" && k !== "non_match") throw new RuleError(`tests.${k}`, `unknown key '${k}': tests have 'match' and 'non_match'`);
  const match = testLists(raw.match, "tests.match");
  const nonMatch = testLists(raw.non_match, "tests.non_match");
  const types = detection.types;
  const expected = `[${(types ?? []).join(" ")}]`;
  match.forEach((events, i) => {
    const path = `tests.match[${i}]`;
    for (const ev of events) {
      const t = inputType(ev, detection.target);
      if (types && !(typeof t === "string" && types.includes(t))) {
        throw new RuleError(
          path,
          `test ${i + 1} failed validation: test event type '${String(t ?? "")}' does not match rule's expected event(s): ${expected}`,
        );
      }
    }
    if (!events.some((ev) => detection.evaluate(ev, ctx).matched))
      throw new RuleError(path, `match test ${i + 1} failed: no event matched the rule`);
  });
  nonMatch.forEach((events, i) => {
    events.forEach((ev, j) => {
      const t = inputType(ev, detection.target);
      if (types && !(typeof t === "string" && types.includes(t))) return;
      if (detection.evaluate(ev, ctx).matched)
        throw new RuleError(`tests.non_match[${i}][${j}]`, `non_match test ${i + 1} failed: event ${j + 1} matched the rule`);
    });
  });
}
