// Moving bytes between the workspace and the platform's signed URLs, streamed both ways: a file
// is never held whole in memory. The URLs are bearer credentials: never log them.
import type { FileHandle } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { TransferError } from "./workspace-files.ts";

/** How long a failed send waits for the platform's own answer, which explains the failure better. */
const EARLY_ANSWER_GRACE_MS = 1_000;
/** How much of an error answer is kept for the message. */
const ERROR_BODY_CHARS = 500;

/** A readable error from the platform's answer (`{error, message}` when it is JSON). */
function describeRefusal(status: number, body: string): string {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof json.message === "string")
      return `the platform answered ${status}${typeof json.error === "string" ? ` ${json.error}` : ""}: ${json.message}`;
  } catch {
    // not JSON
  }
  return `the platform answered ${status}${body ? `: ${body.slice(0, ERROR_BODY_CHARS)}` : ""}`;
}

/**
 * The body of `response`, which fails with a TransferError unless it has exactly `size` bytes
 * (more: at the first byte too many; fewer: at its end) or when the connection breaks off.
 */
function exactBody(response: http.IncomingMessage, size: number): Readable {
  async function* exactly(): AsyncGenerator<Buffer> {
    let bytes = 0;
    try {
      // Leaving the loop early (the reader stopped) destroys the response: the download stops.
      for await (const chunk of response as AsyncIterable<Buffer>) {
        bytes += chunk.byteLength;
        if (bytes > size) throw new TransferError("size_mismatch", `the download has more than the expected ${size} bytes`);
        yield chunk;
      }
    } catch (error) {
      if (error instanceof TransferError) throw error;
      throw new TransferError("http_error", `the download broke off: ${(error as Error).message}`);
    }
    if (bytes !== size) throw new TransferError("size_mismatch", `received ${bytes} bytes, expected ${size}`);
  }
  return Readable.from(exactly(), { objectMode: false });
}

/**
 * GETs `url` with node:http(s), never following a redirect; resolves once the answer's headers
 * arrived. Not `fetch`: in a runner's first download (a wake's restore) undici cost about 1 s of
 * CPU for 50 MB from the local platform, taking it in thousands of small chunks through web
 * streams, where node:http took about a third of that.
 */
function get(url: string, timeoutMs: number): Promise<http.IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.get(target, { signal: AbortSignal.timeout(timeoutMs) }, resolve);
    // Kept: an error after the answer came (the timeout, say) reaches the body as well.
    request.on("error", reject);
  });
}

/** Up to ERROR_BODY_CHARS of an answer's body, then the answer is dropped. */
async function refusalText(response: http.IncomingMessage): Promise<string> {
  let text = "";
  response.setEncoding("utf8");
  try {
    for await (const chunk of response as AsyncIterable<string>) {
      text += chunk;
      if (text.length >= ERROR_BODY_CHARS) break;
    }
  } catch {
    // what arrived is enough
  }
  response.destroy();
  return text.slice(0, ERROR_BODY_CHARS);
}

/**
 * GETs `url` and checks the answer (a success, of `size` bytes when it says its length); its
 * body, streamed, fails unless exactly `size` bytes arrive. Destroy it to stop early.
 */
export async function openDownload(url: string, size: number, timeoutMs: number): Promise<Readable> {
  let response: http.IncomingMessage;
  try {
    response = await get(url, timeoutMs);
  } catch (error) {
    throw new TransferError("http_error", `could not reach the platform: ${(error as Error).message}`);
  }
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) throw new TransferError("http_error", describeRefusal(status, await refusalText(response)));
  const announced = response.headers["content-length"];
  if (announced !== undefined && Number(announced) !== size) {
    response.destroy();
    throw new TransferError("size_mismatch", `the platform has ${announced} bytes, not the expected ${size}`);
  }
  return exactBody(response, size);
}

/** GETs `url` into `handle` (from offset 0), flushed to disk, and closes it; exactly `size` bytes must arrive. */
export async function downloadTo(url: string, handle: FileHandle, size: number, timeoutMs: number): Promise<void> {
  const body = await openDownload(url, size, timeoutMs);
  try {
    // The stream owns the handle from here: it flushes it to disk and closes it.
    await pipeline(body, handle.createWriteStream({ start: 0, flush: true }));
  } catch (error) {
    if (error instanceof TransferError) throw error;
    throw new TransferError("http_error", `the download broke off: ${(error as Error).message}`);
  }
}

/** PUTs the first `size` bytes of `handle` to `url`, with that Content-Length; the handle is closed once read. */
export function uploadFrom(url: string, handle: FileHandle, size: number, timeoutMs: number): Promise<void> {
  const target = new URL(url);
  const client = target.protocol === "https:" ? https : http;
  return new Promise<void>((resolve, reject) => {
    const request = client.request(target, {
      method: "PUT",
      headers: { "content-length": String(size), "content-type": "application/octet-stream" },
      signal: AbortSignal.timeout(timeoutMs),
    });
    request.once("response", (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        if (body.length < ERROR_BODY_CHARS) body += chunk;
      });
      response.once("end", () => {
        const status = response.statusCode ?? 0;
        if (status >= 200 && status < 300) resolve();
        else reject(new TransferError(status === 413 ? "too_large" : "http_error", describeRefusal(status, body)));
      });
      response.once("error", (error) => reject(new TransferError("http_error", `the upload's answer broke off: ${error.message}`)));
    });
    request.once("error", (error) => reject(new TransferError("http_error", `the upload failed: ${error.message}`)));
    if (size === 0) {
      request.end();
      return;
    }
    // Exactly `size` bytes: a file that grew meanwhile is cut at the size announced, one that
    // shrank makes the request fail (fewer bytes than its Content-Length).
    pipeline(handle.createReadStream({ start: 0, end: size - 1 }), request).catch((error: Error) => {
      // The platform may have answered early (e.g. 413) and closed: give its answer a moment to win.
      setTimeout(() => reject(new TransferError("io_error", `sending the file failed: ${error.message}`)), EARLY_ANSWER_GRACE_MS).unref();
    });
  });
}
