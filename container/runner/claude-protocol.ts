// Claude Code's headless stream-json protocol, as far as the runner relies on it
// (`claude -p --input-format stream-json --output-format stream-json --verbose`).
// Stdout schemas are loose: the CLI adds fields in every release and the runner must not break.
import { z } from "zod";

const Block = z.looseObject({ type: z.string() });

/** `system` messages (`init` carries the agent session id, model and tools). */
export const ClaudeSystemMessage = z.looseObject({
  type: z.literal("system"),
  subtype: z.string(),
  session_id: z.string().optional(),
  model: z.string().optional(),
  tools: z.array(z.string()).optional(),
});

/** A complete assistant message (one API response's content). */
export const ClaudeAssistantMessage = z.looseObject({
  type: z.literal("assistant"),
  message: z.looseObject({
    model: z.string().optional(),
    content: z.array(Block),
  }),
  parent_tool_use_id: z.string().nullable().optional(),
});

/** A user message: tool results, or text the CLI injects (e.g. after an interrupt). */
export const ClaudeUserMessage = z.looseObject({
  type: z.literal("user"),
  message: z.looseObject({
    content: z.union([z.string(), z.array(Block)]),
  }),
  parent_tool_use_id: z.string().nullable().optional(),
});

/** The end of one turn. `total_cost_usd` is cumulative over the process. */
export const ClaudeResultMessage = z.looseObject({
  type: z.literal("result"),
  subtype: z.string(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
  errors: z.array(z.string()).optional(),
  num_turns: z.number().optional(),
  total_cost_usd: z.number().optional(),
  usage: z.record(z.string(), z.unknown()).optional(),
  session_id: z.string().optional(),
});

/** A request from the CLI to its host (`can_use_tool`, `elicitation`, ...) that needs a `control_response`. */
export const ClaudeControlRequest = z.looseObject({
  type: z.literal("control_request"),
  request_id: z.string(),
  request: z.looseObject({ subtype: z.string() }),
});

/** The `request` of a `can_use_tool` control request. */
export const CanUseToolRequest = z.looseObject({
  subtype: z.literal("can_use_tool"),
  tool_name: z.string(),
  input: z.record(z.string(), z.unknown()),
  tool_use_id: z.string().optional(),
});

/** The CLI's answer to a control request the runner sent (e.g. `interrupt`). */
export const ClaudeControlResponse = z.looseObject({
  type: z.literal("control_response"),
  response: z.looseObject({ subtype: z.string(), request_id: z.string().optional() }),
});

/** The CLI withdraws a control request it sent (e.g. a pending `can_use_tool` after an interrupt). */
export const ClaudeControlCancel = z.looseObject({
  type: z.literal("control_cancel_request"),
  request_id: z.string(),
});

/** Every stdout message the runner acts on; anything else (stream events, keep-alives, ...) is ignored. */
export const ClaudeOutput = z.discriminatedUnion("type", [
  ClaudeSystemMessage,
  ClaudeAssistantMessage,
  ClaudeUserMessage,
  ClaudeResultMessage,
  ClaudeControlRequest,
  ClaudeControlResponse,
  ClaudeControlCancel,
]);
export type ClaudeOutput = z.infer<typeof ClaudeOutput>;

/** A message the runner writes to the CLI's stdin (one JSON object per line). */
export type ClaudeInput = Record<string, unknown> & { type: string };

/** A user turn as stream-json input. */
export function userTurn(text: string): ClaudeInput {
  return {
    type: "user",
    message: { role: "user", content: text },
    parent_tool_use_id: null,
    session_id: "",
  };
}

/** A control request from the runner (e.g. `{subtype:"interrupt"}`). */
export function controlRequest(requestId: string, request: { subtype: string } & Record<string, unknown>): ClaudeInput {
  return { type: "control_request", request_id: requestId, request };
}

/** A successful answer to a control request the CLI sent. */
export function controlSuccess(requestId: string, response: Record<string, unknown>): ClaudeInput {
  return { type: "control_response", response: { subtype: "success", request_id: requestId, response } };
}

/** A failed answer to a control request the CLI sent (unknown subtype, ...). */
export function controlError(requestId: string, error: string): ClaudeInput {
  return { type: "control_response", response: { subtype: "error", request_id: requestId, error } };
}

/** The permission decision for a `can_use_tool` request (the CLI's PermissionResult). */
export type PermissionDecision = { behavior: "allow"; updatedInput: Record<string, unknown> } | { behavior: "deny"; message: string };
