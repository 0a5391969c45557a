/**
 * The engine's public edge: parse a template once, render it many times. Both return results
 * instead of throwing, so a rule with a broken template is rejected at save time (parse) and a
 * failing render fails only its action (render).
 */
import type { Node } from "./ast.ts";
import { TemplateExecError, TemplateSyntaxError } from "./errors.ts";
import { execute } from "./exec.ts";
import { parseNodes } from "./parser.ts";

/** A parsed template; opaque outside this module. */
export interface Template {
  readonly source: string;
  /** @internal the parse tree */
  readonly nodes: readonly Node[];
}

export type ParseResult = { ok: true; template: Template } | { ok: false; message: string };
export type RenderResult = { ok: true; text: string } | { ok: false; message: string };

export interface RenderOptions {
  /** Secret seed of the `anon` function (per organisation); without it `anon` fails. */
  anonSeed?: string;
  /** Evaluation steps before rendering gives up (default 200 000). */
  maxSteps?: number;
  /** Output characters before rendering gives up (default 1 000 000). */
  maxOutputChars?: number;
}

/**
 * Parses Go `text/template` source (the subset rules use). Errors name the line and column:
 * `template: 1:19: bad character U+002F '/'`.
 */
export function parseTemplate(src: string): ParseResult {
  try {
    return { ok: true, template: { source: src, nodes: parseNodes(src) } };
  } catch (e) {
    if (e instanceof TemplateSyntaxError) return { ok: false, message: e.message };
    return { ok: false, message: `template: ${(e as Error).message}` };
  }
}

/**
 * Renders a parsed template with `data` as dot (and `$`). Runtime failures (index out of
 * range, wrong argument types, a field of a string…) come back as `{ok: false, message}`.
 */
export function renderTemplate(t: Template, data: unknown, options: RenderOptions = {}): RenderResult {
  try {
    const text = execute(
      t.source,
      t.nodes as Node[],
      data,
      { anonSeed: options.anonSeed },
      {
        maxSteps: options.maxSteps ?? 200_000,
        maxOutputChars: options.maxOutputChars ?? 1_000_000,
      },
    );
    return { ok: true, text };
  } catch (e) {
    if (e instanceof TemplateExecError) return { ok: false, message: e.message };
    // Anything else is a defect or exhaustion (deep recursion); it still must not escape.
    return { ok: false, message: `template: ${(e as Error).message}` };
  }
}
