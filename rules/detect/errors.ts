/**
 * Why a rule is rejected at save time: a code (`invalid_rule`, or `unsupported_resource` for
 * lookups/APIs the platform does not serve) and the path of the offending node, written the
 * way the API reports it (`detect.rules[2].op`).
 */

export type RuleErrorCode = "invalid_rule" | "unsupported_resource";

/** Thrown while compiling; the compiler's public edge turns it into a result. */
export class RuleError extends Error {
  readonly code: RuleErrorCode;
  readonly path: string;
  constructor(path: string, message: string, code: RuleErrorCode = "invalid_rule") {
    super(`${path}: ${message}`);
    this.name = "RuleError";
    this.code = code;
    this.path = path;
  }
}

/** `detect.rules` + 2 → `detect.rules[2]`; `detect` + `op` → `detect.op`; keys with spaces stay literal. */
export function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  return parent === "" ? key : `${parent}.${key}`;
}
