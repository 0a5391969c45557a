/**
 * File transfers on a sleeping session (docs/api.md §4 `dormant`, §7): the request wakes the
 * session and waits for its runner, and the transfer reaches the new sandbox only after the
 * workspace is restored (the restore replaces the workspace). Simulated runner, real R2 and DOs.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { answerFetchFile, answerSendFile, fetchUrl, patternBytes, putBytes, waitingForRunner } from "./files-helpers.ts";
import { call } from "./helpers.ts";
import { ARCHIVE, answerArchive, idleOut, newRunner, until } from "./hibernation-helpers.ts";
import { type TestSocket, createSession, recordedSandbox, runnerSocket, userWithKey } from "./session-helpers.ts";

/** A session that hibernated: its first runner archived the workspace and was sent away. */
async function sleepingSession(): Promise<{ token: string; id: string; first: TestSocket }> {
  const { token } = await userWithKey();
  const id = await createSession(token);
  const first = await runnerSocket(id);
  await idleOut(id);
  await answerArchive(first);
  await until(async () => (await call("GET", `/v1/sessions/${id}`, { token })).body.session.dormant === true, "dormant");
  return { token, id, first };
}

/** The woken sandbox's runner: it connects and is asked to restore; nothing else reaches it before it answers. */
async function restoringRunner(id: string, transfer: string): Promise<{ runner: TestSocket; restore: any }> {
  await until(async () => (await recordedSandbox(id)).starts === 2, "the sandbox started again");
  const runner = await newRunner(id, "runner-2");
  const restore = await runner.next("restore");
  // Give a transfer sent too early the time to arrive: it must not come before the restore's result.
  await new Promise((r) => setTimeout(r, 200));
  expect(runner.frames.map((f) => f.type)).not.toContain(transfer);
  return { runner, restore };
}

function restored(runner: TestSocket, restore: any): void {
  runner.send({ type: "archive_result", transfer_id: restore.transfer_id, op: "restore", ok: true, size: ARCHIVE.byteLength });
}

describe("files on a sleeping session", () => {
  it("a download wakes the session and is answered once its workspace is restored", async () => {
    const { token, id, first } = await sleepingSession();
    const answering = call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "notes/plan.md" } });
    const { runner, restore } = await restoringRunner(id, "send_file");
    // One more asked while the runner is connected but still restoring: it waits too.
    const second = call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "notes/todo.md" } });
    await waitingForRunner(id, 2);
    expect(runner.frames.map((f) => f.type)).not.toContain("send_file");
    restored(runner, restore);
    const bytes = new TextEncoder().encode("the plan survived the sleep\n");
    const frame = await answerSendFile(runner, bytes);
    expect(runner.frames.indexOf(frame)).toBeGreaterThan(runner.frames.indexOf(restore));
    expect(frame.path).toBe("notes/plan.md");
    const other = await answerSendFile(runner, bytes, runner.frames.indexOf(frame) + 1);
    expect(other.path).toBe("notes/todo.md");

    for (const answer of [await answering, await second]) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      const file = await fetchUrl(answer.body.download_url);
      expect(new Uint8Array(await file.arrayBuffer())).toEqual(bytes);
    }
    expect(first.frames.map((f) => f.type)).not.toContain("send_file");
    runner.close();
  });

  it("completing an upload wakes the session; the file is fetched into the restored workspace", async () => {
    const { token, id } = await sleepingSession();
    const bytes = patternBytes(64);
    const ticket = await call("POST", `/v1/io/sessions/${id}/upload`, {
      token,
      body: { filename: "data.bin", content_type: "application/octet-stream", size: bytes.byteLength },
    });
    expect(ticket.status, JSON.stringify(ticket.body)).toBe(200);
    expect((await putBytes(ticket.body.upload_url, bytes)).status).toBe(200);

    const completing = call("POST", `/v1/io/sessions/${id}/upload/complete`, { token, body: { upload_id: ticket.body.upload_id } });
    const { runner, restore } = await restoringRunner(id, "fetch_file");
    restored(runner, restore);
    const frame = await answerFetchFile(runner, bytes);
    expect(runner.frames.indexOf(frame)).toBeGreaterThan(runner.frames.indexOf(restore));

    const answer = await completing;
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body).toEqual({ success: true, path: "/workspace/uploads/data.bin" });
    runner.close();
  });

  it("a request waiting for the runner answers session_not_running when the session ends meanwhile", async () => {
    const { token, id } = await sleepingSession();
    const answering = call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "notes/plan.md" } });
    await waitingForRunner(id);
    expect((await call("DELETE", `/v1/sessions/${id}`, { token })).status).toBe(200);
    const answer = await answering;
    expect(answer.status).toBe(409);
    expect(answer.body).toEqual({ error: "session_not_running", message: "the session has ended" });
    // No sandbox received it: it does not count against the downloads per minute.
    const { runInDurableObject } = await import("cloudflare:test");
    const counted = await runInDurableObject(
      env.SESSION.get(env.SESSION.idFromName(id)),
      (_, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM file_downloads").one().n,
    );
    expect(counted).toBe(0);
  });

  it("a request refused on its own merits (a bad path, an upload never sent) does not wake the session", async () => {
    const { token, id } = await sleepingSession();
    const download = await call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "../outside.txt" } });
    expect(download.status).toBe(400);
    const ticket = await call("POST", `/v1/io/sessions/${id}/upload`, {
      token,
      body: { filename: "never.bin", content_type: "application/octet-stream", size: 8 },
    });
    const completing = await call("POST", `/v1/io/sessions/${id}/upload/complete`, { token, body: { upload_id: ticket.body.upload_id } });
    expect(completing.body.error).toBe("upload_incomplete");
    // A wake marks the session at once (hibernation.ts `wake`): still asleep, no step under way.
    const { runInDurableObject } = await import("cloudflare:test");
    type Asleep = { dormant: boolean; step: unknown };
    const asleep = await runInDurableObject(env.SESSION.get(env.SESSION.idFromName(id)), (instance): Asleep => {
      const { state } = instance as unknown as { state: { dormant: boolean; hibernation: unknown } };
      return { dormant: state.dormant, step: state.hibernation };
    });
    expect(asleep).toEqual({ dormant: true, step: null });
  });

  it("an awake session does not go to sleep while a transfer is in its sandbox's hands", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const answering = call("POST", `/v1/io/sessions/${id}/download`, { token, body: { path: "big.log" } });
    const frame = await runner.next("send_file");
    await idleOut(id);
    const { runInDurableObject } = await import("cloudflare:test");
    const step = await runInDurableObject(
      env.SESSION.get(env.SESSION.idFromName(id)),
      (instance): unknown => (instance as unknown as { state: { hibernation: unknown } }).state.hibernation,
    );
    expect(step).toBeNull();
    const bytes = new TextEncoder().encode("still awake\n");
    await answerSendFile(runner, bytes, runner.frames.indexOf(frame));
    expect((await answering).status).toBe(200);
    expect(runner.frames.map((f) => f.type)).not.toContain("archive");
    runner.close();
  });
});
