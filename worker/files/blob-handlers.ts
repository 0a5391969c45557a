/**
 * Serving signed blob URLs: PUT streams the request body into R2, GET streams the object back.
 * No user authentication: a valid signature for this object, method and moment is the
 * authorization (signed-url.ts). Bodies are never held whole in memory.
 */
import { MAX_FILE_BYTES } from "../../schemas/files.ts";
import type { Env } from "../../platform/env.ts";
import { errorResponse } from "../../platform/errors.ts";
import { parseBlobKey, type BlobKey } from "../../platform/files/blob-keys.ts";
import { attachmentDisposition, chooseContentType, contentTypeFor } from "./content-type.ts";
import { blobSigningKey, verifyBlobUrl, type BlobGrant, type BlobMethod } from "../../platform/files/signed-url.ts";

/** The verified grant and the key's parts, or the 403 to answer with. */
async function authorize(env: Env, request: Request, method: BlobMethod): Promise<{ grant: BlobGrant; blob: BlobKey } | Response> {
  const verdict = await verifyBlobUrl(await blobSigningKey(env), method, new URL(request.url));
  if (!verdict.ok) return errorResponse(403, verdict.refusal.code, verdict.refusal.message);
  const blob = parseBlobKey(verdict.grant.key);
  // Only keys this platform builds are ever signed; anything else is refused like a bad signature.
  if (!blob) return errorResponse(403, "invalid_signature", "the URL does not name a file of this platform");
  return { grant: verdict.grant, blob };
}

/** PUT: the body, of exactly the signed length (or at most the file limit), into R2. */
export async function putBlob(env: Env, request: Request): Promise<Response> {
  const authorized = await authorize(env, request, "PUT");
  if (authorized instanceof Response) return authorized;
  const { grant, blob } = authorized;

  // R2 needs the length before the first byte; a chunked body without one cannot be streamed in.
  const header = request.headers.get("content-length");
  if (header === null) return errorResponse(411, "length_required", "send the file with a Content-Length header");
  if (!/^[0-9]{1,16}$/.test(header)) return errorResponse(400, "invalid_request", "Content-Length is not a byte count");
  const length = Number(header);
  const limit = grant.length ?? MAX_FILE_BYTES;
  if (length > limit) {
    return errorResponse(
      413,
      "file_too_large",
      grant.length !== undefined
        ? `this upload was declared as ${grant.length} bytes; got ${length}`
        : `files are limited to ${MAX_FILE_BYTES} bytes`,
    );
  }
  if (grant.length !== undefined && length !== grant.length) {
    return errorResponse(400, "size_mismatch", `this upload was declared as ${grant.length} bytes; got ${length}`);
  }

  // A FixedLengthStream tells R2 the length up front; the pump in front of it stops at the
  // first byte too many and tells a body of the wrong length apart from a storage failure.
  const sized = new FixedLengthStream(length);
  const pumped = pumpExactly(request.body, length, sized.writable);
  const contentType =
    blob.kind === "uploads" ? chooseContentType(request.headers.get("content-type"), blob.name) : contentTypeFor(blob.name);
  const [stored, pump] = await Promise.allSettled([env.FILES.put(grant.key, sized.readable, { httpMetadata: { contentType } }), pumped]);
  if (stored.status === "fulfilled" && pump.status === "fulfilled") return Response.json({ stored: true, size: length });
  if (pump.status === "rejected" && pump.reason instanceof BodyError) {
    // Not the announced length, or the client went away mid-body: nothing was stored.
    return errorResponse(400, "size_mismatch", `the body did not have the ${length} bytes its Content-Length announced`);
  }
  const failure = stored.status === "rejected" ? stored.reason : (pump as PromiseRejectedResult).reason;
  console.error(`blob PUT ${blob.kind}/${blob.id} could not be stored:`, failure instanceof Error ? failure.message : failure);
  return errorResponse(502, "storage_failed", "the file could not be stored; try again");
}

/** The request body was at fault: the wrong length, or it broke off. */
class BodyError extends Error {}

/** Copies `body` into `sink`, failing (and aborting the sink) unless it has exactly `length` bytes. */
async function pumpExactly(body: ReadableStream<Uint8Array> | null, length: number, sink: WritableStream<Uint8Array>): Promise<void> {
  const writer = sink.getWriter();
  const reader = body?.getReader();
  let received = 0;
  try {
    for (;;) {
      const chunk = reader
        ? await reader.read().catch((error: Error) => Promise.reject(new BodyError(error.message)))
        : { done: true as const, value: undefined };
      if (chunk.done) break;
      received += chunk.value.byteLength;
      if (received > length) throw new BodyError(`more than ${length} bytes`);
      await writer.write(chunk.value);
    }
    if (received < length) throw new BodyError(`only ${received} of ${length} bytes`);
    await writer.close();
  } catch (error) {
    await Promise.allSettled([writer.abort(error), reader?.cancel(error)]);
    throw error;
  }
}

/** GET: the object as an attachment. */
export async function getBlob(env: Env, request: Request): Promise<Response> {
  const authorized = await authorize(env, request, "GET");
  if (authorized instanceof Response) return authorized;
  const object = await env.FILES.get(authorized.grant.key);
  if (!object) return errorResponse(404, "file_not_found", "the file is no longer stored; ask for a new URL");
  const headers = new Headers({
    "content-type": object.httpMetadata?.contentType ?? contentTypeFor(authorized.blob.name),
    "content-length": String(object.size),
    "content-disposition": attachmentDisposition(authorized.blob.name),
    "x-content-type-options": "nosniff",
    // Even if a browser were made to render it, the file runs with no origin and no scripts.
    "content-security-policy": "sandbox; default-src 'none'",
    "cache-control": "private, no-store",
    etag: object.httpEtag,
  });
  return new Response(object.body, { headers });
}
