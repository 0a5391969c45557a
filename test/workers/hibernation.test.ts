/** Hibernation and transparent resume (docs/api.md §4 `dormant`), with a simulated runner. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_LIVE_SESSIONS_PER_USER } from "../../schemas/session.ts";
import { call } from "./helpers.ts";
import { fetchUrl } from "./files-helpers.ts";
import { ARCHIVE, IDLE_MS, answerArchive, idleOut, newRunner, until } from "./hibernation-helpers.ts";
import { backdate, clientSocket, createSession, fireAlarm, recordedSandbox, runnerSocket, userWithKey } from "./session-helpers.ts";

async function record(token: string, id: string) {
  return (await call("GET", `/v1/sessions/${id}`, { token })).body.session;
}

/** A Claude Code session id, as the runner reports it. */
const CONVERSATION = "0b9d6c1e-5f7a-4c3b-9a2d-7e8f00000001";

describe("hibernation", () => {
  it("archives an idle session, stops its sandbox, and wakes it with a restore before configure", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    const firstToken = (await recordedSandbox(id)).env.RUNNER_TOKEN;

    await idleOut(id);
    const archive = await answerArchive(runner);
    expect(archive.url).toContain(`/v1/io/blobs/sessions/${id}/archive/`);

    // Dormant: announced, on the record, the runner sent away and the sandbox stopped.
    await client.until((f) => f.some((x) => x.type === "session_status" && x.payload.dormant === true), "dormant status");
    await runner.next("shutdown");
    await until(async () => (await record(token, id)).dormant === true, "dormant record");
    const sleeping = await record(token, id);
    expect(sleeping).toMatchObject({ status: "running", ui_state: "Waiting", dormant: true });
    await until(async () => !(await recordedSandbox(id)).running, "sandbox stopped");
    expect((await recordedSandbox(id)).stops).toBe(1);
    expect(await env.FILES.head(`sessions/${id}/archive/latest/workspace.tar.gz`)).not.toBeNull();

    // Nothing fires while dormant: no heartbeat or runner-exit deadline ends the session.
    await backdate(id, (s) => {
      s.lastActivityAt = Date.now() - 2 * IDLE_MS;
      s.lastHeartbeatAt = Date.now() - 2 * IDLE_MS; // would be heartbeat_stale if awake
      s.runnerCheckAt = Date.now() - 1; // would ask whether the runner exited (it did: job_completed)
    });
    await fireAlarm(id);
    expect(await record(token, id)).toMatchObject({ status: "running", dormant: true });

    // A prompt wakes it: the sandbox starts again with new tokens.
    client.send({ type: "prompt", payload: { text: "are you there?" } });
    await until(async () => (await recordedSandbox(id)).starts === 2, "second start");
    const restarted = await recordedSandbox(id);
    expect(restarted.running).toBe(true);
    expect(restarted.env.RUNNER_TOKEN).not.toBe(firstToken);

    // The new runner gets `restore` first, and `configure` only after it answered.
    const second = await newRunner(id, "runner-2");
    const restore = await second.next("restore");
    expect(restore.size).toBe(ARCHIVE.byteLength);
    expect(second.frames.some((f) => f.type === "configure" || f.type === "prompt")).toBe(false);
    const got = await fetchUrl(restore.url);
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(ARCHIVE);
    second.send({ type: "archive_result", transfer_id: restore.transfer_id, op: "restore", ok: true, size: ARCHIVE.byteLength });

    const configure = await second.next("configure");
    const prompt = await second.next("prompt");
    expect(second.frames.indexOf(configure)).toBeLessThan(second.frames.indexOf(prompt));
    expect(prompt.text).toBe("are you there?");
    await client.until((f) => f.some((x) => x.type === "session_status" && x.payload.dormant === false), "awake status");
    expect((await record(token, id)).dormant).toBe(false);
    second.close();
    client.close();
  });

  it("resumes Claude Code's conversation after waking, never with a reported id that is not a session id", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    runner.send({ type: "agent_session", agent_session_id: CONVERSATION });
    // It would reach Claude Code's argv as `--resume <id>`: the frame is dropped.
    runner.send({ type: "agent_session", agent_session_id: "--settings=/workspace/evil.json" });
    await new Promise((r) => setTimeout(r, 50));
    await idleOut(id);
    await answerArchive(runner);
    await until(async () => (await record(token, id)).dormant === true, "dormant");
    const client = await clientSocket(id, token);
    client.send({ type: "prompt", payload: { text: "hello again" } });
    await until(async () => (await recordedSandbox(id)).starts === 2, "second start");
    const second = await newRunner(id, "runner-2");
    const restore = await second.next("restore");
    second.send({ type: "archive_result", transfer_id: restore.transfer_id, op: "restore", ok: true, size: ARCHIVE.byteLength });
    const configure = await second.next("configure");
    expect(configure.settings.resume_agent_session_id).toBe(CONVERSATION);
    second.close();
    client.close();
  });

  it("a failed restore is announced and the session goes on fresh", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    runner.send({ type: "agent_session", agent_session_id: "0b9d6c1e-5f7a-4c3b-9a2d-7e8f00000002" });
    await new Promise((r) => setTimeout(r, 50));
    await idleOut(id);
    await answerArchive(runner);
    await until(async () => (await record(token, id)).dormant === true, "dormant");
    const client = await clientSocket(id, token);
    client.send({ type: "prompt", payload: { text: "still there?" } });
    await until(async () => (await recordedSandbox(id)).starts === 2, "second start");
    const second = await newRunner(id, "runner-2");
    const restore = await second.next("restore");
    second.send({ type: "archive_result", transfer_id: restore.transfer_id, op: "restore", ok: false, error: "tar exited with 2" });
    const configure = await second.next("configure");
    expect(configure.settings.resume_agent_session_id).toBeUndefined();
    await second.next("prompt");
    const notice = await client.until(
      (f) => f.some((x) => x.type === "system" && x.payload.subtype === "restore_failed"),
      "restore_failed",
    );
    expect(JSON.stringify(notice)).toContain("tar exited with 2");
    expect(await record(token, id)).toMatchObject({ status: "running", dormant: false });
    second.close();
    client.close();
  });

  it("a failed archive keeps the session awake", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);
    await idleOut(id);
    const frame = await runner.next("archive");
    runner.send({ type: "archive_result", transfer_id: frame.transfer_id, op: "archive", ok: false, error: "disk full" });
    await client.until((f) => f.some((x) => x.type === "system" && x.payload.subtype === "hibernation_failed"), "hibernation_failed");
    expect(await record(token, id)).toMatchObject({ status: "running", dormant: false });
    expect((await recordedSandbox(id)).stops).toBe(0);
    runner.close();
    client.close();
  });

  it("the idle deadline does not fire while a turn runs or an approval is pending", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const client = await clientSocket(id, token);

    // A turn running.
    client.send({ type: "prompt", payload: { text: "work" } });
    await runner.next("prompt");
    runner.send({ type: "turn_state", state: "running" });
    await new Promise((r) => setTimeout(r, 50));
    await idleOut(id);
    await new Promise((r) => setTimeout(r, 50));
    expect(runner.frames.some((f) => f.type === "archive")).toBe(false);

    // An approval pending (the turn still running, waiting for it).
    runner.send({
      type: "permission_request",
      request_id: "r1",
      tool_name: "Bash",
      input: { command: "rm -rf build" },
      tool_use_id: "tu1",
    });
    await client.next("tool_approval_request");
    runner.send({ type: "turn_state", state: "idle" }); // even an idle turn with a pending approval
    await new Promise((r) => setTimeout(r, 50));
    await idleOut(id);
    await new Promise((r) => setTimeout(r, 50));
    expect(runner.frames.some((f) => f.type === "archive")).toBe(false);
    expect((await record(token, id)).dormant).toBe(false);

    // Answered and idle: now it hibernates.
    client.send({ type: "tool_approval_response", payload: { tool_use_id: "tu1", approved: false } });
    await runner.next("permission_response");
    await idleOut(id);
    await runner.next("archive");
    runner.close();
    client.close();
  });

  it("deleting an ended session's record deletes its archive", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    await idleOut(id);
    await answerArchive(runner);
    await until(async () => (await record(token, id)).dormant === true, "dormant");
    const key = `sessions/${id}/archive/latest/workspace.tar.gz`;
    expect(await env.FILES.head(key)).not.toBeNull();
    const ended = await call("DELETE", `/v1/sessions/${id}`, { token });
    expect(ended.status).toBeLessThan(300);
    expect(await record(token, id)).toMatchObject({ status: "ended", dormant: false });
    expect(await env.FILES.head(key)).not.toBeNull(); // kept until the retention purge
    await backdate(id, (s) => (s.terminatedAt = new Date(Date.now() - 3 * 86_400_000 - 1000).toISOString()));
    await fireAlarm(id);
    // The purge may run as the alarm the backdate set: wait for it through the record, then R2.
    await until(async () => (await call("GET", `/v1/sessions/${id}`, { token })).status === 404, "purge");
    await until(async () => (await env.FILES.head(key)) === null, "archive deleted");
  });

  it("a dormant session keeps its live-session slot", async () => {
    const { sub, token } = await userWithKey();
    // Creation is also rate limited: age the recorded creations so only the slot limit can refuse.
    const { runInDurableObject } = await import("cloudflare:test");
    const forgetCreations = () =>
      runInDurableObject(env.USER_QUOTA.get(env.USER_QUOTA.idFromName(sub)), async (_instance, state) => {
        state.storage.sql.exec("UPDATE hits SET at = at - 3600000");
      });
    const sleeper = await createSession(token);
    const runner = await runnerSocket(sleeper);
    await idleOut(sleeper);
    await answerArchive(runner);
    await until(async () => (await record(token, sleeper)).dormant === true, "dormant");
    for (let i = 1; i < MAX_LIVE_SESSIONS_PER_USER; i++) {
      await forgetCreations();
      await createSession(token);
    }
    await forgetCreations();
    const over = await call("POST", "/v1/sessions", { token, body: {} });
    expect(over.status).toBe(409);
    expect(over.body.error).toBe("max_concurrent_sessions");
    runner.close();
  });
});
