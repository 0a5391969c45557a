/**
 * Files end to end (docs/api.md §7): the platform under wrangler dev with local R2, the real runner
 * moving bytes between R2 and its workspace over signed URLs, and a real Claude Code agent
 * reading what was uploaded and writing what is downloaded.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, api, hasResult, bootE2E, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E()), 120_000);
afterAll(async () => platform?.stop());

const workspace = (sessionId: string) => path.join(platform.sandbox.root, sessionId, "workspace");
const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/** A session whose tools run without asking, once its runner has connected. */
async function runningSession(): Promise<string> {
  const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id = created.body.session.id;
  const deadline = Date.now() + 30_000;
  while ((await api(platform.baseUrl, token, "GET", `/v1/sessions/${id}`)).body.session.status !== "running") {
    if (Date.now() > deadline) throw new Error("the session's runner never connected");
    await new Promise((r) => setTimeout(r, 100));
  }
  return id;
}

/** The REST upload flow: reserve, PUT the bytes, complete. */
async function upload(
  sessionId: string,
  filename: string,
  bytes: Uint8Array,
  contentType = "application/octet-stream",
): Promise<{ path: string; uploadId: string }> {
  const ticket = await api(platform.baseUrl, token, "POST", `/v1/io/sessions/${sessionId}/upload`, {
    filename,
    content_type: contentType,
    size: bytes.byteLength,
  });
  expect(ticket.status, JSON.stringify(ticket.body)).toBe(200);
  const put = await fetch(ticket.body.upload_url, { method: "PUT", body: bytes, headers: { "content-type": contentType } });
  expect(put.status, await put.clone().text()).toBe(200);
  const completed = await api(platform.baseUrl, token, "POST", `/v1/io/sessions/${sessionId}/upload/complete`, {
    upload_id: ticket.body.upload_id,
  });
  expect(completed.status, JSON.stringify(completed.body)).toBe(200);
  expect(completed.body).toEqual({ success: true, path: ticket.body.target_path });
  return { path: completed.body.path, uploadId: ticket.body.upload_id };
}

/** The REST download flow: ask, then GET the signed URL. */
async function download(sessionId: string, filePath: string): Promise<{ bytes: Uint8Array; headers: Headers }> {
  const ticket = await api(platform.baseUrl, token, "POST", `/v1/io/sessions/${sessionId}/download`, { path: filePath });
  expect(ticket.status, JSON.stringify(ticket.body)).toBe(200);
  const file = await fetch(ticket.body.download_url);
  expect(file.status).toBe(200);
  const bytes = new Uint8Array(await file.arrayBuffer());
  expect(ticket.body.size).toBe(bytes.byteLength);
  return { bytes, headers: file.headers };
}

/** Sends one prompt and waits for its turn's result; the stored events of that turn. */
async function turn(client: Client, text: string): Promise<any[]> {
  const before = client.stored().length;
  client.send({ type: "prompt", payload: { text } });
  await client.until(hasResult(before), `the result of: ${text}`);
  return client.stored().slice(before);
}

