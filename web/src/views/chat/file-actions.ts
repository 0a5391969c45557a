/**
 * Uploads into and downloads out of the session's workspace, through the signed URLs the
 * platform hands out (docs/api.md §7): the bytes go straight between the browser and storage.
 */
import type { Api } from "../../api.ts";
import { h, toast } from "../../dom.ts";

/** Largest upload the platform takes. */
const MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

/** Uploads one file into /workspace/uploads/; answers its path there, or null after telling the user why not. */
export async function uploadFile(api: Api, sessionId: string, file: File, progressAfter: Element): Promise<string | null> {
  if (file.size > MAX_UPLOAD_BYTES) {
    toast("Files are limited to 100 MB.", "error");
    return null;
  }
  const note = h("div", { class: "notice notice-info", "data-testid": "upload-progress" }, `Uploading ${file.name}…`);
  progressAfter.after(note);
  try {
    const contentType = file.type || "application/octet-stream";
    const ticket = await api.requestUpload(sessionId, { filename: file.name, content_type: contentType, size: file.size });
    const put = await fetch(ticket.upload_url, { method: "PUT", headers: { "content-type": contentType }, body: file });
    if (!put.ok) throw new Error(`upload failed (${put.status})`);
    const done = await api.completeUpload(sessionId, ticket.upload_id);
    const path = done.path || ticket.target_path;
    toast(`Uploaded to ${path}`);
    return path;
  } catch (error) {
    toast(`Upload failed: ${(error as Error).message}`, "error");
    return null;
  } finally {
    note.remove();
  }
}

/**
 * A path as the download route takes it: inside /workspace, or relative to it. The agent may
 * name files by its own absolute path (a local sandbox's workspace is `<root>/<session id>/workspace`).
 */
export function workspacePath(sessionId: string, path: string): string {
  if (path === "/workspace" || path.startsWith("/workspace/")) return path;
  const marker = `/${sessionId}/workspace/`;
  const at = path.indexOf(marker);
  return at === -1 ? path : path.slice(at + marker.length);
}

/** Downloads a workspace file through a signed URL. */
export async function downloadFile(api: Api, sessionId: string, path: string): Promise<void> {
  try {
    const { download_url } = await api.requestDownload(sessionId, workspacePath(sessionId, path));
    const a = h("a", { href: download_url, download: path.split("/").pop() || "download", class: "hidden" });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (error) {
    toast(`Download failed: ${(error as Error).message}`, "error");
  }
}
