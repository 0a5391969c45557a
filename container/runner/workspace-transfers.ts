// WorkspaceTransfers: the runner's half of uploads and downloads. `fetch_file` downloads a signed URL
// into the workspace atomically (a temporary file renamed into place), `send_file` uploads a
// workspace file to a signed URL; both stream, both stay inside the workspace (workspace-files.ts),
// and both answer with one `file_result`, kept until it could be sent (the socket may be down).
import { open, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { transferTimeoutMs } from "../../schemas/files.ts";
import type { FileResultFrame, PlatformToRunner } from "../../schemas/runner.ts";
import { downloadTo, uploadFrom } from "./http-transfer.ts";
import type { Logger } from "./log.ts";
import { openWorkspaceFile, prepareWorkspaceTarget, TransferError } from "./workspace-files.ts";

/** A transfer the platform asked for. */
export type TransferFrame = Extract<PlatformToRunner, { type: "fetch_file" | "send_file" }>;

/** Options of a WorkspaceTransfers. */
export type FileTransfersOptions = {
  workspaceDir: string;
  /** Sends a result now; false when the channel is down (it is resent by `resync`). */
  send(frame: FileResultFrame): boolean;
  log: Logger;
};

/** Longest error text sent to the platform (the frame's limit). */
const MAX_ERROR_CHARS = 2_000;

/** Runs file transfers and reports their results. */
export class WorkspaceTransfers {
  #opts: FileTransfersOptions;
  /** Transfers running now, by id: a frame delivered twice runs once. */
  #running = new Set<string>();
  #unsent: FileResultFrame[] = [];

  constructor(opts: FileTransfersOptions) {
    this.#opts = opts;
  }

  /** Starts a transfer in the background. */
  handle(frame: TransferFrame): void {
    if (this.#running.has(frame.transfer_id)) return;
    this.#running.add(frame.transfer_id);
    void this.#run(frame).finally(() => this.#running.delete(frame.transfer_id));
  }

  /** Resends results that could not be sent while the channel was down. */
  resync(): void {
    const unsent = this.#unsent.splice(0);
    for (const result of unsent) this.#report(result);
  }

  async #run(frame: TransferFrame): Promise<void> {
    const { log } = this.#opts;
    const started = Date.now();
    log.info(`${frame.type} started`, { transfer_id: frame.transfer_id, path: frame.path });
    try {
      const done = frame.type === "fetch_file" ? await this.#fetch(frame) : await this.#send(frame);
      log.info(`${frame.type} done`, { transfer_id: frame.transfer_id, path: done.path, bytes: done.size, ms: Date.now() - started });
      this.#report({ type: "file_result", transfer_id: frame.transfer_id, ok: true, ...done });
    } catch (error) {
      const failure = error instanceof TransferError ? error : new TransferError("io_error", (error as Error).message ?? String(error));
      log.warn(`${frame.type} failed`, {
        transfer_id: frame.transfer_id,
        path: frame.path,
        reason: failure.reason,
        error: failure.message,
      });
      this.#report({
        type: "file_result",
        transfer_id: frame.transfer_id,
        ok: false,
        reason: failure.reason,
        error: failure.message.slice(0, MAX_ERROR_CHARS),
      });
    }
  }

  /** Download into a temporary file beside the target, then rename it over the target. */
  async #fetch(frame: Extract<TransferFrame, { type: "fetch_file" }>): Promise<{ path: string; size: number }> {
    const target = await prepareWorkspaceTarget(this.#opts.workspaceDir, frame.path);
    const temporary = path.join(target.dir, `.upload-${frame.transfer_id}.part`);
    // "wx": created new, never through an existing file or symlink of that name.
    const handle = await open(temporary, "wx", 0o644);
    try {
      await downloadTo(frame.url, handle, frame.size, transferTimeoutMs(frame.size));
    } catch (error) {
      await handle.close().catch(() => undefined);
      await unlink(temporary).catch(() => undefined);
      throw error;
    }
    try {
      // rename replaces a symlink at the target rather than writing through it.
      await rename(temporary, target.target);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw new TransferError("io_error", `cannot place the file at ${target.relPath}: ${(error as Error).message}`);
    }
    return { path: target.relPath, size: frame.size };
  }

  async #send(frame: Extract<TransferFrame, { type: "send_file" }>): Promise<{ path: string; size: number }> {
    const file = await openWorkspaceFile(this.#opts.workspaceDir, frame.path);
    try {
      await uploadFrom(frame.url, file.handle, file.size, transferTimeoutMs(file.size));
    } finally {
      // Already closed by the stream that read it, unless the file was empty or the send failed early.
      await file.handle.close().catch(() => undefined);
    }
    return { path: file.relPath, size: file.size };
  }

  #report(result: FileResultFrame): void {
    if (!this.#opts.send(result)) this.#unsent.push(result);
  }
}
