/**
 * A turn's checkpoint holds the next prompt only until the runner's snapshot is fixed; the upload
 * runs on in the background (durable-objects/session/checkpoint-uploads.ts). A simulated runner
 * speaks the real frames and uploads through the real signed URLs, choosing when. A runner that
 * says `snapshot_on_receipt` gets a prompt queued as the turn ends right behind the `archive`,
 * with no `archive_packed` from it; an older runner gets it at its `archive_packed`, before the
 * upload is done. A sandbox lost during that upload resumes from the checkpoint before, and the
 * archive before sleep still waits for its whole upload.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fetchUrl } from "./files-helpers.ts";
import { call } from "./helpers.ts";
import { endTurn, idleOut, newRunner, until } from "./hibernation-helpers.ts";
import { backdate, clientSocket, createSession, fireAlarm, runnerSocket, type TestSocket, userWithKey } from "./session-helpers.ts";

const TURN_ONE = new TextEncoder().encode("pretend this is the workspace after turn one");

/** PUTs `bytes` to the archive's signed URL and reports it stored. */
async function upload(runner: TestSocket, archive: any, bytes: Uint8Array): Promise<void> {
  const put = await fetchUrl(archive.url, { method: "PUT", body: bytes, headers: { "content-length": String(bytes.byteLength) } });
  expect(put.status, await put.clone().text()).toBe(200);
  runner.send({ type: "archive_result", transfer_id: archive.transfer_id, op: "archive", ok: true, size: bytes.byteLength });
}

const prompts = (runner: TestSocket) => runner.frames.filter((f) => f.type === "prompt").map((f) => f.text);

/** A runner that fixes a checkpoint's snapshot before it reads its next frame (schemas/runner.ts). */
const ON_RECEIPT = { snapshot_on_receipt: true };

/** Sends an event and waits for its ack: the session has read every frame sent before it. */
async function roundTrip(runner: TestSocket, rseq: number): Promise<void> {
  runner.send({ type: "event", rseq, event: { type: "assistant", payload: { content: [{ type: "text", text: "x" }], model: "m" } } });
  await runner.until((f) => f.some((x) => x.type === "ack" && x.rseq === rseq), `the ack of ${rseq}`);
}

/** A new session whose first prompt ("one") has reached its runner (`hello`: what the runner says it can do). */
async function firstTurnRunning(hello: Record<string, unknown> = {}): Promise<{ id: string; runner: TestSocket; client: TestSocket }> {
  const { token } = await userWithKey();
  const id = await createSession(token);
  const runner = await runnerSocket(id, "runner-1", hello);
  const client = await clientSocket(id, token);
  client.send({ type: "prompt", payload: { text: "one" } });
  await runner.next("prompt");
  return { id, runner, client };
}

const archiveKeyOf = (id: string) => `sessions/${id}/archive/latest/workspace.tar.gz`;

