/**
 * The platform restarted in the middle of a turn (issue 14): `wrangler dev`, the sandbox host and
 * every runner go away, and come back on the same local state with the sandboxes' directories
 * gone. A prompt sent right after the restart is answered, never dropped; the interrupted turn
 * runs again; the file written before the restart and the conversation are there (restored from
 * the checkpoint the finished turn left in R2); and every event arrives exactly once by seq.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, api, bootE2E, hasResult, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E()), 120_000);
afterAll(async () => platform?.stop());

/** Waits until the runner's log says `count` archives were uploaded. */
async function checkpointsStored(log: string, count: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  const stored = () =>
    existsSync(log)
      ? readFileSync(log, "utf8")
          .split("\n")
          .filter((line) => line.includes("archive done")).length
      : 0;
  while (stored() < count) {
    if (Date.now() > deadline) throw new Error(`the runner's log shows ${stored()} archives stored, expected ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many turns ended (`result` events) among `frames`. */
const results = (frames: any[]) => frames.filter((x) => x.seq !== null && x.type === "result").length;

describe("a platform restart mid-turn", () => {
  it("resumes the session from its checkpoint: the turn reruns, a prompt sent right after is answered, files and conversation are there", async () => {
    const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.session.id;
    const before = await Client.connect(platform.baseUrl, token, id);
    await before.until((f) => f.some((x) => x.type === "history"), "history");

    // Turn one finishes (and is checkpointed); turn two is slow, and the platform goes down in it.
    before.send({ type: "prompt", payload: { text: '[[scenario:write path=kept.txt content="survives a restart"]]' } });
    await before.until(hasResult(), "the write turn", 60_000);
    const mark = before.stored().length;
    before.send({ type: "prompt", payload: { text: "[[scenario:slow chunks=40 delay=250]]" } });
    await before.until(
      () =>
        before
          .stored()
          .slice(mark)
          .some((x) => x.type === "system" && x.payload.subtype === "init"),
      "the slow turn to start",
      60_000,
    );
    expect(results(before.stored().slice(mark))).toBe(0);
    // The prompt went out once turn one's snapshot was taken; its upload runs in the background
    // (durable-objects/session/checkpoint-uploads.ts). Until stored it is not the checkpoint (a
    // loss before that resumes from the one before), so the restart waits for it.
    await checkpointsStored(path.join(platform.sandbox.root, id, "runner.log"), 1);
    before.kill();
    const seen = before.stored();
    const lastSeq = seen.at(-1).seq;

    platform = await platform.restart();
    expect(existsSync(path.join(platform.sandbox.root, id))).toBe(false); // the old sandbox is gone

    // Right after the restart: reconnect where we left off and send a prompt at once.
    const after = await Client.connect(platform.baseUrl, token, id, `&after_seq=${lastSeq}`);
    after.send({ type: "prompt", payload: { text: "[[scenario:read path=kept.txt]]" } });
    await after.until((f) => results(f) >= 2, "the rerun turn and the new one", 150_000);
    const resumed = after.stored();
    expect(resumed.some((x) => x.type === "session_end")).toBe(false);
    const lost = resumed.find((x) => x.type === "system" && x.payload.subtype === "sandbox_lost");
    expect(lost?.payload.message).toMatch(/resuming from the checkpoint/);
    expect(resumed.some((x) => x.type === "system" && x.payload.subtype === "restore_failed")).toBe(false);
    // The interrupted turn ran to its end, then the prompt sent after the restart was answered.
    const texts = resumed.filter((x) => x.type === "assistant").map((x) => JSON.stringify(x.payload.content));
    expect(texts.some((t) => t.includes("chunk 40/40"))).toBe(true);
    const read = resumed.find((x) => x.type === "tool_result");
    expect(JSON.stringify(read?.payload.content)).toContain("survives a restart");
    expect(readFileSync(path.join(platform.sandbox.root, id, "workspace", "kept.txt"), "utf8")).toBe("survives a restart");

    // The conversation is there too: the agent remembers the prompts from before the restart.
    const recallFrom = after.stored().length;
    after.send({ type: "prompt", payload: { text: "[[scenario:recall]]" } });
    await after.until(hasResult(recallFrom), "the recall turn", 60_000);
    const recalled = JSON.stringify(
      after
        .stored()
        .slice(recallFrom)
        .filter((x) => x.type === "assistant"),
    );
    expect(recalled).toContain("scenario:write path=kept.txt");
    expect(recalled).toContain("scenario:read path=kept.txt");

    // Nothing missing, nothing doubled: one gap-free run of seq across the restart.
    const history = before.frames.find((x) => x.type === "history").payload.messages;
    const seqs = [...history, ...seen, ...after.stored()].map((x) => x.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    const session = (await api(platform.baseUrl, token, "GET", `/v1/sessions/${id}`)).body.session;
    expect(session).toMatchObject({ status: "running", dormant: false });
    after.close();
  }, 300_000);
});
