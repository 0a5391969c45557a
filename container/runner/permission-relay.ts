// PermissionRelay: the runner's ledger of tool calls waiting for the platform's decision. Two
// paths ask: Claude Code's PreToolUse hook (through the loopback PermissionGate, before every
// call) and its own permission prompt (`can_use_tool`, for AskUserQuestion). Each question goes
// to the session DO as a `permission_request`; the DO's `permission_response` is handed back to
// whichever path asked. Questions still open are sent again after a reconnection and withdrawn
// (`permission_cancelled`) when Claude Code exits. No question is asked while a checkpoint's
// snapshot may still be reading the workspace (`snapshotting`, workspace-archive.ts): the call must not
// run, nor a rule of the platform allow it, before tar has read the turn before's files.
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
  /** While a checkpoint's snapshot may be reading the workspace: resolves once it is taken. */
  snapshotting?: () => Promise<void> | undefined;
  log: Logger;
}

export class PermissionRelay {
  #options: PermissionRelayOptions;
  #pending = new Map<string, PermissionRequest>();
  /** Hooks waiting for the platform's decision, by request id (also in #pending). */
  #hookWaiters = new Map<string, (answer: HookAnswer) => void>();
  /** Prompts' questions not sent yet (in #pending too): they wait for a snapshot. */
  #held = new Set<string>();

  constructor(options: PermissionRelayOptions) {
    this.#options = options;
  }

  /**
   * A tool call Claude Code is about to make, from the PreToolUse hook: asked of the platform as a
   * `permission_request`. `AskUserQuestion` passes through to the prompt, whose answer carries the
   * user's answers into the call.
   */
  async askFromHook(call: HookCall, signal: AbortSignal): Promise<HookAnswer> {
    if (call.tool_name === "AskUserQuestion") return { decision: "passthrough" };
    const { workspaceDir, send, snapshotting, log } = this.#options;
    const snapshot = snapshotting?.();
    if (snapshot) {
      log.info("tool call waits for the checkpoint's snapshot", { tool_name: call.tool_name });
      await snapshot;
      if (signal.aborted) return { decision: "deny", reason: "The tool call was withdrawn." };
    }
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
    const snapshot = this.#options.snapshotting?.();
    if (!snapshot) {
      this.#options.send(request);
      return;
    }
    this.#options.log.info("permission prompt waits for the checkpoint's snapshot", { tool_name: request.tool_name });
    this.#held.add(request.request_id);
    void snapshot.then(() => {
      // Unless withdrawn meanwhile (or replaced under a repeated id).
      if (this.#held.delete(request.request_id) && this.#pending.get(request.request_id) === request) this.#options.send(request);
    });
  }

  /** Claude Code withdrew its prompt (a question never sent is just dropped). */
  withdraw(requestId: string): void {
    const sent = !this.#held.delete(requestId);
    if (this.#pending.delete(requestId) && sent) this.#options.send({ type: "permission_cancelled", request_id: requestId });
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
    for (const request of this.#pending.values()) if (!this.#held.has(request.request_id)) this.#options.send(request);
  }

  /** Claude Code exited: every open question is withdrawn, every waiting hook denied. */
  cancelAll(): void {
    for (const requestId of this.#pending.keys()) {
      if (!this.#held.has(requestId)) this.#options.send({ type: "permission_cancelled", request_id: requestId });
    }
    this.#pending.clear();
    this.#held.clear();
    for (const answer of this.#hookWaiters.values()) answer({ decision: "deny", reason: "Claude Code exited" });
    this.#hookWaiters.clear();
  }
}
