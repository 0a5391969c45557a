/** Helpers for the file tests: a running session with a simulated runner, and raw blob requests. */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { call } from "./helpers.ts";
import { type TestSocket, createSession, runnerSocket, userWithKey } from "./session-helpers.ts";

/** A user, one of their sessions, and its (simulated) runner, connected. */
export async function runningSession(): Promise<{ token: string; sub: string; id: string; runner: TestSocket }> {
  const { token, sub } = await userWithKey();
  const id = await createSession(token);
  const runner = await runnerSocket(id);
  return { token, sub, id, runner };
}

/** Sends a raw request to the Worker (blob URLs are absolute; their origin is the test platform's). */
export function fetchUrl(url: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(url, init));
}

/** PUTs `bytes` to a signed upload URL with a matching (or the given) Content-Length. */
export function putBytes(url: string, bytes: Uint8Array, contentLength = bytes.byteLength): Promise<Response> {
  return fetchUrl(url, { method: "PUT", body: bytes, headers: { "content-length": String(contentLength), "content-type": "text/plain" } });
}

/** Deterministic test bytes: `n` bytes of a repeating pattern that covers every byte value. */
export function patternBytes(n: number, seed = 0): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

/** Reserves an upload over REST and PUTs `bytes`; returns the ticket. */
export async function uploadBytes(
  token: string,
  sessionId: string,
  filename: string,
  bytes: Uint8Array,
): Promise<{ upload_url: string; upload_id: string; target_path: string; expires_at: string }> {
  const ticket = await call("POST", `/v1/io/sessions/${sessionId}/upload`, {
    token,
    body: { filename, content_type: "text/plain", size: bytes.byteLength },
  });
  expect(ticket.status, JSON.stringify(ticket.body)).toBe(200);
  const put = await putBytes(ticket.body.upload_url, bytes);
  expect(put.status, await put.clone().text()).toBe(200);
  return ticket.body;
}

/** Plays the runner's part of `fetch_file`: GETs the signed URL like the real runner, checks the bytes, reports. */
export async function answerFetchFile(runner: TestSocket, expected: Uint8Array, from = 0): Promise<any> {
  const frame = await runner.next("fetch_file", from);
  const response = await fetchUrl(frame.url);
  expect(response.status).toBe(200);
  const bytes = new Uint8Array(await response.arrayBuffer());
  expect(bytes).toEqual(expected);
  runner.send({ type: "file_result", transfer_id: frame.transfer_id, ok: true, path: frame.path, size: bytes.byteLength });
  return frame;
}

/** Plays the runner's part of `send_file`: PUTs `bytes` as the workspace file, reports. */
export async function answerSendFile(runner: TestSocket, bytes: Uint8Array, from = 0): Promise<any> {
  const frame = await runner.next("send_file", from);
  const response = await fetchUrl(frame.url, { method: "PUT", body: bytes, headers: { "content-length": String(bytes.byteLength) } });
  expect(response.status, await response.clone().text()).toBe(200);
  runner.send({ type: "file_result", transfer_id: frame.transfer_id, ok: true, path: frame.path, size: bytes.byteLength });
  return frame;
}

/** Waits until `count` file requests of the session wait for its runner (runner-ready.ts), so a test knows they arrived. */
export async function waitingForRunner(sessionId: string, count = 1): Promise<void> {
  const { runInDurableObject } = await import("cloudflare:test");
  const stub = env.SESSION.get(env.SESSION.idFromName(sessionId));
  for (let i = 0; i < 100; i++) {
    const waiting = await runInDurableObject(
      stub,
      (instance) => (instance as unknown as { runnerReady: { size: number } }).runnerReady.size,
    );
    if (waiting >= count) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no file request of ${sessionId} waits for its runner`);
}
