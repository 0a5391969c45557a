/**
 * The two error kinds of the template engine, with messages shaped like Go's
 * (`template: LINE:COL: …`). They are thrown inside the engine and turned into `{ok: false}`
 * results at its public edge, never let out as exceptions.
 */

/** 1-based line and column (in characters) of `pos` in `src`. */
export function lineColumn(src: string, pos: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < pos && i < src.length; i++) {
    if (src[i] === "\n") {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: pos - lineStart + 1 };
}

function where(src: string, pos: number): string {
  const { line, column } = lineColumn(src, pos);
  return `template: ${line}:${column}`;
}

/** A template that does not parse: rejected when a rule is saved. */
export class TemplateSyntaxError extends Error {
  constructor(detail: string, src: string, pos: number) {
    super(`${where(src, pos)}: ${detail}`);
    this.name = "TemplateSyntaxError";
  }
}

/** A failure while rendering (bad index, wrong argument type…), like Go's ExecError. */
export class TemplateExecError extends Error {
  constructor(detail: string, src: string, pos: number, context: string) {
    super(`${where(src, pos)}: executing at <${context}>: ${detail}`);
    this.name = "TemplateExecError";
  }
}

/**
 * Thrown by a function or value operation without position; the evaluator catches it and
 * rethrows a TemplateExecError naming the node being executed.
 */
export class TemplateEvalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TemplateEvalError";
  }
}
