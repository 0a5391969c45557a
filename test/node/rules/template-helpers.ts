/** Shared helpers of the rule template tests: render or fail with the engine's message. */
import { expect } from "vitest";
import { parseTemplate, renderTemplate, type RenderOptions } from "../../../rules/template/index.ts";

/** Parses and renders `src`; a parse or render failure fails the test with its message. */
export function render(src: string, data: unknown = {}, options?: RenderOptions): string {
  const parsed = parseTemplate(src);
  if (!parsed.ok) throw new Error(`parse failed: ${parsed.message}`);
  const out = renderTemplate(parsed.template, data, options);
  if (!out.ok) throw new Error(`render failed: ${out.message}`);
  return out.text;
}

/** The parse error message of `src` (the test fails if it parses). */
export function parseError(src: string): string {
  const parsed = parseTemplate(src);
  expect(parsed.ok, `expected ${JSON.stringify(src)} not to parse`).toBe(false);
  return parsed.ok ? "" : parsed.message;
}

/** The render error message of `src` (the test fails if it parses badly or renders). */
export function renderError(src: string, data: unknown = {}, options?: RenderOptions): string {
  const parsed = parseTemplate(src);
  if (!parsed.ok) throw new Error(`parse failed: ${parsed.message}`);
  const out = renderTemplate(parsed.template, data, options);
  expect(out.ok, `expected ${JSON.stringify(src)} to fail at render`).toBe(false);
  return out.ok ? "" : out.message;
}
