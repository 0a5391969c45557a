/**
 * Transform maps: a JSON object whose shape is the output's. Each value is
 *  - a template (a string containing `{{`): rendered, always a string;
 *  - a selector (a string such as `event.FILE_PATH`, see selector.ts): the selected value with
 *    its JSON type, or null;
 *  - another string, a number, a boolean or null: itself;
 *  - an object or a list: transformed member by member.
 * Compiling parses every template and selector once and names the first bad one by its path
 * (`data/summary`), so a rule can be rejected when it is saved.
 */
import { applySelector, parseSelector, type Selector } from "./selector.ts";
import { parseTemplate, renderTemplate, type RenderOptions, type Template } from "./template.ts";
import { isMap } from "./values.ts";

export type TransformMap = { readonly [key: string]: unknown };

type Compiled =
  | { kind: "template"; template: Template }
  | { kind: "selector"; selector: Selector }
  | { kind: "literal"; value: unknown }
  | { kind: "list"; items: Compiled[] }
  | { kind: "object"; entries: [string, Compiled][] };

/** A transform map whose templates and selectors are parsed; reuse it for every event. */
export class CompiledTransformMap {
  /** @internal the parsed map */
  readonly root: Extract<Compiled, { kind: "object" }>;
  /** @internal prefix of error paths */
  readonly basePath: string;

  /** @internal use compileTransformMap */
  constructor(root: Extract<Compiled, { kind: "object" }>, basePath: string) {
    this.root = root;
    this.basePath = basePath;
  }
}

export type TransformError = { ok: false; path: string; message: string };
export type CompileTransformResult = { ok: true; compiled: CompiledTransformMap } | TransformError;
export type RenderTransformResult = { ok: true; value: Record<string, unknown> } | TransformError;

const join = (base: string, key: string): string => (base === "" ? key : `${base}/${key}`);

class ValueFailure {
  readonly path: string;
  readonly message: string;
  constructor(path: string, message: string) {
    this.path = path;
    this.message = message;
  }
}

export interface CompileTransformOptions {
  /**
   * Whether strings rooted at `event.`/`routing.`/`detect.` are selectors (default true, as in
   * `data` and `extension request`); false for free-form templated fields such as a report's
   * `metadata`, where only templates are rendered and every other string is literal.
   */
  selectors?: boolean;
}

function compileValue(v: unknown, path: string, options: CompileTransformOptions): Compiled {
  if (typeof v === "string") {
    if (v.includes("{{")) {
      const parsed = parseTemplate(v);
      if (!parsed.ok) throw new ValueFailure(path, parsed.message);
      return { kind: "template", template: parsed.template };
    }
    const sel = options.selectors === false ? undefined : parseSelector(v);
    if (sel && !sel.ok) throw new ValueFailure(path, sel.message);
    return sel ? { kind: "selector", selector: sel.selector } : { kind: "literal", value: v };
  }
  if (Array.isArray(v)) return { kind: "list", items: v.map((item, i) => compileValue(item, join(path, String(i)), options)) };
  if (isMap(v)) return { kind: "object", entries: Object.entries(v).map(([k, item]) => [k, compileValue(item, join(path, k), options)]) };
  return { kind: "literal", value: v === undefined ? null : v };
}

/**
 * Parses every template and selector in `map`. `basePath` prefixes the paths in errors
 * (`compileTransformMap(action.data, "data")` reports `data/summary`).
 */
export function compileTransformMap(map: TransformMap, basePath = "", options: CompileTransformOptions = {}): CompileTransformResult {
  if (!isMap(map)) return { ok: false, path: basePath, message: `${basePath || "transform"}: must be an object` };
  try {
    const root = compileValue(map, basePath, options) as Extract<Compiled, { kind: "object" }>;
    return { ok: true, compiled: new CompiledTransformMap(root, basePath) };
  } catch (e) {
    if (e instanceof ValueFailure) return { ok: false, path: e.path, message: `${e.path}: ${e.message}` };
    throw e;
  }
}

function renderValue(c: Compiled, data: unknown, path: string, options: RenderOptions): unknown {
  switch (c.kind) {
    case "template": {
      const r = renderTemplate(c.template, data, options);
      if (!r.ok) throw new ValueFailure(path, r.message);
      return r.text;
    }
    case "selector":
      return applySelector(c.selector, data);
    case "literal":
      return c.value;
    case "list":
      return c.items.map((item, i) => renderValue(item, data, join(path, String(i)), options));
    case "object":
      return Object.fromEntries(c.entries.map(([k, item]) => [k, renderValue(item, data, join(path, k), options)]));
  }
}

/**
 * Applies a transform map (raw or compiled) to `data`. Errors name the path of the value whose
 * template failed, parsing or rendering.
 */
export function renderTransformMap(
  map: TransformMap | CompiledTransformMap,
  data: unknown,
  options: RenderOptions = {},
): RenderTransformResult {
  let compiled: CompiledTransformMap;
  if (map instanceof CompiledTransformMap) compiled = map;
  else {
    const c = compileTransformMap(map);
    if (!c.ok) return c;
    compiled = c.compiled;
  }
  try {
    return { ok: true, value: renderValue(compiled.root, data, compiled.basePath, options) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof ValueFailure) return { ok: false, path: e.path, message: `${e.path}: ${e.message}` };
    throw e;
  }
}
