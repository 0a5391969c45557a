/**
 * R2 object keys of file transfers. Every key lives under its session's prefix and ends with
 * the file's name, so a download is saved under a sensible name and a session's files can be
 * listed (and deleted) by prefix.
 */
import { Id } from "../../schemas/common.ts";
import { isPlainName } from "../../schemas/files.ts";

/** What a blob holds: bytes a client uploaded, a workspace file the runner sent for download, or a hibernated session's archive. */
export type BlobKind = "uploads" | "downloads" | "archive";

/** The parts of a blob key. */
export interface BlobKey {
  sessionId: string;
  kind: BlobKind;
  /** The upload id or the download's transfer id. */
  id: string;
  name: string;
}

/** Prefix of every object a session owns in the bucket. */
export function sessionPrefix(sessionId: string): string {
  return `sessions/${sessionId}/`;
}

/** The key of one blob. */
export function blobKey(parts: BlobKey): string {
  return `${sessionPrefix(parts.sessionId)}${parts.kind}/${parts.id}/${parts.name}`;
}

/** The R2 key of a session's workspace archive: one per session, each hibernation replaces it (a fork starts with a copy of its source's). */
export function archiveKey(sessionId: string): string {
  return blobKey({ sessionId, kind: "archive", id: "latest", name: "workspace.tar.gz" });
}

/** Parses a key this module built; null for anything else (so a URL cannot reach other objects). */
export function parseBlobKey(key: string): BlobKey | null {
  const [root, sessionId, kind, id, name, ...rest] = key.split("/");
  if (root !== "sessions" || rest.length > 0 || (kind !== "uploads" && kind !== "downloads" && kind !== "archive")) return null;
  if (!Id.safeParse(sessionId).success || !Id.safeParse(id).success) return null;
  if (name === undefined || !isPlainName(name)) return null;
  return { sessionId: sessionId!, kind, id: id!, name };
}

/** Deletes every object under `prefix`, page by page (R2 lists at most 1000 at a time). */
export async function deletePrefix(bucket: R2Bucket, prefix: string): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix, ...(cursor ? { cursor } : {}) });
    if (page.objects.length > 0) await bucket.delete(page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}
