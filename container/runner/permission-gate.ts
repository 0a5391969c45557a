// PermissionGate: the runner's end of the PreToolUse hook (permission-hook.ts). A loopback HTTP
// server at an unguessable path; each request is one tool call Claude Code is about to make,
// answered once the platform has decided. A request whose hook went away (interrupt, Claude Code
// exiting) is withdrawn through `signal`.
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { z } from "zod";
import type { Logger } from "./log.ts";

/** Largest hook input accepted (a Write carries the whole file); larger calls are refused. */
const MAX_HOOK_INPUT_BYTES = 16 * 1024 * 1024;

/** What the hook sends: Claude Code's PreToolUse input (more fields are ignored). */
const HookInput = z.looseObject({
  tool_name: z.string().min(1),
  tool_input: z.record(z.string(), z.unknown()),
  tool_use_id: z.string().optional(),
});
export type HookCall = z.infer<typeof HookInput>;

/** The decision the hook prints; `passthrough` leaves the call to the permission prompt. */
export type HookAnswer =
  | { decision: "allow"; updatedInput?: Record<string, unknown>; reason?: string }
  | { decision: "deny"; reason: string }
  | { decision: "passthrough" };

/** Decides one call; `signal` aborts when the hook is gone. */
export type HookDecider = (call: HookCall, signal: AbortSignal) => Promise<HookAnswer>;

/** The loopback server hooks talk to. */
export class PermissionGate {
  #server: http.Server;
  #secret = randomBytes(24).toString("base64url");
  #decide: HookDecider;
  #log: Logger;

  constructor(decide: HookDecider, log: Logger) {
    this.#decide = decide;
    this.#log = log;
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
    // An approval waits on a person: no timeout once the request is in (the hook has its own).
    this.#server.requestTimeout = 0;
  }

  /** Listens on 127.0.0.1; resolves the URL the hook must call (secret included). */
  async start(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once("error", reject);
      this.#server.listen(0, "127.0.0.1", () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/${this.#secret}`;
  }

  close(): void {
    this.#server.closeAllConnections();
    this.#server.close();
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const reply = (status: number, body: unknown): void => {
      if (!res.writableEnded) res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    if (req.method !== "POST" || req.url !== `/${this.#secret}`) return reply(404, { error: "not_found" });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_HOOK_INPUT_BYTES) return reply(200, { decision: "deny", reason: "the tool call is too large to check" });
      chunks.push(chunk);
    }
    let call: HookCall;
    try {
      call = HookInput.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
    } catch {
      return reply(400, { error: "invalid_hook_input" });
    }
    const abort = new AbortController();
    res.on("close", () => abort.abort()); // the hook was killed, or Claude Code went away
    try {
      reply(200, await this.#decide(call, abort.signal));
    } catch (error) {
      this.#log.warn("permission hook request failed", { error: (error as Error).message });
      reply(200, { decision: "deny", reason: "the platform could not decide this tool call" });
    }
  }
}
