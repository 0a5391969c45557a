/**
 * A sandbox lost under a live session (its host restarted and took the runner along): the session
 * resumes from the checkpoint its last finished turn left, the turn that was running starts
 * again, and a prompt sent meanwhile is answered after it (durable-objects/session/sandbox-loss.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fetchUrl } from "./files-helpers.ts";
import { call } from "./helpers.ts";
import { endTurn } from "./hibernation-helpers.ts";
import {
  backdate,
  clientSocket,
  createSession,
  fireAlarm,
  openSocket,
  recordedSandbox,
  runnerSocket,
  TestSocket,
  userWithKey,
} from "./session-helpers.ts";

const CHECKPOINT = new TextEncoder().encode("pretend this is the workspace after turn one");

/** Plays one whole turn on `runner`: running, a result, idle; answers the checkpoint with a real upload. */
async function finishTurn(runner: TestSocket, rseq: number): Promise<void> {
  const checkpoint = await endTurn(runner, rseq);
  const put = await fetchUrl(checkpoint.url, {
    method: "PUT",
    body: CHECKPOINT,
    headers: { "content-length": String(CHECKPOINT.byteLength) },
  });
  expect(put.status).toBe(200);
  runner.send({ type: "archive_result", transfer_id: checkpoint.transfer_id, op: "archive", ok: true, size: CHECKPOINT.byteLength });
}

describe("a lost sandbox", () => {
  it("resumes from the last checkpoint, redoes the running turn and answers a prompt sent meanwhile", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    const firstToken = (await recordedSandbox(id)).env.RUNNER_TOKEN;

    client.send({ type: "prompt", payload: { text: "one" } });
    await runner.next("prompt");
    await finishTurn(runner, 1);
    client.send({ type: "prompt", payload: { text: "two" } });
    await runner.until((f) => f.filter((x) => x.type === "prompt").length === 2, "the second prompt");
    runner.send({ type: "turn_state", state: "running" });

    // The host restarts mid-turn: it forgets the sandbox, the runner's socket drops.
    await fetch(`${env.TEST_SANDBOX_RECORDER_URL}/_forget/${id}`, { method: "POST" });
    runner.close();
    await runner.closed();
    client.send({ type: "prompt", payload: { text: "three" } });
    await client.until((f) => f.some((x) => x.type === "user" && x.payload.content === "three"), "the third prompt stored");
    await backdate(id, (s) => (s.runnerCheckAt = Date.now() - 1));
    await fireAlarm(id);

    // Not ended: announced, and a new sandbox started with new tokens.
    const lost = (await client.until((f) => f.some((x) => x.payload?.subtype === "sandbox_lost"), "sandbox_lost")).find(
      (x) => x.payload?.subtype === "sandbox_lost",
    );
    expect(lost.payload.message).toMatch(/resuming from the checkpoint of .*The turn that was running starts again/);
    const restarted = await recordedSandbox(id);
    expect(restarted.running).toBe(true);
    expect(restarted.env.RUNNER_TOKEN).not.toBe(firstToken);

    // The new runner restores the checkpoint before anything else...
    const sandbox = await recordedSandbox(id);
    const second = await openSocket(`/v1/runner/sessions/${id}/ws`, { authorization: `Bearer ${sandbox.env.RUNNER_TOKEN}` });
    if (!(second instanceof TestSocket)) throw new Error(`runner upgrade refused: ${second.status}`);
    second.send({ type: "hello", runner_version: "test", runner_instance: "runner-2" });
    const restore = await second.next("restore");
    expect(second.frames.some((f) => f.type === "configure" || f.type === "prompt")).toBe(false);
    const got = await fetchUrl(restore.url);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(CHECKPOINT);
    second.send({ type: "archive_result", transfer_id: restore.transfer_id, op: "restore", ok: true, size: CHECKPOINT.byteLength });

    // ...then redoes the interrupted turn, and the prompt sent during the outage follows it.
    await second.next("configure");
    const redo = await second.next("prompt");
    expect(redo.text).toBe("two");
    await finishTurn(second, 1);
    await second.until((f) => f.filter((x) => x.type === "prompt").length === 2, "the third prompt");
    expect(second.frames.filter((f) => f.type === "prompt").map((f) => f.text)).toEqual(["two", "three"]);
    const session = (await call("GET", `/v1/sessions/${id}`, { token })).body.session;
    expect(session).toMatchObject({ status: "running", dormant: false });
    second.close();
    client.close();
  });

  it("a runner that exited on its own still ends the session (its sandbox remembers it)", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await fetch(`${env.TEST_SANDBOX_RECORDER_URL}/_die/${id}?signal=SIGKILL`, { method: "POST" });
    runner.close();
    await runner.closed();
    await backdate(id, (s) => (s.runnerCheckAt = Date.now() - 1));
    await fireAlarm(id);
    const end = (await client.until((f) => f.some((x) => x.type === "session_end"), "session_end")).find((x) => x.type === "session_end");
    expect(end.payload.reason).toBe("job_completed");
    expect(client.frames.some((x) => x.payload?.subtype === "sandbox_lost")).toBe(false);
  });
});
