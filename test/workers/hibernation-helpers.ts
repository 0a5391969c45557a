/** Hibernation helpers for tests with a simulated runner: idling a session out, and the runner's part of archive and wake. */
import { expect } from "vitest";
import { fetchUrl } from "./files-helpers.ts";
import { backdate, fireAlarm, openSocket, recordedSandbox, TestSocket } from "./session-helpers.ts";

/** IDLE_HIBERNATE_SECONDS' default (600 s), in ms: idling longer than this makes a session hibernate. */
export const IDLE_MS = 600_000;
/** The bytes the simulated runner stores as a session's archive. */
export const ARCHIVE = new TextEncoder().encode("pretend this is a tar.gz of the workspace");

/** Makes the session idle for longer than IDLE_HIBERNATE_SECONDS (default 600) and fires the alarm. */
export async function idleOut(id: string): Promise<void> {
  await backdate(id, (s) => {
    s.lastActivityAt = Date.now() - IDLE_MS - 1_000;
    s.lastHeartbeatAt = Date.now();
  });
  await fireAlarm(id);
}

/** Plays the runner's part of `archive`: PUTs the bytes to the signed URL, reports the result. */
export async function answerArchive(runner: TestSocket, from = 0): Promise<any> {
  const frame = await runner.next("archive", from);
  const put = await fetchUrl(frame.url, { method: "PUT", body: ARCHIVE, headers: { "content-length": String(ARCHIVE.byteLength) } });
  expect(put.status, await put.clone().text()).toBe(200);
  runner.send({ type: "archive_result", transfer_id: frame.transfer_id, op: "archive", ok: true, size: ARCHIVE.byteLength });
  return frame;
}

/** Ends the running turn on `runner` (running, a result, idle) and returns the checkpoint's `archive` frame it is asked for. */
export async function endTurn(runner: TestSocket, rseq: number): Promise<any> {
  const from = runner.frames.length;
  runner.send({ type: "turn_state", state: "running" });
  runner.send({
    type: "event",
    rseq,
    event: { type: "result", payload: { success: true, subtype: "success", summary: "done", num_turns: 1, total_cost_usd: 0, usage: {} } },
  });
  runner.send({ type: "turn_state", state: "idle" });
  return runner.next("archive", from);
}

/** Connects a new runner (the restarted sandbox's, with its new token) and says hello, without waiting for configure. */
export async function newRunner(id: string, instance: string): Promise<TestSocket> {
  const sandbox = await recordedSandbox(id);
  const socket = await openSocket(`/v1/runner/sessions/${id}/ws`, { authorization: `Bearer ${sandbox.env.RUNNER_TOKEN}` });
  if (!(socket instanceof TestSocket)) throw new Error(`runner upgrade refused: ${socket.status}`);
  socket.send({ type: "hello", runner_version: "test", runner_instance: instance });
  return socket;
}

/** Polls `check` until it holds (about 2 s at most). */
export async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}
