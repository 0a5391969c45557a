/**
 * Files (docs/api.md §7): uploads and downloads through signed URLs. The JSON routes check ownership
 * and hand the work to the session's Durable Object (file-transfer.ts); the blob routes serve
 * the signed URLs themselves, streaming between the client and R2.
 */
import type { Context, Hono } from "hono";
import type { FileOutcome } from "../../platform/contracts/session.ts";
import {
  DownloadRequest,
  DownloadTicket,
  UploadCompleteRequest,
  UploadCompleted,
  UploadRequest,
  UploadTicket,
} from "../../schemas/files.ts";
import { getBlob, putBlob } from "../files/blob-handlers.ts";
import { BLOB_PATH_PREFIX } from "../../platform/files/signed-url.ts";
import { declaredRoutes, route, type RouteSpec } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../../platform/errors.ts";
import { ownedSession } from "../sessions/owners.ts";
import { sessionStub } from "../sessions/start-session.ts";

/** The origin the caller reached us on: the URLs handed to a client must work from where it is. */
function publicBase(c: Context<AppEnv>): string {
  return new URL(c.req.url).origin;
}

/** The value of a file outcome, or its failure as an API error. */
function unwrap<T>(outcome: FileOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  const { status, code, message, retryAfterSeconds } = outcome.failure;
  throw new ApiError(status, code, message, retryAfterSeconds !== undefined ? { "Retry-After": String(retryAfterSeconds) } : {});
}

export function fileRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/v1/io/sessions/:id/upload",
      summary:
        "Reserve an upload (≤ 100 MB, 10 per minute per session): PUT the bytes to `upload_url` (with Content-Length), then call upload/complete.",
      tag: "files",
      auth: "registered",
      body: UploadRequest,
      response: UploadTicket,
      errors: ["invalid_filename", "file_too_large", "rate_limited", "session_not_running"],
    },
    async (c, { params, body }) => {
      await ownedSession(c, params.id!);
      return c.json(unwrap(await sessionStub(c.env, params.id!).requestUpload(body, publicBase(c))));
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/io/sessions/:id/upload/complete",
      summary: "Move an uploaded file into the workspace (`/workspace/uploads/<name>`); answers once it is there.",
      tag: "files",
      auth: "registered",
      body: UploadCompleteRequest,
      response: UploadCompleted,
      errors: ["upload_not_found", "upload_incomplete", "session_not_running", "file_transfer_failed", "file_transfer_timeout"],
    },
    async (c, { params, body }) => {
      await ownedSession(c, params.id!);
      return c.json(unwrap(await sessionStub(c.env, params.id!).completeUpload(body.upload_id)));
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/io/sessions/:id/download",
      summary: "Fetch a workspace file (absolute under /workspace, or relative to it) and get a signed URL to GET it from.",
      tag: "files",
      auth: "registered",
      body: DownloadRequest,
      response: DownloadTicket,
      errors: [
        "invalid_path",
        "file_not_found",
        "not_a_file",
        "file_too_large",
        "session_not_running",
        "file_transfer_failed",
        "file_transfer_timeout",
      ],
    },
    async (c, { params, body }) => {
      await ownedSession(c, params.id!);
      return c.json(unwrap(await sessionStub(c.env, params.id!).requestDownload(body.path, publicBase(c))));
    },
  );

  // The signed URLs carry raw bytes, not JSON, so they are mounted directly; their entries in
  // the route list only document them.
  app.put(`${BLOB_PATH_PREFIX}*`, (c) => putBlob(c.env, c.req.raw));
  app.get(`${BLOB_PATH_PREFIX}*`, (c) => getBlob(c.env, c.req.raw));
  const blobDoc: Omit<RouteSpec, "method" | "summary"> = {
    path: `${BLOB_PATH_PREFIX}:key`,
    tag: "files",
    auth: "none",
    errors: ["invalid_signature", "url_expired", "file_not_found"],
  };
  declaredRoutes.push(
    {
      ...blobDoc,
      method: "put",
      summary:
        "A signed upload URL: the raw bytes, with a Content-Length equal to the declared size (no user auth: the signature is the authorization).",
    },
    {
      ...blobDoc,
      method: "get",
      summary: "A signed download URL: the file, as an attachment (no user auth: the signature is the authorization).",
    },
  );
}
