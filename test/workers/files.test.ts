/**
 * Files over REST and WebSocket (docs/api.md §7), inside workerd with real R2 and Durable Objects;
 * the runner is simulated, but it moves bytes the way the real one does: over the signed URLs.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DOWNLOADS_PER_MINUTE, MAX_FILE_BYTES } from "../../schemas/files.ts";
import { keyOfBlobPath } from "../../platform/files/signed-url.ts";
import {
  answerFetchFile,
  answerSendFile,
  fetchUrl,
  patternBytes,
  putBytes,
  runningSession,
  uploadBytes,
  waitingForRunner,
} from "./files-helpers.ts";
import { call } from "./helpers.ts";
import { clientSocket, createSession, runnerSocket, userWithKey } from "./session-helpers.ts";

const objectKey = (url: string) => keyOfBlobPath(new URL(url).pathname)!;

describe("uploads over REST", () => {
  it("reserve → PUT into R2 → complete: the runner fetches the exact bytes, the workspace path is answered and a file_uploaded event stored", async () => {
    const { token, id, runner } = await runningSession();
    const bytes = patternBytes(70_000);
    const ticket = await uploadBytes(token, id, "data set.csv", bytes);
    expect(ticket.target_path).toBe("/workspace/uploads/data set.csv");
    expect(ticket.upload_url).toMatch(/^http:\/\/platform\.test\/v1\/io\/blobs\/sessions\//);
    const ttl = Date.parse(ticket.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    const stored = await env.FILES.get(objectKey(ticket.upload_url));
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(bytes);

    const [completed, fetchFrame] = await Promise.all([
      call("POST", `/v1/io/sessions/${id}/upload/complete`, { token, body: { upload_id: ticket.upload_id } }),
      answerFetchFile(runner, bytes),
    ]);
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(completed.body).toEqual({ success: true, path: "/workspace/uploads/data set.csv" });
    expect(fetchFrame).toMatchObject({ path: "uploads/data set.csv", size: bytes.byteLength });

    const history = (await call("GET", `/v1/sessions/${id}/history`, { token })).body.messages;
    const event = history.find((m: any) => m.type === "system" && m.payload.subtype === "file_uploaded");
    expect(event.payload).toMatchObject({ path: "/workspace/uploads/data set.csv", size: bytes.byteLength, upload_id: ticket.upload_id });
    expect(event.payload.message).toContain("data set.csv");
    // The staging copy is gone once the file is in the workspace; completing again just answers again.
    expect(await env.FILES.head(objectKey(ticket.upload_url))).toBeNull();
    const before = runner.frames.length;
    const again = await call("POST", `/v1/io/sessions/${id}/upload/complete`, { token, body: { upload_id: ticket.upload_id } });
    expect(again.body).toEqual({ success: true, path: "/workspace/uploads/data set.csv" });
    expect(runner.frames.slice(before).some((f) => f.type === "fetch_file")).toBe(false);
  });

  it("sanitises the name: only its last segment, trimmed; nothing usable is a 400", async () => {
    const { token, id } = await runningSession();
    const upload = (filename: string) =>
      call("POST", `/v1/io/sessions/${id}/upload`, { token, body: { filename, content_type: "text/plain", size: 1 } });
    expect((await upload("../../etc/passwd")).body.target_path).toBe("/workspace/uploads/passwd");
    expect((await upload("C:\\Users\\me\\notes.txt ")).body.target_path).toBe("/workspace/uploads/notes.txt");
    for (const bad of ["..", "dir/..", "dir/", "bell\u0007.txt", "new\nline", "x".repeat(256), "\ud800a.txt", "a\udc00.txt"]) {
      const answer = await upload(bad);
      expect(answer.status, bad).toBe(400);
      expect(answer.body.error).toBe("invalid_filename");
    }
    const strict = await call("POST", `/v1/io/sessions/${id}/upload`, {
      token,
      body: { filename: "a.txt", content_type: "text/plain", size: 1, path: "x" },
    });
    expect(strict.status).toBe(400);
  });

  it("declared over 100 MB is 413; exactly 100 MB is fine", async () => {
    const { token, id } = await runningSession();
    const over = await call("POST", `/v1/io/sessions/${id}/upload`, {
      token,
      body: { filename: "big.bin", content_type: "application/octet-stream", size: MAX_FILE_BYTES + 1 },
    });
    expect(over.status).toBe(413);
    expect(over.body.error).toBe("file_too_large");
    const limit = await call("POST", `/v1/io/sessions/${id}/upload`, {
      token,
      body: { filename: "big.bin", content_type: "application/octet-stream", size: MAX_FILE_BYTES },
    });
    expect(limit.status).toBe(200);
  });

  it("a PUT must have exactly the declared length: larger 413, shorter 400, none 411; nothing is stored until it does", async () => {
    const { token, id } = await runningSession();
    const ticket = await call("POST", `/v1/io/sessions/${id}/upload`, {
      token,
      body: { filename: "ten.txt", content_type: "text/plain", size: 10 },
    });
    const url = ticket.body.upload_url;

    const larger = await putBytes(url, patternBytes(11));
    expect(larger.status).toBe(413);
    expect((await larger.json<any>()).error).toBe("file_too_large");
    const shorter = await putBytes(url, patternBytes(9));
    expect(shorter.status).toBe(400);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(patternBytes(10));
        controller.close();
      },
    });
    const chunked = await fetchUrl(url, { method: "PUT", body: stream });
    expect(chunked.status).toBe(411);
    expect(await env.FILES.head(objectKey(url))).toBeNull();

    const exact = await putBytes(url, patternBytes(10));
    expect(exact.status).toBe(200);
    expect((await env.FILES.head(objectKey(url)))?.size).toBe(10);
  });

  it("the 11th upload within a minute is 429 with Retry-After, counted across REST and WebSocket", async () => {
    const { token, id } = await runningSession();
    const client = await clientSocket(id, token);
    client.send({ type: "upload_request", payload: { request_id: "ws-1", filename: "w.txt", content_type: "text/plain", size: 1 } });
    await client.until((f) => f.some((x) => x.type === "upload_url"), "upload_url");
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call("POST", `/v1/io/sessions/${id}/upload`, { token, body: { filename: `f${i}.txt`, content_type: "text/plain", size: 1 } }),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(9);
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited.body.error).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    client.send({ type: "upload_request", payload: { request_id: "ws-2", filename: "w.txt", content_type: "text/plain", size: 1 } });
    const refused = await client.until((f) => f.some((x) => x.type === "error" && x.payload.request_id === "ws-2"), "rate_limited error");
    expect(refused.find((x) => x.payload?.request_id === "ws-2").payload.code).toBe("rate_limited");
    // Another session has its own allowance.
    const other = await createSession(token);
    expect(
      (await call("POST", `/v1/io/sessions/${other}/upload`, { token, body: { filename: "a.txt", content_type: "text/plain", size: 1 } }))
        .status,
    ).toBe(200);
    client.close();
  });

  it("completing needs the bytes first and a known upload; on a starting session it waits for the runner", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token); // starting: no runner has connected
    const ticket = await call("POST", `/v1/io/sessions/${id}/upload`, {
      token,
      body: { filename: "a.txt", content_type: "text/plain", size: 3 },
    });
    const early = await call("POST", `/v1/io/sessions/${id}/upload/complete`, { token, body: { upload_id: ticket.body.upload_id } });
    expect(early.status).toBe(409);
    expect(early.body.error).toBe("upload_incomplete");
    expect((await putBytes(ticket.body.upload_url, patternBytes(3))).status).toBe(200);
    const completing = call("POST", `/v1/io/sessions/${id}/upload/complete`, { token, body: { upload_id: ticket.body.upload_id } });
    await waitingForRunner(id);
    const runner = await runnerSocket(id); // the sandbox connects after the request came
    await answerFetchFile(runner, patternBytes(3));
    const completed = await completing;
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(completed.body).toEqual({ success: true, path: "/workspace/uploads/a.txt" });
    const unknown = await call("POST", `/v1/io/sessions/${id}/upload/complete`, { token, body: { upload_id: "no-such-upload" } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe("upload_not_found");
  });

  it("a runner that cannot place the file turns into a clear 502", async () => {
    const { token, id, runner } = await runningSession();
    const ticket = await uploadBytes(token, id, "a.txt", patternBytes(5));
    const completing = call("POST", `/v1/io/sessions/${id}/upload/complete`, { token, body: { upload_id: ticket.upload_id } });
    const frame = await runner.next("fetch_file");
    runner.send({
      type: "file_result",
      transfer_id: frame.transfer_id,
      ok: false,
      reason: "io_error",
      error: "uploads is not a directory",
    });
    const answer = await completing;
    expect(answer.status).toBe(502);
    expect(answer.body).toEqual({ error: "file_transfer_failed", message: expect.stringContaining("uploads is not a directory") });
  });
});

describe("downloads over REST", () => {
  it("the runner sends the workspace file to R2; the signed URL serves it as an attachment", async () => {
    const { token, id, runner } = await runningSession();
    const bytes = new TextEncoder().encode("quarterly numbers\n");
    const [answer, frame] = await Promise.all([
      call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "/workspace/out/./report.txt" } }),
      answerSendFile(runner, bytes),
    ]);
    expect(frame.path).toBe("out/report.txt");
    expect(objectKey(frame.url)).toMatch(new RegExp(`^sessions/${id}/downloads/[A-Za-z0-9_-]+/report\\.txt$`));
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toMatchObject({
      download_url: expect.stringMatching(/^http:\/\/platform\.test\/v1\/io\/blobs\//),
      size: bytes.byteLength,
    });

    const file = await fetchUrl(answer.body.download_url);
    expect(file.status).toBe(200);
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
    expect(file.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(file.headers.get("content-disposition")).toBe(`attachment; filename="report.txt"; filename*=UTF-8''report.txt`);
    expect(file.headers.get("x-content-type-options")).toBe("nosniff");
    // The runner's PUT URL cannot be used to read, nor the download URL to write.
    expect((await fetchUrl(frame.url)).status).toBe(403);
    expect((await fetchUrl(answer.body.download_url, { method: "PUT", body: "x", headers: { "content-length": "1" } })).status).toBe(403);
  });

  it(`the ${DOWNLOADS_PER_MINUTE + 1}th download within a minute is 429 with Retry-After before the sandbox is asked, over REST and WebSocket`, async () => {
    const { token, id, runner } = await runningSession();
    for (let i = 0; i < DOWNLOADS_PER_MINUTE; i++) {
      const from = runner.frames.length;
      const answering = call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: `big-${i}.bin` } });
      const frame = await runner.next("send_file", from);
      runner.send({ type: "file_result", transfer_id: frame.transfer_id, ok: false, reason: "not_found", error: "no such file" });
      expect((await answering).status, `download ${i + 1}`).toBe(404);
    }
    const asked = runner.frames.filter((f) => f.type === "send_file").length;
    const limited = await call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "one-more.bin" } });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({
      error: "rate_limited",
      message: expect.stringContaining(`at most ${DOWNLOADS_PER_MINUTE} downloads per minute`),
    });
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(60);
    const client = await clientSocket(id, token);
    client.send({ type: "download_request", payload: { request_id: "ws-d", path: "one-more.bin" } });
    const refused = await client.until((f) => f.some((x) => x.type === "error" && x.payload.request_id === "ws-d"), "rate_limited error");
    expect(refused.find((x) => x.payload?.request_id === "ws-d").payload.code).toBe("rate_limited");
    expect(runner.frames.filter((f) => f.type === "send_file")).toHaveLength(asked);
    client.close();
  });

  it("paths outside the workspace are 400 before the runner is asked", async () => {
    const { token, id, runner } = await runningSession();
    for (const path of [
      "../etc/passwd",
      "/etc/passwd",
      "/workspace/../etc/passwd",
      "a/../../b",
      "/workspace",
      ".",
      "/workspacex/file",
      "bad\u0000name",
      "\ud800a.txt",
      "dir/\udfff",
    ]) {
      const answer = await call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path } });
      expect(answer.status, path).toBe(400);
      expect(answer.body.error, path).toBe("invalid_path");
    }
    expect(runner.frames.some((f) => f.type === "send_file")).toBe(false);
  });

  it("the runner's refusals map to 404, 400 and 413", async () => {
    const { token, id, runner } = await runningSession();
    const cases = [
      { reason: "not_found", status: 404, error: "file_not_found" },
      { reason: "outside_workspace", status: 400, error: "invalid_path" },
      { reason: "not_a_file", status: 400, error: "not_a_file" },
      { reason: "too_large", status: 413, error: "file_too_large" },
    ];
    for (const c of cases) {
      const from = runner.frames.length;
      const answering = call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "missing.txt" } });
      const frame = await runner.next("send_file", from);
      runner.send({ type: "file_result", transfer_id: frame.transfer_id, ok: false, reason: c.reason, error: `runner says ${c.reason}` });
      const answer = await answering;
      expect(answer.status, c.reason).toBe(c.status);
      expect(answer.body).toEqual({ error: c.error, message: `runner says ${c.reason}` });
    }
  });
});

describe("ownership", () => {
  it("another user's session is 404 on every file route", async () => {
    const { id } = await runningSession();
    const { token: stranger } = await userWithKey();
    const routes = [
      ["upload", { filename: "a.txt", content_type: "text/plain", size: 1 }],
      ["upload/complete", { upload_id: "whatever" }],
      ["download", { path: "a.txt" }],
    ] as const;
    for (const [route, body] of routes) {
      const answer = await call("POST", `/v1/io/sessions/${id}/${route}`, { token: stranger, body });
      expect(answer.status, route).toBe(404);
      expect(answer.body.error).toBe("not_found");
    }
    expect(
      (await call("POST", `/v1/io/sessions/${id}/upload`, { body: { filename: "a.txt", content_type: "text/plain", size: 1 } })).status,
    ).toBe(401);
  });

  it("an ended session refuses new transfers with session_not_running", async () => {
    const { token, id } = await runningSession();
    await call("DELETE", `/v1/sessions/${id}`, { token });
    const answer = await call("POST", `/v1/io/sessions/${id}/upload`, {
      token,
      body: { filename: "a.txt", content_type: "text/plain", size: 1 },
    });
    expect(answer.status).toBe(409);
    expect(answer.body.error).toBe("session_not_running");
  });

  it("deleting an ended session's record deletes its uploads and downloads from R2", async () => {
    const { token, id, runner } = await runningSession();
    await uploadBytes(token, id, "never-completed.txt", patternBytes(3));
    await Promise.all([
      call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "out.txt" } }),
      answerSendFile(runner, patternBytes(4)),
    ]);
    expect((await env.FILES.list({ prefix: `sessions/${id}/` })).objects).toHaveLength(2);
    await call("DELETE", `/v1/sessions/${id}`, { token });
    expect((await call("DELETE", `/v1/sessions/${id}/record`, { token })).body).toEqual({ deleted: true });
    expect((await env.FILES.list({ prefix: `sessions/${id}/` })).objects).toHaveLength(0);
  });
});

describe("files over the WebSocket", () => {
  it("upload_request → upload_url (this client only), upload_complete → stored file_uploaded, download_request → download_url", async () => {
    const { token, id, runner } = await runningSession();
    const client = await clientSocket(id, token);
    const watcher = await clientSocket(id, token);
    const bytes = patternBytes(4_096, 7);

    client.send({
      type: "upload_request",
      payload: { request_id: "r1", filename: "notes.bin", content_type: "application/octet-stream", size: bytes.byteLength },
    });
    const ticket = (await client.until((f) => f.some((x) => x.type === "upload_url"), "upload_url")).find((x) => x.type === "upload_url");
    expect(ticket).toMatchObject({
      seq: null,
      session_id: id,
      payload: { request_id: "r1", target_path: "/workspace/uploads/notes.bin", upload_id: expect.any(String) },
    });
    expect((await putBytes(ticket.payload.upload_url, bytes)).status).toBe(200);

    client.send({ type: "upload_complete", payload: { request_id: "r2", upload_id: ticket.payload.upload_id } });
    await answerFetchFile(runner, bytes);
    const isUploaded = (x: any) => x.type === "system" && x.payload.subtype === "file_uploaded";
    const uploaded = (await watcher.until((f) => f.some(isUploaded), "file_uploaded on the watcher")).find(isUploaded);
    expect(uploaded.seq).toEqual(expect.any(Number));
    expect(uploaded.payload).toMatchObject({ path: "/workspace/uploads/notes.bin", request_id: "r2" });
    await client.until((f) => f.some(isUploaded), "file_uploaded on the client");

    const from = runner.frames.length;
    client.send({ type: "download_request", payload: { request_id: "r3", path: "uploads/notes.bin" } });
    await answerSendFile(runner, bytes, from);
    const link = (await client.until((f) => f.some((x) => x.type === "download_url"), "download_url")).find(
      (x) => x.type === "download_url",
    );
    expect(link).toMatchObject({ seq: null, payload: { request_id: "r3", size: bytes.byteLength } });
    expect(new Uint8Array(await (await fetchUrl(link.payload.download_url)).arrayBuffer())).toEqual(bytes);
    expect(watcher.frames.some((x) => x.type === "upload_url" || x.type === "download_url")).toBe(false);

    client.send({ type: "download_request", payload: { request_id: "r4", path: "../../etc/passwd" } });
    const refused = (await client.until((f) => f.some((x) => x.payload?.request_id === "r4"), "r4 error")).find(
      (x) => x.payload?.request_id === "r4",
    );
    expect(refused).toMatchObject({ type: "error", seq: null, payload: { code: "invalid_path" } });

    // A lone surrogate has no UTF-8 form: a clear refusal, not a failed transfer.
    client.send({ type: "download_request", payload: { request_id: "r5", path: "\ud800a.txt" } });
    client.send({ type: "upload_request", payload: { request_id: "r6", filename: "\ud800a.txt", content_type: "text/plain", size: 1 } });
    const answers = await client.until((f) => ["r5", "r6"].every((r) => f.some((x) => x.payload?.request_id === r)), "r5 and r6 errors");
    expect(answers.find((x) => x.payload?.request_id === "r5")).toMatchObject({ type: "error", payload: { code: "invalid_path" } });
    expect(answers.find((x) => x.payload?.request_id === "r6")).toMatchObject({ type: "error", payload: { code: "invalid_filename" } });
    client.close();
    watcher.close();
  });
});
