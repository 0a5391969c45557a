// ClaudeStreamMapper: translates one parsed stdout message of Claude Code into what the runner
// does with it — platform events, channel frames, or a direct answer to the CLI. Pure.
import type { AgentEventBody, ContentBlock } from "../../schemas/events.ts";
import { AgentSessionId, type RunnerToPlatform } from "../../schemas/runner.ts";
import { CanUseToolRequest, ClaudeOutput, controlError, controlSuccess, type ClaudeInput } from "./claude-protocol.ts";

/** Channel frames (other than events) the mapper may produce. */
export type MappedFrame = Extract<
  RunnerToPlatform,
  { type: "agent_session" | "turn_state" | "permission_request" | "permission_cancelled" }
>;

/** One consequence of a stdout message. */
export type MapperOutput =
  | { kind: "event"; event: AgentEventBody }
  | { kind: "frame"; frame: MappedFrame }
  | { kind: "reply"; message: ClaudeInput }
  | { kind: "control_response"; request_id: string | undefined; subtype: string; error?: string };

// System subtypes worth showing a user; the CLI emits dozens of internal ones (ui_*, task_*, ...).
const FORWARDED_SYSTEM_SUBTYPES = new Set(["init", "compact_boundary", "api_retry", "model_fallback"]);

/** Maps one stdout message; unknown or unparseable messages map to nothing. */
export function mapClaudeMessage(raw: unknown): MapperOutput[] {
  const parsed = ClaudeOutput.safeParse(raw);
  if (!parsed.success) return [];
  const msg = parsed.data;
  switch (msg.type) {
    case "system":
      return mapSystem(msg);
    case "assistant":
      return mapAssistant(msg.message.content, msg.message.model ?? "unknown");
    case "user":
      return mapUser(msg.message.content);
    case "result":
      return mapResult(msg);
    case "control_request":
      return mapControlRequest(msg.request_id, msg.request);
    case "control_response":
      return [
        {
          kind: "control_response",
          request_id: msg.response.request_id,
          subtype: msg.response.subtype,
          ...(typeof msg.response["error"] === "string" ? { error: msg.response["error"] } : {}),
        },
      ];
    case "control_cancel_request":
      return [{ kind: "frame", frame: { type: "permission_cancelled", request_id: msg.request_id } }];
  }
}

function mapSystem(msg: Extract<ClaudeOutput, { type: "system" }>): MapperOutput[] {
  if (!FORWARDED_SYSTEM_SUBTYPES.has(msg.subtype)) return [];
  const out: MapperOutput[] = [];
  if (msg.subtype === "init") {
    const model = msg.model ?? "unknown";
    out.push({
      kind: "event",
      event: {
        type: "system",
        payload: {
          subtype: "init",
          message: `Claude Code started (model ${model})`,
          model,
          ...(msg.tools ? { tools: msg.tools } : {}),
          ...(typeof msg["permissionMode"] === "string" ? { permission_mode: msg["permissionMode"] } : {}),
          ...(typeof msg["claude_code_version"] === "string" ? { claude_code_version: msg["claude_code_version"] } : {}),
        },
      },
    });
    if (msg.session_id) out.push(...agentSession(msg.session_id));
    return out;
  }
  const message = typeof msg["message"] === "string" ? msg["message"] : msg.subtype.replaceAll("_", " ");
  out.push({ kind: "event", event: { type: "system", payload: { subtype: msg.subtype, message } } });
  return out;
}

function mapAssistant(content: ContentBlock[], model: string): MapperOutput[] {
  const out: MapperOutput[] = [];
  const shown = content.filter((b) => b.type !== "tool_use");
  if (shown.length > 0) out.push({ kind: "event", event: { type: "assistant", payload: { content: shown, model } } });
  for (const block of content) {
    if (block.type !== "tool_use") continue;
    const id = block["id"];
    const name = block["name"];
    if (typeof id !== "string" || typeof name !== "string") continue;
    out.push({ kind: "event", event: { type: "tool_use", payload: { id, name, input: asRecord(block["input"]) } } });
  }
  return out;
}

