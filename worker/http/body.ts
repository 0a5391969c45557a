/**
 * Reading and validating request input. Bodies are read with a byte cap (never trusting
 * Content-Length alone), parsed as JSON, and checked by a strict zod schema; every failure
 * is a 4xx with the error shape, never a 500.
 */
import type { z } from "zod";
import { readCappedBody } from "./capped-body.ts";
import { ApiError } from "../../platform/errors.ts";

/** Largest JSON body any REST route accepts; profiles with many env vars stay well below. */
export const MAX_JSON_BODY_BYTES = 256 * 1024;

/** Reads at most `maxBytes` of the body as text; 413 beyond that. */
export async function readBodyText(request: Request, maxBytes = MAX_JSON_BODY_BYTES): Promise<string> {
  const bytes = await readCappedBody(request, maxBytes);
  if (!bytes) throw tooLarge(maxBytes);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new ApiError(400, "invalid_json", "request body is not valid UTF-8");
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, "payload_too_large", `request body exceeds ${maxBytes} bytes`);
}

/** Parses JSON text; an empty body counts as `{}` so no-body routes accept what clients send. */
export function parseJson(text: string): unknown {
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError(400, "invalid_json", "request body is not valid JSON");
  }
}

/** Validates `input` against `schema`, turning zod's issues into one readable 400. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, what = "request body"): z.infer<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ApiError(400, "invalid_request", `${what}: ${describeIssues(result.error)}`);
}

/** Summarises zod issues as `path: message; ...` (at most five, so messages stay short). */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path.join(".");
      if (issue.code === "unrecognized_keys")
        return `unknown field(s) ${issue.keys.map((k) => `'${k}'`).join(", ")}${path ? ` in ${path}` : ""}`;
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}