describe("files with a real agent", () => {
  it("an uploaded file is in the workspace, announced by a file_uploaded event, and the agent reads it", async () => {
    const id = await runningSession();
    const client = await Client.connect(platform.baseUrl, token, id);
    const content = `uploaded at ${new Date().toISOString()}: the launch code is ${randomBytes(4).toString("hex")}\n`;
    const done = await upload(id, "notes.txt", new TextEncoder().encode(content), "text/plain");
    expect(done.path).toBe("/workspace/uploads/notes.txt");
    expect(readFileSync(path.join(workspace(id), "uploads/notes.txt"), "utf8")).toBe(content);
    await client.until((f) => f.some((x) => x.type === "system" && x.payload.subtype === "file_uploaded"), "file_uploaded");
    const announced = client.stored().find((x) => x.type === "system" && x.payload.subtype === "file_uploaded");
    expect(announced.payload).toMatchObject({ path: "/workspace/uploads/notes.txt", upload_id: done.uploadId });

    const events = await turn(client, "[[scenario:read path=uploads/notes.txt]]");
    const toolResult = events.find((x) => x.type === "tool_result");
    expect(toolResult.payload.is_error).toBe(false);
    expect(JSON.stringify(toolResult.payload.content)).toContain(content.trim().split(": ")[1]);
    client.close();
  });

  it("a file the agent writes downloads byte for byte, as an attachment", async () => {
    const id = await runningSession();
    const client = await Client.connect(platform.baseUrl, token, id);
    const events = await turn(client, '[[scenario:write path=out/report.txt content="Findings:\\n1. all good\\n"]]');
    expect(events.find((x) => x.type === "tool_result")?.payload.is_error).toBe(false);

    const { bytes, headers } = await download(id, "out/report.txt");
    expect(new TextDecoder().decode(bytes)).toBe("Findings:\n1. all good\n");
    expect(bytes).toEqual(new Uint8Array(readFileSync(path.join(workspace(id), "out/report.txt"))));
    expect(headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(headers.get("content-disposition")).toContain('filename="report.txt"');
    // The same file by its absolute sandbox path.
    expect((await download(id, "/workspace/out/report.txt")).bytes).toEqual(bytes);
    // And by the path the transcript shows (issue 14: the process backend showed its host
    // directory, which the file API refused): the agent works in /workspace here too.
    const shown: string = events.find((x) => x.type === "tool_use" && x.payload.name === "Write")?.payload.input.file_path;
    expect(shown).toBe("/workspace/out/report.txt");
    expect((await download(id, shown)).bytes).toEqual(bytes);
    const said = JSON.stringify(events.filter((x) => x.type === "assistant").at(-1)?.payload.content);
    expect(said).toContain(shown);
    client.close();
  });

  it("a 5 MB binary file makes the round trip byte-exact", async () => {
    const id = await runningSession();
    const original = new Uint8Array(randomBytes(5 * 1024 * 1024));
    await upload(id, "blob.bin", original);
    expect(sha256(readFileSync(path.join(workspace(id), "uploads/blob.bin")))).toBe(sha256(original));
    const { bytes, headers } = await download(id, "/workspace/uploads/blob.bin");
    expect(bytes.byteLength).toBe(original.byteLength);
    expect(sha256(bytes)).toBe(sha256(original));
    expect(headers.get("content-type")).toBe("application/octet-stream");
  }, 120_000);

  it("the runner refuses a symlink that leads out of the workspace; a missing file is 404", async () => {
    const id = await runningSession();
    const client = await Client.connect(platform.baseUrl, token, id);
    await turn(client, '[[scenario:bash command="ln -s /etc/hostname leak && ls -l leak"]]');
    const leak = await api(platform.baseUrl, token, "POST", `/v1/io/sessions/${id}/download`, { path: "leak" });
    expect(leak.status).toBe(400);
    expect(leak.body).toEqual({ error: "invalid_path", message: expect.stringContaining("outside the workspace") });
    const missing = await api(platform.baseUrl, token, "POST", `/v1/io/sessions/${id}/download`, { path: "nothing/here.txt" });
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe("file_not_found");
    client.close();
  });

  it("the WebSocket frames do the same: upload_url and download_url answer the asking client", async () => {
    const id = await runningSession();
    const client = await Client.connect(platform.baseUrl, token, id);
    const bytes = new Uint8Array(randomBytes(64 * 1024));
    client.send({
      type: "upload_request",
      payload: { request_id: "u1", filename: "ws.bin", content_type: "application/octet-stream", size: bytes.byteLength },
    });
    const ticket = (await client.until((f) => f.some((x) => x.type === "upload_url"), "upload_url")).find((x) => x.type === "upload_url");
    expect(ticket).toMatchObject({ seq: null, payload: { request_id: "u1", target_path: "/workspace/uploads/ws.bin" } });
    expect((await fetch(ticket.payload.upload_url, { method: "PUT", body: bytes })).status).toBe(200);
    client.send({ type: "upload_complete", payload: { request_id: "u2", upload_id: ticket.payload.upload_id } });
    await client.until(
      (f) => f.some((x) => x.type === "system" && x.payload.subtype === "file_uploaded" && x.payload.request_id === "u2"),
      "file_uploaded",
    );
    client.send({ type: "download_request", payload: { request_id: "d1", path: "uploads/ws.bin" } });
    const link = (await client.until((f) => f.some((x) => x.type === "download_url"), "download_url")).find(
      (x) => x.type === "download_url",
    );
    expect(link).toMatchObject({ seq: null, payload: { request_id: "d1", size: bytes.byteLength } });
    expect(new Uint8Array(await (await fetch(link.payload.download_url)).arrayBuffer())).toEqual(bytes);
    client.close();
  });
});
