/**
 * File transfers of one session (docs/api.md §7), run inside its Durable Object.
 *
 * Bytes never pass through here: clients PUT and GET signed URLs that the Worker streams to and
 * from R2, and the runner moves files between R2 and the workspace over signed URLs of its own.
 * This object hands out those URLs, counts uploads and downloads (10 of each per minute, exactly:
 * the count and the record are one synchronous SQLite step), and waits for the runner's `file_result`.
 *
 * A transfer needs a ready runner (runner-ready.ts): one asked of a sleeping session (which the
 * request wakes), a starting one, or one whose runner reconnects waits for it, bounded, and is
 * sent only once the workspace is restored.
 *
 * Upload records live in their own table so they survive eviction (a client may complete an
 * upload minutes after asking for it); the waits for the runner are in memory, because the
 * request that waits keeps this object alive until the answer or the timeout.
 */
import type { ClientFrame } from "../../schemas/client-frames.ts";
import type { ServerEventBody, StoredEventBody } from "../../schemas/events.ts";
import {
  DOWNLOADS_PER_MINUTE,
  MAX_FILE_BYTES,
  SIGNED_URL_TTL_SECONDS,
  UPLOADS_DIR,
  UPLOADS_PER_MINUTE,
  WORKSPACE_ROOT,
  sanitizeFilename,
  transferTimeoutMs,
  workspaceSegments,
  type DownloadTicket,
  type FileErrorCode,
  type UploadCompleted,
  type UploadRequest,
  type UploadTicket,
} from "../../schemas/files.ts";
import type { FileFailureReason, FileResultFrame, PlatformToRunner } from "../../schemas/runner.ts";
import { sessionTimers } from "../../platform/config.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import type { Env } from "../../platform/env.ts";
import { blobKey, deletePrefix, sessionPrefix } from "../../platform/files/blob-keys.ts";
import { blobSigningKey, signBlobUrl, type BlobGrant } from "../../platform/files/signed-url.ts";
import type { Readiness, ReadyOutcome } from "./runner-ready.ts";
import type { SessionState } from "./session-state.ts";
import type { FileFailure, FileOutcome } from "../../platform/contracts/session.ts";

/** Window of the upload and download rate limits. */
const TRANSFER_WINDOW_MS = 60_000;
/** Extra wait beyond the runner's transfer limit, for its answer to arrive. */
const RUNNER_GRACE_MS = 5_000;
/** Upload records older than this are forgotten (their URLs expired long ago). */
const UPLOAD_RECORD_TTL_MS = 24 * 60 * 60 * 1000;

/** The client frames handled here. */
export type FileClientFrame = Extract<ClientFrame, { type: "upload_request" | "upload_complete" | "download_request" }>;

/** What the session DO lends this module. */
export interface FileTransferHost {
  /** The session, or null when the object holds none. */
  state(): SessionState | null;
  /** Where the runner stands now (runner-ready.ts). */
  readiness(): Readiness;
  /**
   * Wakes a sleeping session, then waits, at most `timeoutMs`, until the runner is ready or the
   * session ended. Called only once a request passed its checks (name, size, rate, the uploaded
   * object), so a refused request never wakes a session.
   */
  waitForRunner(timeoutMs: number): Promise<ReadyOutcome>;
  /** Stores an event and broadcasts it. */
  emit(event: StoredEventBody): void;
  /** Sends a reply to one client (not stored). */
  reply(ws: WebSocket, event: ServerEventBody): void;
}

type UploadRow = { id: string; name: string; size: number; object_key: string; created_at: number; completed_at: number | null };
type RunnerResult = Extract<FileResultFrame, { ok: true }> | { ok: false; reason: FileFailureReason | "timeout"; error: string };
type TransferFrame = Extract<PlatformToRunner, { type: "fetch_file" | "send_file" }>;
/** A transfer that never reached a sandbox (none was ready, or it disconnected): nothing was done. */
type Unsent = { ok: false; failure: FileFailure; unsent: true };

const fail = (
  status: FileFailure["status"],
  code: FileErrorCode,
  message: string,
  retryAfterSeconds?: number,
): { ok: false; failure: FileFailure } => ({
  ok: false,
  failure: { status, code, message, ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) },
});

/** The 409 of a transfer that reached no sandbox. */
const unsent = (message: string): Unsent => ({ ...fail(409, "session_not_running", message), unsent: true });