// Only tool results are forwarded: the prompt itself is stored by the DO when the user sends it,
// and other user-role text (interrupt notices, skill bodies) is CLI-internal.
function mapUser(content: string | ContentBlock[]): MapperOutput[] {
  if (typeof content === "string") return [];
  const out: MapperOutput[] = [];
  for (const block of content) {
    if (block.type !== "tool_result") continue;
    const toolUseId = block["tool_use_id"];
    if (typeof toolUseId !== "string") continue;
    out.push({
      kind: "event",
      event: {
        type: "tool_result",
        payload: {
          tool_use_id: toolUseId,
          content: flattenToolContent(block["content"]),
          is_error: block["is_error"] === true,
        },
      },
    });
  }
  return out;
}

/**
 * Claude Code's own diagnostics among a result's `errors` (an interrupted turn reports
 * `[ede_diagnostic] result_type=user …`): its internals, not something to show a user.
 */
const INTERNAL_DIAGNOSTIC = /^\[ede_diagnostic\]/;

function mapResult(msg: Extract<ClaudeOutput, { type: "result" }>): MapperOutput[] {
  const summary = msg.result ?? msg.errors?.filter((error) => !INTERNAL_DIAGNOSTIC.test(error)).join("\n") ?? "";
  const out: MapperOutput[] = [
    {
      kind: "event",
      event: {
        type: "result",
        payload: {
          success: msg.is_error !== true && msg.subtype === "success",
          subtype: msg.subtype,
          summary,
          num_turns: Math.max(0, Math.trunc(msg.num_turns ?? 0)),
          total_cost_usd: Math.max(0, msg.total_cost_usd ?? 0),
          usage: msg.usage ?? {},
        },
      },
    },
  ];
  if (msg.session_id) out.push(...agentSession(msg.session_id));
  out.push({ kind: "frame", frame: { type: "turn_state", state: "idle" } });
  return out;
}

function mapControlRequest(requestId: string, request: { subtype: string } & Record<string, unknown>): MapperOutput[] {
  if (request.subtype === "can_use_tool") {
    const req = CanUseToolRequest.safeParse(request);
    if (!req.success) return [{ kind: "reply", message: controlError(requestId, "malformed can_use_tool request") }];
    return [
      {
        kind: "frame",
        frame: {
          type: "permission_request",
          request_id: requestId,
          tool_name: req.data.tool_name,
          input: req.data.input,
          ...(req.data.tool_use_id ? { tool_use_id: req.data.tool_use_id } : {}),
        },
      },
    ];
  }
  // An MCP server asking the user for input: nobody can fill in its form here, so decline.
  if (request.subtype === "elicitation") {
    return [{ kind: "reply", message: controlSuccess(requestId, { action: "decline" }) }];
  }
  return [{ kind: "reply", message: controlError(requestId, `unsupported control request: ${request.subtype}`) }];
}

/** Tool result content as text when it is only text blocks (the common case), else the blocks. */
export function flattenToolContent(content: unknown): string | ContentBlock[] {
  if (content === undefined || content === null) return "";
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return JSON.stringify(content);
  const blocks = content.filter(
    (b): b is ContentBlock => typeof b === "object" && b !== null && typeof (b as { type?: unknown }).type === "string",
  );
  if (blocks.every((b) => b.type === "text" && typeof b["text"] === "string")) {
    return blocks.map((b) => b["text"] as string).join("\n");
  }
  return blocks;
}

/**
 * The `agent_session` frame for a Claude Code session id; nothing for a value that is not one
 * (it would reach a later start's argv as `--resume <id>`).
 */
function agentSession(id: unknown): MapperOutput[] {
  return AgentSessionId.safeParse(id).success ? [{ kind: "frame", frame: { type: "agent_session", agent_session_id: id as string } }] : [];
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
