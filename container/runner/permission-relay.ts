// PermissionRelay: the runner's ledger of tool calls waiting for the platform's decision. Two
// paths ask: Claude Code's PreToolUse hook (through the loopback PermissionGate, before every
// call) and its own permission prompt (`can_use_tool`, for AskUserQuestion). Each question goes
// to the session DO as a `permission_request`; the DO's `permission_response` is handed back to
// whichever path asked. Questions still open are sent again after a reconnection and withdrawn
// (`permission_cancelled`) when Claude Code exits.
import { randomUUID } from "node:crypto";
import type { PlatformToRunner } from "../../schemas/runner.ts";
import type { Logger } from "./log.ts";
import type { HookAnswer, HookCall } from "./permission-gate.ts";
import type { ControlFrame } from "./platform-channel.ts";
import { resolvedPaths } from "./resolved-paths.ts";

export type PermissionRequest = Extract<ControlFrame, { type: "permission_request" }>;
type PermissionResponse = Extract<PlatformToRunner, { type: "permission_response" }>;

/** What the relay needs from the runner. */
export interface PermissionRelayOptions {
  workspaceDir: string;
  /** Sends a frame to the session DO (false when the socket is down: resent by `resync`). */
  send: (frame: ControlFrame) => boolean;
  log: Logger;
}

export class PermissionRelay {
  #options: PermissionRelayOptions;
  #pending = new Map<string, PermissionRequest>();
  /** Hooks waiting for the platform's decision, by request id (also in #pending). */
  #hookWaiters = new Map<string, (answer: HookAnswer) => void>();

  constructor(options: PermissionRelayOptions) {
    this.#options = options;
  }

  /**
   * A tool call Claude Code is about to make, from the PreToolUse hook: asked of the platform as a
   * `permission_request`. `AskUserQuestion` passes through to the prompt, whose answer carries the
   * user's answers into the call.
   */
  askFromHook(call: HookCall, signal: AbortSignal): Promise<HookAnswer> {
    if (call.tool_name === "AskUserQuestion") return Promise.resolve({ decision: "passthrough" });
    const { workspaceDir, send } = this.#options;
    const request: PermissionRequest = {
      type: "permission_request",
      request_id: `hook_${randomUUID()}`,
      tool_name: call.tool_name,
      input: call.tool_input,
      ...(call.tool_use_id ? { tool_use_id: call.tool_use_id } : {}),
      workspace_dir: workspaceDir,
    };
    const resolved = resolvedPaths(call.tool_input, workspaceDir);
    if (resolved) request.resolved_paths = resolved;
    return new Promise((resolve) => {
      this.#hookWaiters.set(request.request_id, resolve);
      this.#pending.set(request.request_id, request);
      signal.addEventListener("abort", () => {
        // The hook is gone (an interrupt, or Claude Code exited): withdraw the question.
        this.#hookWaiters.delete(request.request_id);
        if (this.#pending.delete(request.request_id)) send({ type: "permission_cancelled", request_id: request.request_id });
      });
      send(request);
    });
  }

  /** Claude Code's own permission prompt (mapped from `can_use_tool`), asked of the platform. */
  askFromPrompt(frame: PermissionRequest): void {
    const request = { ...frame, workspace_dir: this.#options.workspaceDir };
    this.#pending.set(request.request_id, request);
    this.#options.send(request);
  }

  /** Claude Code withdrew its prompt. */
  withdraw(requestId: string): void {
    if (this.#pending.delete(requestId)) this.#options.send({ type: "permission_cancelled", request_id: requestId });
  }

  /**
   * The platform's decision: resolves the waiting hook, or returns the control response to write
   * to Claude Code for a prompt (null when nothing waits for it).
   */
  answer(frame: PermissionResponse): { behavior: string; updatedInput?: unknown; message?: string } | null {
    const request = this.#pending.get(frame.request_id);
    const { log } = this.#options;
    if (!request) {
      log.warn("permission_response for no pending request; ignored", { request_id: frame.request_id });
      return null;
    }
    this.#pending.delete(frame.request_id);
    const hook = this.#hookWaiters.get(frame.request_id);
    if (hook) {
      this.#hookWaiters.delete(frame.request_id);
      log.info("permission decision (hook)", { request_id: frame.request_id, behavior: frame.behavior });
      hook(
        frame.behavior === "allow"
          ? { decision: "allow", ...(frame.updated_input ? { updatedInput: frame.updated_input } : {}) }
          : { decision: "deny", reason: frame.message ?? "The user denied this tool call." },
      );
      return null;
    }
    log.info("permission decision", { request_id: frame.request_id, behavior: frame.behavior });
    return frame.behavior === "allow"
      ? { behavior: "allow", updatedInput: frame.updated_input ?? request.input }
      : { behavior: "deny", message: frame.message ?? "The user denied this tool call." };
  }

  /** After a reconnection: every open question again (the DO dedupes by request id). */
  resync(): void {
    for (const request of this.#pending.values()) this.#options.send(request);
  }

  /** Claude Code exited: every open question is withdrawn, every waiting hook denied. */
  cancelAll(): void {
    for (const requestId of this.#pending.keys()) this.#options.send({ type: "permission_cancelled", request_id: requestId });
    this.#pending.clear();
    for (const answer of this.#hookWaiters.values()) answer({ decision: "deny", reason: "Claude Code exited" });
    this.#hookWaiters.clear();
  }
}
