/**
 * R2 object keys of file transfers. Every key lives under its session's prefix and ends with
 * the file's name, so a download is saved under a sensible name and a session's files can be
 * listed (and deleted) by prefix.
 */
import { Id } from "../../schemas/common.ts";
import { isPlainName } from "../../schemas/files.ts";

/** What a blob holds: bytes a client uploaded, or a workspace file the runner sent for download. */
export type BlobKind = "uploads" | "downloads";

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

/** Parses a key this module built; null for anything else (so a URL cannot reach other objects). */
export function parseBlobKey(key: string): BlobKey | null {
  const [root, sessionId, kind, id, name, ...rest] = key.split("/");
  if (root !== "sessions" || rest.length > 0 || (kind !== "uploads" && kind !== "downloads")) return null;
  if (!Id.safeParse(sessionId).success || !Id.safeParse(id).success) return null;
  if (name === undefined || !isPlainName(name)) return null;
  return { sessionId: sessionId!, kind, id: id!, name };
}
