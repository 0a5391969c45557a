/**
 * The prompt a `start ai agent` action gives its session: the rendered prompt template(s),
 * then the rendered `data` extraction appended as one fenced JSON block. In definition mode
 * the record's prompt comes first and the rule's prompt follows after a blank line, each
 * rendered on its own (so a trim marker in one cannot eat the separator).
 */
import { parseTemplate, renderTemplate, type RenderOptions, type Template } from "./template.ts";
import {
  type CompiledTransformMap,
  compileTransformMap,
  renderTransformMap,
  type TransformError,
  type TransformMap,
} from "./transform-map.ts";

/** What `.` holds in a `start ai agent` template: the event's payload and routing, and the detection. */
export interface AgentTemplateData {
  event?: unknown;
  routing?: unknown;
  /** The detection `{cat, detect: {event, routing}, routing, detect_id, priority, …}`. */
  detect?: unknown;
  [key: string]: unknown;
}

/** The templated parameters of the action, with definition mode already merged by the caller. */
export interface AgentPromptParams {
  /**
   * One prompt template, or several in order (definition mode: the record's prompt, then the
   * rule's); each is rendered alone and the present ones are joined by a blank line.
   */
  prompt?: string | readonly (string | null | undefined)[] | null;
  /** The data extraction map (in definition mode already merged: rule keys win). */
  data?: TransformMap | null;
}

/** An agent prompt whose templates are all parsed; reuse it for every detection. */
export class CompiledAgentPrompt {
  /** @internal the parsed prompt parts, each with its path for error messages */
  readonly prompts: readonly { template: Template; path: string }[];
  /** @internal */
  readonly data: CompiledTransformMap | null;

  /** @internal use compileAgentPrompt */
  constructor(prompts: readonly { template: Template; path: string }[], data: CompiledTransformMap | null) {
    this.prompts = prompts;
    this.data = data;
  }
}

export type CompileAgentPromptResult = { ok: true; compiled: CompiledAgentPrompt } | TransformError;
export type AgentPromptResult = { ok: true; prompt: string; data: Record<string, unknown> | null } | TransformError;

/**
 * Parses the prompt template(s) and the data map once. Errors carry the path of the bad value:
 * `prompt` (or `prompt/1` for the second of several), `data/<key>`.
 */
export function compileAgentPrompt(params: AgentPromptParams): CompileAgentPromptResult {
  const sources = typeof params.prompt === "string" ? [params.prompt] : (params.prompt ?? []);
  const prompts: { template: Template; path: string }[] = [];
  for (const [i, src] of sources.entries()) {
    // An absent or empty part adds nothing, not even the blank line.
    if (src === null || src === undefined || src === "") continue;
    const parsed = parseTemplate(src);
    const path = typeof params.prompt === "string" ? "prompt" : `prompt/${i}`;
    if (!parsed.ok) return { ok: false, path, message: `${path}: ${parsed.message}` };
    prompts.push({ template: parsed.template, path });
  }
  let data: CompiledTransformMap | null = null;
  if (params.data !== null && params.data !== undefined) {
    const c = compileTransformMap(params.data, "data");
    if (!c.ok) return c;
    data = c.compiled;
  }
  return { ok: true, compiled: new CompiledAgentPrompt(prompts, data) };
}

/**
 * Renders a `start ai agent` prompt: each prompt part rendered with `templateData` as dot,
 * parts joined by `"\n\n"`, then, when `data` has at least one key, the rendered data as
 * `"\n\n```json\n" + JSON.stringify(data, null, 2) + "\n```"` (keys in the order written).
 * Returns the rendered data too (null without data). A template that fails names its path.
 *
 * @param params the action's `prompt` and `data` (raw, or compiled with compileAgentPrompt)
 * @param templateData `{event, routing, detect}` of the triggering event and its detection
 */
export function renderAgentPrompt(
  params: AgentPromptParams | CompiledAgentPrompt,
  templateData: AgentTemplateData,
  options: RenderOptions = {},
): AgentPromptResult {
  let compiled: CompiledAgentPrompt;
  if (params instanceof CompiledAgentPrompt) compiled = params;
  else {
    const c = compileAgentPrompt(params);
    if (!c.ok) return c;
    compiled = c.compiled;
  }
  const parts: string[] = [];
  for (const { template, path } of compiled.prompts) {
    const r = renderTemplate(template, templateData, options);
    if (!r.ok) return { ok: false, path, message: `${path}: ${r.message}` };
    parts.push(r.text);
  }
  let prompt = parts.join("\n\n");
  let data: Record<string, unknown> | null = null;
  if (compiled.data) {
    const r = renderTransformMap(compiled.data, templateData, options);
    if (!r.ok) return r;
    data = r.value;
    if (Object.keys(data).length > 0) prompt += "\n\n```json\n" + JSON.stringify(data, null, 2) + "\n```";
  }
  return { ok: true, prompt, data };
}
