/**
 * The SDK's half of the REST transport: every answer is checked against its zod schema, so a
 * server that drifts from the wire contract is caught at the boundary instead of deep in a
 * caller. The transport itself (URLs, token, errors, retries) is client-core/rest.ts.
 */
import type { z } from "zod";
import { AiSessionsError } from "../client-core/errors.ts";

/** A parser for `RestTransport.request` that validates the answer against `schema`. */
export function validated<S extends z.ZodType>(
  schema: S,
): (json: unknown, answer: { status: number; method: string; path: string }) => z.infer<S> {
  return (json, answer) => {
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    const issues = result.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
      .join("; ");
    throw new AiSessionsError(
      answer.status,
      "invalid_response",
      `${answer.method} ${answer.path}: the answer does not match the API schema (${issues})`,
      { body: json },
    );
  };
}