/** The session's uploads and downloads. */
export class FileTransfers {
  readonly #sql: SqlStorage;
  readonly #env: Env;
  readonly #host: FileTransferHost;
  /** Transfers waiting for the runner's `file_result`, by transfer id. */
  readonly #waiting = new Map<string, (result: RunnerResult) => void>();
  /** Completions under way, by upload id: a repeated request joins the running one. */
  readonly #completing = new Map<string, Promise<FileOutcome<UploadCompleted>>>();

  constructor(sql: SqlStorage, env: Env, host: FileTransferHost) {
    this.#sql = sql;
    this.#env = env;
    this.#host = host;
  }

  /** Reserves an upload: checks name, size and rate, records it, and signs the PUT URL. */
  async requestUpload(input: UploadRequest, base: string): Promise<FileOutcome<UploadTicket>> {
    const state = this.#host.state();
    if (!state || state.status === "ended") return fail(409, "session_not_running", "the session has ended");
    const name = sanitizeFilename(input.filename);
    if (!name)
      return fail(400, "invalid_filename", "filename must name a file: not empty, '.' or '..', no control characters, at most 255 bytes");
    if (input.size > MAX_FILE_BYTES) return fail(413, "file_too_large", `files are limited to ${MAX_FILE_BYTES} bytes (100 MB)`);

    // Count and record in one synchronous stretch: no other request can slip in between.
    const now = Date.now();
    this.#ensureTable();
    this.#sql.exec(`DELETE FROM file_uploads WHERE created_at <= ?`, now - UPLOAD_RECORD_TTL_MS);
    const limited = this.#rateLimited("file_uploads", UPLOADS_PER_MINUTE, "uploads", now);
    if (limited) return limited;
    const id = newId();
    const key = blobKey({ sessionId: state.init.id, kind: "uploads", id, name });
    this.#sql.exec(
      `INSERT INTO file_uploads (id, name, content_type, size, object_key, created_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, NULL)`,
      id,
      name,
      input.content_type,
      input.size,
      key,
      now,
    );
    const signed = await this.#sign(base, { method: "PUT", key, length: input.size });
    return {
      ok: true,
      value: {
        upload_url: signed.url,
        upload_id: id,
        target_path: `${WORKSPACE_ROOT}/${UPLOADS_DIR}/${name}`,
        expires_at: signed.expiresAt,
      },
    };
  }

  /** Moves an uploaded object into the workspace through the runner; idempotent per upload. */
  completeUpload(uploadId: string, requestId?: string): Promise<FileOutcome<UploadCompleted>> {
    const running = this.#completing.get(uploadId);
    if (running) return running;
    const completion = this.#complete(uploadId, requestId).finally(() => this.#completing.delete(uploadId));
    this.#completing.set(uploadId, completion);
    return completion;
  }

  async #complete(uploadId: string, requestId: string | undefined): Promise<FileOutcome<UploadCompleted>> {
    const state = this.#host.state();
    if (!state || state.status === "ended") return fail(409, "session_not_running", "the session has ended");
    this.#ensureTable();
    const row = this.#sql
      .exec<UploadRow>(`SELECT id, name, size, object_key, created_at, completed_at FROM file_uploads WHERE id = ?`, uploadId)
      .toArray()[0];
    if (!row) return fail(404, "upload_not_found", "no such upload in this session");
    const path = `${WORKSPACE_ROOT}/${UPLOADS_DIR}/${row.name}`;
    if (row.completed_at !== null) return { ok: true, value: { success: true, path } };

    const object = await this.#env.FILES.head(row.object_key);
    if (!object) return fail(409, "upload_incomplete", "nothing was uploaded yet: PUT the file to upload_url first");
    if (object.size !== row.size)
      return fail(409, "upload_incomplete", `the uploaded file has ${object.size} bytes, not the ${row.size} declared`);

    const result = await this.#askRunner(async () => {
      const { url } = await this.#sign(state.init.platformUrl, { method: "GET", key: row.object_key });
      return { type: "fetch_file", transfer_id: newId(), url, path: `${UPLOADS_DIR}/${row.name}`, size: row.size };
    }, row.size);
    if (!result.ok) return "failure" in result ? result : this.#transferFailure(result);

    this.#sql.exec(`UPDATE file_uploads SET completed_at = ? WHERE id = ?`, Date.now(), row.id);
    // The bytes are in the workspace now (and travel with its archive); the staging copy can go.
    // Best effort: a copy left behind is removed with the session's record.
    await this.#env.FILES.delete(row.object_key).catch((error: unknown) =>
      console.warn(`upload ${row.id}: staging copy not deleted:`, error instanceof Error ? error.message : error),
    );
    this.#host.emit({
      type: "system",
      payload: {
        subtype: "file_uploaded",
        message: `Uploaded ${row.name} (${row.size} bytes) to ${path}`,
        path,
        size: row.size,
        upload_id: row.id,
        ...(requestId ? { request_id: requestId } : {}),
      },
    });
    return { ok: true, value: { success: true, path } };
  }

  /** Has the runner send a workspace file to R2, then signs a GET URL for it. */
  async requestDownload(path: string, base: string): Promise<FileOutcome<DownloadTicket>> {
    const state = this.#host.state();
    if (!state || state.status === "ended") return fail(409, "session_not_running", "the session has ended");
    const segments = workspaceSegments(path);
    if (!segments) return fail(400, "invalid_path", `path must name a file inside ${WORKSPACE_ROOT}`);
    // Counted like uploads, when asked, so a 429 answers at once without waking anything; a failed
    // copy counts too (the sandbox did the work), but not a request no sandbox ever received: the
    // reservation is taken back (below), so retrying a sleeping session costs nothing.
    const now = Date.now();
    this.#ensureTable();
    this.#sql.exec(`DELETE FROM file_downloads WHERE created_at <= ?`, now - TRANSFER_WINDOW_MS);
    const limited = this.#rateLimited("file_downloads", DOWNLOADS_PER_MINUTE, "downloads", now);
    if (limited) return limited;
    const transferId = newId();
    this.#sql.exec(`INSERT INTO file_downloads (id, created_at) VALUES (?, ?)`, transferId, now);
    const key = blobKey({ sessionId: state.init.id, kind: "downloads", id: transferId, name: segments.at(-1)! });
    const result = await this.#askRunner(async () => {
      const put = await this.#sign(state.init.platformUrl, { method: "PUT", key });
      return { type: "send_file", transfer_id: transferId, path: segments.join("/"), url: put.url };
    }, MAX_FILE_BYTES);
    if (!result.ok && "unsent" in result) this.#sql.exec(`DELETE FROM file_downloads WHERE id = ?`, transferId);
    if (!result.ok) return "failure" in result ? result : this.#transferFailure(result);
    const get = await this.#sign(base, { method: "GET", key });
    return { ok: true, value: { download_url: get.url, expires_at: get.expiresAt, size: result.size } };
  }

  /** Deletes the session's uploads and downloads from R2 (its record is being deleted). */
  async deleteStoredFiles(sessionId: string): Promise<void> {
    for (const kind of ["uploads", "downloads"] as const) await deletePrefix(this.#env.FILES, `${sessionPrefix(sessionId)}${kind}/`);
  }

  /** Transfers sent to the runner and not answered yet (the session does not go to sleep under them). */
  get inFlight(): number {
    return this.#waiting.size;
  }

  /** A `file_result` from the runner; one nobody waits for any more (timed out) is dropped. */
  onRunnerResult(frame: FileResultFrame): void {
    const resolve = this.#waiting.get(frame.transfer_id);
    if (!resolve) return;
    this.#waiting.delete(frame.transfer_id);
    resolve(frame.ok ? frame : { ok: false, reason: frame.reason, error: frame.error });
  }

  /** The WebSocket equivalents: answers go to `ws` only (`upload_url`, `download_url`, `error`); a completed upload is a stored event. */
  async onClientFrame(ws: WebSocket, frame: FileClientFrame): Promise<void> {
    const requestId = frame.payload.request_id;
    const platformUrl = this.#host.state()?.init.platformUrl ?? "";
    const refuse = (failure: FileFailure) =>
      this.#host.reply(ws, { type: "error", payload: { code: failure.code, message: failure.message, request_id: requestId } });
    switch (frame.type) {
      case "upload_request": {
        const { filename, content_type, size } = frame.payload;
        const outcome = await this.requestUpload({ filename, content_type, size }, platformUrl);
        if (!outcome.ok) return refuse(outcome.failure);
        return this.#host.reply(ws, { type: "upload_url", payload: { request_id: requestId, ...outcome.value } });
      }
      case "upload_complete": {
        const outcome = await this.completeUpload(frame.payload.upload_id, requestId);
        if (!outcome.ok) refuse(outcome.failure);
        return;
      }
      case "download_request": {
        const outcome = await this.requestDownload(frame.payload.path, platformUrl);
        if (!outcome.ok) return refuse(outcome.failure);
        return this.#host.reply(ws, { type: "download_url", payload: { request_id: requestId, ...outcome.value } });
      }
    }
  }

  /**
   * Waits for a ready runner (runner-ready.ts), then builds the transfer (its URL is signed only
   * now, so a long wait does not eat into its life), sends it and waits for its result (or the
   * timeout).
   *
   * The wait for the runner is bounded by STARTUP_TIMEOUT_SECONDS, the time a sandbox is given to
   * connect after a start or a wake (deadlines.ts): a sandbox that does not come within it ends
   * the session anyway (which answers here at once). A restore after it has a longer limit (10
   * minutes) but takes about a second; one still running at the bound answers 409
   * `session_not_running` (docs/api.md §7 has no 503 for these routes), and the client retries.
   */
  async #askRunner(build: () => Promise<TransferFrame>, sizeBytes: number): Promise<RunnerResult | Unsent> {
    const waitMs = sessionTimers(this.#env).startupTimeout * 1000;
    const outcome = await this.#host.waitForRunner(waitMs);
    if (outcome.kind === "ended") return unsent("the session has ended");
    if (outcome.kind === "timeout")
      return unsent(`the session's sandbox did not become ready within ${Math.round(waitMs / 1000)} s; try again in a moment`);
    const frame = await build();
    // Signing yields: the runner may have left meanwhile.
    const now = this.#host.readiness();
    if (now.kind !== "ready")
      return unsent(now.kind === "ended" ? "the session has ended" : "the session's sandbox disconnected; try again in a moment");
    const runner = now.runner;
    // A little longer than the runner's own limit, so a slow transfer ends with its clear error.
    const timeoutMs = transferTimeoutMs(sizeBytes) + RUNNER_GRACE_MS;
    const result = new Promise<RunnerResult>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(frame.transfer_id);
        resolve({
          ok: false,
          reason: "timeout",
          error: `the sandbox did not finish the transfer within ${Math.round(timeoutMs / 1000)} s`,
        });
      }, timeoutMs);
      this.#waiting.set(frame.transfer_id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
    });
    try {
      runner.send(JSON.stringify(frame));
    } catch {
      this.#waiting.delete(frame.transfer_id);
      return unsent("the session's sandbox disconnected; try again in a moment");
    }
    return result;
  }

  #transferFailure(result: Extract<RunnerResult, { ok: false }>): { ok: false; failure: FileFailure } {
    switch (result.reason) {
      case "not_found":
        return fail(404, "file_not_found", result.error);
      case "not_a_file":
        return fail(400, "not_a_file", result.error);
      case "outside_workspace":
        return fail(400, "invalid_path", result.error);
      case "too_large":
        return fail(413, "file_too_large", result.error);
      case "timeout":
        return fail(504, "file_transfer_timeout", result.error);
      default:
        return fail(502, "file_transfer_failed", `the sandbox could not move the file: ${result.error}`);
    }
  }

  /** The 429 when `table` holds `limit` transfers from the last minute; null while there is room. */
  #rateLimited(
    table: "file_uploads" | "file_downloads",
    limit: number,
    what: string,
    now: number,
  ): { ok: false; failure: FileFailure } | null {
    const { used, oldest } = this.#sql
      .exec<{ used: number; oldest: number | null }>(
        `SELECT COUNT(*) AS used, MIN(created_at) AS oldest FROM ${table} WHERE created_at > ?`,
        now - TRANSFER_WINDOW_MS,
      )
      .one();
    if (used < limit) return null;
    const retryAfter = Math.max(1, Math.ceil(((oldest ?? now) + TRANSFER_WINDOW_MS - now) / 1000));
    return fail(429, "rate_limited", `at most ${limit} ${what} per minute per session; retry in ${retryAfter} s`, retryAfter);
  }

  async #sign(base: string, grant: Omit<BlobGrant, "expiresAt">): Promise<{ url: string; expiresAt: string }> {
    const expiresAt = Math.floor(Date.now() / 1000) + SIGNED_URL_TTL_SECONDS;
    const url = await signBlobUrl(await blobSigningKey(this.#env), base, { ...grant, expiresAt });
    return { url, expiresAt: new Date(expiresAt * 1000).toISOString() };
  }

  /** Created on use: `deleteAll()` (record deletion) drops it with everything else. */
  #ensureTable(): void {
    this.#sql.exec(
      `CREATE TABLE IF NOT EXISTS file_uploads (id TEXT PRIMARY KEY, name TEXT NOT NULL, content_type TEXT NOT NULL, size INTEGER NOT NULL, object_key TEXT NOT NULL, created_at INTEGER NOT NULL, completed_at INTEGER)`,
    );
    this.#sql.exec(`CREATE INDEX IF NOT EXISTS file_uploads_by_time ON file_uploads (created_at)`);
    this.#sql.exec(`CREATE TABLE IF NOT EXISTS file_downloads (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL)`);
  }
}