describe("a turn's checkpoint", () => {
  it("sends a prompt queued as the turn ends right behind the archive to a runner that snapshots on receipt", async () => {
    const { id, runner, client } = await firstTurnRunning(ON_RECEIPT);
    runner.send({ type: "turn_state", state: "running" });
    client.send({ type: "prompt", payload: { text: "two" } });
    await client.until((f) => f.some((x) => x.type === "user" && x.payload.content === "two"), "the second prompt stored");

    // The turn ends: the checkpoint's archive, and the next frame is the prompt; no archive_packed was sent.
    const checkpoint = await endTurn(runner, 1);
    await runner.until(() => prompts(runner).length === 2, "the second prompt");
    const at = runner.frames.findIndex((f) => f.type === "archive");
    expect(runner.frames[at + 1]).toMatchObject({ type: "prompt", text: "two" });
    expect(await env.FILES.head(archiveKeyOf(id))).toBeNull();

    // It counts once stored, during the next turn; the runner's archive_packed, late, changes nothing.
    runner.send({ type: "archive_packed", transfer_id: checkpoint.transfer_id });
    runner.send({ type: "turn_state", state: "running" });
    await upload(runner, checkpoint, TURN_ONE);
    const stored = await env.FILES.get(archiveKeyOf(id));
    expect(new Uint8Array(await stored!.arrayBuffer())).toEqual(TURN_ONE);
    await roundTrip(runner, 2);
    expect(prompts(runner)).toEqual(["one", "two"]);
    client.close();
    runner.close();
  });

  it("holds a prompt for an older runner until its snapshot is packed, not until the upload", async () => {
    const { id, runner, client } = await firstTurnRunning();
    const checkpoint = await endTurn(runner, 1);
    client.send({ type: "prompt", payload: { text: "two" } });
    await client.until((f) => f.some((x) => x.type === "user" && x.payload.content === "two"), "the second prompt stored");
    await roundTrip(runner, 2);
    expect(prompts(runner)).toEqual(["one"]);

    // Packed: the prompt goes, while nothing is uploaded yet.
    runner.send({ type: "archive_packed", transfer_id: checkpoint.transfer_id });
    await runner.until(() => prompts(runner).length === 2, "the second prompt");
    expect(prompts(runner)).toEqual(["one", "two"]);
    expect(await env.FILES.head(archiveKeyOf(id))).toBeNull();
    runner.send({ type: "turn_state", state: "running" });
    await upload(runner, checkpoint, TURN_ONE);
    client.close();
    runner.close();
  });

  it("a sandbox lost while the checkpoint uploads resumes from the checkpoint before it", async () => {
    const { id, runner, client } = await firstTurnRunning(ON_RECEIPT);
    const first = await endTurn(runner, 1);
    await upload(runner, first, TURN_ONE);

    client.send({ type: "prompt", payload: { text: "two" } });
    await runner.until(() => prompts(runner).length === 2, "the second prompt");
    runner.send({ type: "turn_state", state: "running" });
    client.send({ type: "prompt", payload: { text: "three" } });
    await client.until((f) => f.some((x) => x.type === "user" && x.payload.content === "three"), "the third prompt stored");
    await endTurn(runner, 2);
    await runner.until(() => prompts(runner).length === 3, "the third prompt, before the second checkpoint is uploaded");
    runner.send({ type: "turn_state", state: "running" });

    // The host restarts before the second checkpoint's upload is stored.
    await fetch(`${env.TEST_SANDBOX_RECORDER_URL}/_forget/${id}`, { method: "POST" });
    runner.close();
    await runner.closed();
    await backdate(id, (s) => (s.runnerCheckAt = Date.now() - 1));
    await fireAlarm(id);
    await client.until((f) => f.some((x) => x.payload?.subtype === "sandbox_lost"), "sandbox_lost");

    // The new runner restores turn one's checkpoint, the one stored, and redoes turn three.
    const again = await newRunner(id, "runner-2");
    const restore = await again.next("restore");
    expect(restore.size).toBe(TURN_ONE.byteLength);
    expect(new Uint8Array(await (await fetchUrl(restore.url)).arrayBuffer())).toEqual(TURN_ONE);
    again.send({ type: "archive_result", transfer_id: restore.transfer_id, op: "restore", ok: true, size: TURN_ONE.byteLength });
    await again.next("configure");
    expect((await again.next("prompt")).text).toBe("three");

    again.close();
    client.close();
  });

  it("the archive before sleep waits for its whole upload, not its snapshot", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    await idleOut(id);
    const archive = await runner.next("archive");
    runner.send({ type: "archive_packed", transfer_id: archive.transfer_id });
    // A frame after it, acknowledged: the session has read the packed frame by then.
    await roundTrip(runner, 1);
    expect(runner.frames.some((f) => f.type === "shutdown")).toBe(false);
    expect((await call("GET", `/v1/sessions/${id}`, { token })).body.session.dormant).toBe(false);

    await upload(runner, archive, TURN_ONE);
    await runner.next("shutdown");
    await until(async () => (await call("GET", `/v1/sessions/${id}`, { token })).body.session.dormant === true, "dormant");
    runner.close();
  });
});
