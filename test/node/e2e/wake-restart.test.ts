/**
 * The platform restarts while a sleeping session is waking (issue 14): the session is dormant, a
 * prompt wakes it, and while the new sandbox is restoring the archive, `wrangler dev`, the sandbox
 * host and the runner all go away. After the restart the prompt is answered, never dropped, and the
 * files and the conversation are there, restored from the same archive by a second wake.
 *
 * To restart inside the restore and not after it, the restoring runner (and the tar it runs) is
 * frozen with SIGSTOP the moment its staging directory appears in the workspace (the archive
 * unpacks there as it downloads, container/runner/archive-unpack.ts); the restart then kills it
 * like any other.
 */
import { readFileSync, readdirSync, existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STAGING_PREFIX } from "../../../container/runner/archive-unpack.ts";
import { Client, api, bootE2E, hasResult, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E({ IDLE_HIBERNATE_SECONDS: "2" })), 120_000);
afterAll(async () => platform?.stop());

/** Pids of the processes of one sandbox (the runner and its children): their TMPDIR is the sandbox's. */
function sandboxPids(sandboxDir: string): number[] {
  const marker = `TMPDIR=${path.join(sandboxDir, "tmp")}`;
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, "latin1").split("\0").includes(marker)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** Waits until the runner of `sandboxDir` is downloading a restore (its staging directory is in the workspace). */
async function restoreUnderWay(sandboxDir: string, timeoutMs: number): Promise<void> {
  const workspace = path.join(sandboxDir, "workspace");
  const deadline = Date.now() + timeoutMs;
  const staged = () => {
    try {
      return readdirSync(workspace).some((name) => name.startsWith(STAGING_PREFIX));
    } catch {
      return false; // not there yet, or a directory went away while it was read
    }
  };
  while (!staged()) {
    if (Date.now() > deadline) {
      const log = existsSync(path.join(sandboxDir, "runner.log"))
        ? readFileSync(path.join(sandboxDir, "runner.log"), "utf8").slice(-3000)
        : "";
      throw new Error(
        `the restore did not start; sandbox: ${existsSync(sandboxDir) ? readdirSync(sandboxDir, { recursive: true }).slice(0, 40).join(", ") : "none"}\n${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("a platform restart while a dormant session is waking", () => {
  it("answers the prompt that woke it, with the files and the conversation restored", async () => {
    const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.session.id;
    const before = await Client.connect(platform.baseUrl, token, id);
    await before.until((f) => f.some((x) => x.type === "history"), "history");

    // A file, and enough incompressible bytes that the archive takes a moment to restore.
    before.send({ type: "prompt", payload: { text: '[[scenario:write path=kept.txt content="survives a restart while waking"]]' } });
    await before.until(hasResult(), "the write turn", 60_000);
    const mark = before.stored().length;
    before.send({ type: "prompt", payload: { text: '[[scenario:bash command="head -c 33554432 /dev/urandom > ballast.bin"]]' } });
    await before.until(hasResult(mark), "the ballast turn", 60_000);
    // Asleep after the last turn (it may have slept between the turns too).
    const afterBallast = before.stored().length;
    await before.until(
      () =>
        before
          .stored()
          .slice(afterBallast)
          .some((x) => x.type === "session_status" && x.payload.dormant === true),
      "dormant",
      90_000,
    );

    // The prompt wakes it; the restart comes while its archive is being restored.
    const sandboxDir = path.join(platform.sandbox.root, id);
    before.send({ type: "prompt", payload: { text: "[[scenario:read path=kept.txt]]" } });
    await restoreUnderWay(sandboxDir, 60_000).catch((error) => {
      throw new Error(`${error.message}\nlast events: ${JSON.stringify(before.stored().slice(-8)).slice(0, 3000)}`);
    });
    for (const pid of sandboxPids(sandboxDir)) process.kill(pid, "SIGSTOP");
    before.kill();
    const lastSeq = before.stored().at(-1).seq;
    expect(before.stored().some((x) => x.type === "tool_result" && JSON.stringify(x.payload.content).includes("survives"))).toBe(false);

    platform = await platform.restart();
    expect(existsSync(path.join(platform.sandbox.root, id))).toBe(false); // the sandbox is gone

    // Reconnect where we left off: the prompt that woke it is answered.
    const after = await Client.connect(platform.baseUrl, token, id, `&after_seq=${lastSeq}`);
    await after.until((f) => f.some((x) => x.type === "tool_result"), "the woken prompt's turn", 150_000);
    await after.until(hasResult(), "its result", 60_000);
    const resumed = after.stored();
    expect(resumed.some((x) => x.type === "session_end")).toBe(false);
    const lost = resumed.find((x) => x.type === "system" && x.payload.subtype === "sandbox_lost");
    expect(lost?.payload.message).toMatch(/while the session was waking/);
    expect(resumed.some((x) => x.type === "system" && x.payload.subtype === "restore_failed")).toBe(false);
    const read = resumed.find((x) => x.type === "tool_result");
    expect(JSON.stringify(read.payload.content)).toContain("survives a restart while waking");
    const workspace = path.join(platform.sandbox.root, id, "workspace");
    expect(readFileSync(path.join(workspace, "kept.txt"), "utf8")).toBe("survives a restart while waking");
    expect(readFileSync(path.join(workspace, "ballast.bin")).length).toBe(33554432);

    // The conversation came back too: the agent recalls the prompts from before the restart.
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

    // Every event exactly once across the restart.
    const history = before.frames.find((x) => x.type === "history").payload.messages;
    const all = [
      ...history.map((x: any) => ({ ...x, from: "history" })),
      ...before.stored().map((x) => ({ ...x, from: "before" })),
      ...after.stored().map((x) => ({ ...x, from: "after" })),
    ];
    const seqs = all.map((x) => x.seq);
    const doubled = all.filter((x) => seqs.indexOf(x.seq) !== seqs.lastIndexOf(x.seq));
    expect(new Set(seqs).size, `doubled: ${JSON.stringify(doubled).slice(0, 3000)}`).toBe(seqs.length);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    after.close();
  }, 400_000);
});
