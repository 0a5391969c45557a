/**
 * Templates of detection & response rules: Go `text/template` (the subset rules use, printed
 * byte for byte as Go prints it), transform maps (templates, gjson-style selectors, nested
 * objects), and the prompt assembly of the `start ai agent` action. Pure: no I/O, no clock.
 */

/** Parse a template once (errors carry line:column); render it against data (errors, not exceptions). */
export { parseTemplate, renderTemplate } from "./template.ts";
export type { ParseResult, RenderOptions, RenderResult, Template } from "./template.ts";

/** Transform maps: compile once (errors name the value's path, e.g. `data/summary`), render per event. */
export { CompiledTransformMap, compileTransformMap, renderTransformMap } from "./transform-map.ts";
export type {
  CompileTransformOptions,
  CompileTransformResult,
  RenderTransformResult,
  TransformError,
  TransformMap,
} from "./transform-map.ts";

/** The `start ai agent` prompt: prompt part(s) rendered and joined, then the `data` JSON block. */
export { CompiledAgentPrompt, compileAgentPrompt, renderAgentPrompt } from "./agent-prompt.ts";
export type { AgentPromptParams, AgentPromptResult, AgentTemplateData, CompileAgentPromptResult } from "./agent-prompt.ts";
