/**
 * Files (docs/api.md §7): uploads into and downloads out of a session's workspace, through signed
 * URLs. Bytes stream in both directions (never held whole), with optional progress reports.
 */
import {
  DownloadTicket,
  UploadCompleted,
  UploadTicket,
  type DownloadTicket as DownloadTicketData,
  type UploadTicket as UploadTicketData,
} from "../../schemas/files.ts";
import { AiSessionsError } from "../../client-core/errors.ts";
import { errorFrom, segment, type RestTransport } from "../../client-core/rest.ts";
import { validated } from "../validate.ts";
import { countBytes, type ProgressListener } from "../progress.ts";
import type { CallOptions } from "./call-options.ts";

/** What can be uploaded: bytes in memory, a Blob/File (e.g. Node's `fs.openAsBlob`), or a stream of known size. */
export type UploadBody = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array>;

/** Options of {@link FilesApi.upload}. */
export interface UploadOptions extends CallOptions {
  /** The name it gets in `/workspace/uploads/` (default: the File's name). */
  filename?: string;
  /** Default: the Blob's type, else `application/octet-stream`. */
  contentType?: string;
  /** Byte length; required for a stream, taken from the body otherwise. */
  size?: number;
  onProgress?: ProgressListener;
}

/** A download in flight: its ticket and the bytes, to be read once. */
export interface Download {
  ticket: DownloadTicketData;
  contentType: string | null;
  body: ReadableStream<Uint8Array>;
}

/** Length of a body that carries it. */
function sizeOf(body: UploadBody): number | undefined {
  if (body instanceof Blob) return body.size;
  if (body instanceof Uint8Array || body instanceof ArrayBuffer) return body.byteLength;
  return undefined;
}

/** The body as a stream. */
function streamOf(body: UploadBody): ReadableStream<Uint8Array> {
  if (body instanceof ReadableStream) return body;
  // The cast only widens Uint8Array's buffer type (TS 5.7+ distinguishes SharedArrayBuffer); Blob copies the bytes.
  return new Blob([body as Uint8Array<ArrayBuffer>]).stream() as ReadableStream<Uint8Array>;
}

/** `/v1/io/sessions/{id}/...` and the signed URLs they hand out. */
export class FilesApi {
  readonly #t: RestTransport;

  constructor(transport: RestTransport) {
    this.#t = transport;
  }

  /** Reserves an upload (≤ 100 MB; 10 per minute per session): where to PUT the bytes. */
  requestUpload(sessionId: string, file: { filename: string; content_type: string; size: number }, options: CallOptions = {}) {
    return this.#t.request({
      method: "POST",
      path: `/v1/io/sessions/${segment(sessionId)}/upload`,
      body: file,
      parse: validated(UploadTicket),
      idempotent: false,
      ...options,
    });
  }

  /** PUTs the bytes to a ticket's signed URL, streaming them. */
  async putUpload(ticket: UploadTicketData, body: UploadBody, options: Omit<UploadOptions, "filename"> & { size: number }): Promise<void> {
    let stream: ReadableStream<Uint8Array> | Blob | Uint8Array | ArrayBuffer = body;
    if (options.onProgress) stream = countBytes(streamOf(body), options.size, options.onProgress);
    const init: RequestInit & { duplex?: "half" } = {
      method: "PUT",
      // The signed URL wants the exact length up front (R2 streams it in); a stream has none of its own.
      headers: { "content-length": String(options.size), "content-type": options.contentType ?? "application/octet-stream" },
      body: stream as BodyInit,
      signal: options.signal,
    };
    if (stream instanceof ReadableStream) init.duplex = "half";
    const response = await this.#fetch(new URL(ticket.upload_url, this.#t.baseUrl).toString(), init, "PUT upload_url");
    if (!response.ok) throw await errorFrom(response);
    await response.body?.cancel();
  }

  /** Moves an uploaded file into the workspace; answers its path there. */
  completeUpload(sessionId: string, uploadId: string, options: CallOptions = {}) {
    return this.#t.request({
      method: "POST",
      path: `/v1/io/sessions/${segment(sessionId)}/upload/complete`,
      body: { upload_id: uploadId },
      parse: validated(UploadCompleted),
      idempotent: false,
      ...options,
    });
  }

  /** Uploads a file into `/workspace/uploads/` in one call: reserve, stream the bytes, complete. */
  async upload(sessionId: string, body: UploadBody, options: UploadOptions = {}) {
    const size = options.size ?? sizeOf(body);
    if (size === undefined) throw new AiSessionsError(0, "invalid_request", "options.size is required when uploading a stream");
    const filename = options.filename ?? (typeof File !== "undefined" && body instanceof File ? body.name : undefined);
    if (!filename) throw new AiSessionsError(0, "invalid_request", "options.filename is required");
    const contentType = options.contentType ?? (body instanceof Blob && body.type ? body.type : "application/octet-stream");
    const ticket = await this.requestUpload(sessionId, { filename, content_type: contentType, size }, options);
    await this.putUpload(ticket, body, { ...options, size, contentType });
    const completed = await this.completeUpload(sessionId, ticket.upload_id, options);
    return { ...completed, upload_id: ticket.upload_id, target_path: ticket.target_path };
  }

  /** Fetches a workspace file into storage and answers a signed URL to GET it from. */
  requestDownload(sessionId: string, path: string, options: CallOptions = {}) {
    // Repeating it only fetches the file again and signs a fresh URL.
    return this.#t.request({
      method: "POST",
      path: `/v1/io/sessions/${segment(sessionId)}/download`,
      body: { path },
      parse: validated(DownloadTicket),
      idempotent: true,
      ...options,
    });
  }

  /** Opens the bytes of a download ticket as a stream. */
  async openDownload(ticket: DownloadTicketData, options: CallOptions & { onProgress?: ProgressListener } = {}): Promise<Download> {
    const response = await this.#fetch(
      new URL(ticket.download_url, this.#t.baseUrl).toString(),
      { method: "GET", signal: options.signal },
      "GET download_url",
    );
    if (!response.ok) throw await errorFrom(response);
    if (!response.body) throw new AiSessionsError(response.status, "invalid_response", "the download has no body");
    const body = options.onProgress ? countBytes(response.body, ticket.size, options.onProgress) : response.body;
    return { ticket, contentType: response.headers.get("content-type"), body };
  }

  /** A workspace file as a stream: request the URL, then open it. */
  async download(sessionId: string, path: string, options: CallOptions & { onProgress?: ProgressListener } = {}): Promise<Download> {
    return this.openDownload(await this.requestDownload(sessionId, path, options), options);
  }

  /** A workspace file's bytes, in memory (for small files; stream large ones with {@link download}). */
  async downloadBytes(sessionId: string, path: string, options: CallOptions & { onProgress?: ProgressListener } = {}): Promise<Uint8Array> {
    const { body } = await this.download(sessionId, path, options);
    return new Uint8Array(await new Response(body).arrayBuffer());
  }

  /** A request to a signed URL: no bearer token (the signature is the authorization), errors as {@link AiSessionsError}. */
  async #fetch(url: string, init: RequestInit, what: string): Promise<Response> {
    try {
      return await this.#t.fetch(url, init);
    } catch (error) {
      const aborted = init.signal?.aborted ?? false;
      throw new AiSessionsError(
        0,
        aborted ? "aborted" : "network_error",
        `${what}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
  }
}
