/**
 * Files (docs/api.md §7): the REST bodies and answers of uploads and downloads, the limits, and the
 * two path rules every part applies the same way (upload names, workspace paths).
 * Imports nothing of the project.
 */
import { z } from "zod";
import { Id, Timestamp } from "./common.ts";

/** Largest file that may travel in either direction. */
export const MAX_FILE_BYTES = 100 * 1024 * 1024;
/** Uploads one session may start per minute (docs/api.md §9). */
export const UPLOADS_PER_MINUTE = 10;
/** Downloads one session may start per minute (docs/api.md §9): each one has the sandbox copy a file of up to 100 MB to storage. */
export const DOWNLOADS_PER_MINUTE = 10;
/** How long a signed URL stays valid unless a caller asks for less. */
export const SIGNED_URL_TTL_SECONDS = 15 * 60;
/** The workspace as the agent sees it; paths in answers are given under it. */
export const WORKSPACE_ROOT = "/workspace";
/** Where uploads land, relative to the workspace. */
export const UPLOADS_DIR = "uploads";
/** A transfer between R2 and the workspace gets 30 s plus 1 s per MB (a slow 1 MB/s link) before it is given up. */
export function transferTimeoutMs(sizeBytes: number): number {
  return 30_000 + Math.ceil(sizeBytes / (1024 * 1024)) * 1_000;
}
/** Longest file name most file systems accept, in UTF-8 bytes. */
const MAX_NAME_BYTES = 255;

/** Error codes of the file routes and of the WebSocket file frames. */
export const FileErrorCode = z.enum([
  "invalid_filename",
  "file_too_large",
  "rate_limited",
  "session_not_running",
  "upload_not_found",
  "upload_incomplete",
  "invalid_path",
  "file_not_found",
  "not_a_file",
  "file_transfer_failed",
  "file_transfer_timeout",
]);
export type FileErrorCode = z.infer<typeof FileErrorCode>;

/** POST /v1/io/sessions/{id}/upload. `size` is checked against the limit by the route (413, not 400). */
export const UploadRequest = z
  .object({
    filename: z.string().min(1).max(1_024),
    content_type: z.string().max(255),
    size: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
  })
  .strict()
  .meta({ id: "UploadRequest" });
export type UploadRequest = z.infer<typeof UploadRequest>;

/** Where to PUT the bytes, and where they will land. */
export const UploadTicket = z
  .object({
    upload_url: z.string(),
    upload_id: Id,
    target_path: z.string(),
    expires_at: Timestamp,
  })
  .meta({ id: "UploadTicket" });
export type UploadTicket = z.infer<typeof UploadTicket>;

/** POST /v1/io/sessions/{id}/upload/complete. */
export const UploadCompleteRequest = z.object({ upload_id: Id }).strict().meta({ id: "UploadCompleteRequest" });
export type UploadCompleteRequest = z.infer<typeof UploadCompleteRequest>;

/** The file is in the workspace at `path`. */
export const UploadCompleted = z.object({ success: z.literal(true), path: z.string() }).meta({ id: "UploadCompleted" });
export type UploadCompleted = z.infer<typeof UploadCompleted>;

/** POST /v1/io/sessions/{id}/download: a path inside the workspace, absolute (`/workspace/...`) or relative to it. */
export const DownloadRequest = z
  .object({ path: z.string().min(1).max(4_096) })
  .strict()
  .meta({ id: "DownloadRequest" });
export type DownloadRequest = z.infer<typeof DownloadRequest>;

/** Where to GET the file; `size` is its length in bytes. */
export const DownloadTicket = z
  .object({
    download_url: z.string(),
    expires_at: Timestamp,
    size: z.int().min(0),
  })
  .meta({ id: "DownloadTicket" });
export type DownloadTicket = z.infer<typeof DownloadTicket>;

/**
 * Never part of a name or path: control characters (C0, DEL, C1) and lone UTF-16 surrogates
 * (`\p{Cs}` in a `u` regex matches only unpaired ones), which have no UTF-8 form and would
 * break URL encoding further on.
 */
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]|\p{Cs}/u;

/** True for one file name as a file system takes it: no separator, no control character, not `.`/`..`, at most 255 bytes. */
export function isPlainName(name: string): boolean {
  if (name === "" || name === "." || name === ".." || name.includes("/") || CONTROL_CHARS.test(name)) return false;
  return new TextEncoder().encode(name).byteLength <= MAX_NAME_BYTES;
}

/**
 * The name an upload is stored under: the last segment of what the client sent (either
 * separator), NFC-normalised and trimmed; null when that is not a plain name (empty, `.`, `..`,
 * control characters, or longer than a file system takes).
 */
export function sanitizeFilename(filename: string): string | null {
  const name = (filename.split(/[/\\]/).pop() ?? "").normalize("NFC").trim();
  return isPlainName(name) ? name : null;
}

/**
 * A path inside the workspace, as segments relative to it: `/workspace/a/../b` and `b` both
 * give `["b"]`. Null when it escapes the workspace, names the workspace itself, or holds a NUL
 * or control character. Symlinks are not resolved here: the runner does that against its disk.
 */
export function workspaceSegments(path: string): string[] | null {
  if (CONTROL_CHARS.test(path)) return null;
  let rest = path;
  if (rest.startsWith("/")) {
    if (rest !== WORKSPACE_ROOT && !rest.startsWith(`${WORKSPACE_ROOT}/`)) return null;
    rest = rest.slice(WORKSPACE_ROOT.length);
  }
  const segments: string[] = [];
  for (const segment of rest.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") {
      if (segments.length === 0) return null;
      segments.pop();
    } else segments.push(segment);
  }
  return segments.length > 0 ? segments : null;
}
