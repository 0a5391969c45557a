// A turn's checkpoint is packed in the background while the next turn starts
// (container/runner/workspace-archive.ts): the runner copies the conversation, says
// `archive_packed` at once, and tar reads the workspace and that copy afterwards. The checkpoint
// must still be turn 1 as it ended: not turn 2's prompt, nor a file turn 2's tool writes, so turn
// 2's tool calls wait for the tar. The runner takes that snapshot before it reads its next frame
// (its hello says `snapshot_on_receipt`), so a prompt the DO sends right behind the `archive`,
// without waiting for `archive_packed`, does not get into the checkpoint either. The real runner, the real Claude Code binary, the scripted
// model server and a fake session DO; a `tar` first on the runner's PATH holds every packing tar
// while a file exists, so the test decides when the snapshot is taken.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import type { RunnerToPlatform } from "../../schemas/runner.ts";
import {
  cleanupTempDirs,
  settingsFor,
  startFakePlatform,
  startRunner,
  tempDir,
  type FakePlatform,
  type RunnerHandle,
} from "./runner-harness.ts";

const RUNNER_TOKEN = "runner-token-snapshot-0123456789";
const sessionId = "sess_checkpoint_snapshot";

let model: ModelServer;
let platform: FakePlatform;
let runner: RunnerHandle;
let blobServer: http.Server;
let blobBase: string;
const blobs = new Map<string, Buffer>();
let dir: string;
/** While this file exists, every `tar -cf` the runner starts waits before it reads anything. */
let hold: string;

beforeAll(async () => {
  model = await startModelServer();
  dir = await tempDir("checkpoint-snapshot-");
  hold = path.join(dir, "hold-tar");
  const bin = path.join(dir, "bin");
  mkdirSync(bin);
  const realTar = execFileSync("sh", ["-c", "command -v tar"], { encoding: "utf8" }).trim();
  writeFileSync(
    path.join(bin, "tar"),
    `#!/bin/sh\nif [ "$1" = "-cf" ]; then while [ -e '${hold}' ]; do sleep 0.02; done; fi\nexec '${realTar}' "$@"\n`,
  );
  chmodSync(path.join(bin, "tar"), 0o755);
  blobServer = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      blobs.set(new URL(req.url!, "http://x").pathname, Buffer.concat(chunks));
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => blobServer.listen(0, "127.0.0.1", resolve));
  blobBase = `http://127.0.0.1:${(blobServer.address() as AddressInfo).port}`;
  mkdirSync(path.join(dir, "tmp"));
  platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
  runner = await startRunner({
    platformUrl: platform.url,
    sessionId,
    token: RUNNER_TOKEN,
    modelUrl: model.url,
    gatewayToken: "gateway-token-snapshot",
    extraEnv: { PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`, TMPDIR: path.join(dir, "tmp") },
  });
});

afterAll(async () => {
  rmSync(hold, { force: true });
  await runner?.stop();
  await platform?.close();
  await new Promise((resolve) => blobServer?.close(resolve));
  await model?.close();
  await cleanupTempDirs();
});

const framesOf = <T extends RunnerToPlatform["type"]>(type: T, from = 0) =>
  platform.frames.slice(from).filter((f): f is Extract<RunnerToPlatform, { type: T }> => f.type === type);

/** Waits for the turn started after frame `from` to end. */
const turnEnd = (from: number) =>
  platform.waitFor("turn end", () => {
    const start = platform.frames.findIndex((f, i) => i >= from && f.type === "turn_state" && f.state === "running");
    return start >= 0 && platform.frames.some((f, i) => i > start && f.type === "turn_state" && f.state === "idle");
  });

/** The members of the blob at `key` and the text of the conversation files in it. */
function archived(key: string): { members: string[]; conversation: string } {
  const file = path.join(dir, `blob-${Math.random().toString(36).slice(2)}.tar.gz`);
  writeFileSync(file, blobs.get(`/blobs/${key}`)!);
  const members = execFileSync("tar", ["-tzf", file], { encoding: "utf8" }).split("\n").filter(Boolean);
  const jsonl = members.filter((m) => m.startsWith("claude/projects/") && m.endsWith(".jsonl"));
  const conversation = jsonl.map((m) => execFileSync("tar", ["-xzOf", file, m], { encoding: "utf8" })).join("");
  return { members, conversation };
}

/** The runner's staging copies of conversations under its temporary directory. */
function stagingCopies(): string[] {
  const tmp = path.join(dir, "tmp");
  return readdirSync(tmp).flatMap((runnerDir) => readdirSync(path.join(tmp, runnerDir)).filter((name) => name.startsWith("conversation-")));
}

describe("a checkpoint packed while the next turn starts", () => {
  it("holds its own turn only, and the next turn's tool call waits for its tar", async () => {
    await platform.waitFor("hello", () => framesOf("hello")[0]);
    let from = platform.frames.length;
    platform.send({ type: "prompt", prompt_id: "p1", text: '[[scenario:bash command="echo one > one.txt"]]' });
    await turnEnd(from);
    expect(existsSync(path.join(runner.workspace, "one.txt"))).toBe(true);

    // Turn 1's checkpoint, its tar held: the runner says the snapshot is taken before tar has run.
    writeFileSync(hold, "");
    const key = "sessions/snap/archive/workspace.tar.gz";
    from = platform.frames.length;
    platform.send({ type: "archive", transfer_id: "t1", url: `${blobBase}/blobs/${key}?sig=1` });
    await platform.waitFor("archive_packed", () => framesOf("archive_packed", from)[0]);
    expect(stagingCopies()).toHaveLength(1);

    // Turn 2 starts (as the DO lets it on `archive_packed`); its tool call reaches the runner's gate.
    const turn2 = platform.frames.length;
    platform.send({ type: "prompt", prompt_id: "p2", text: '[[scenario:bash command="echo two > two.txt"]]' });
    await platform.waitFor(
      "turn 2's tool call at the gate",
      () => runner.logs().includes("tool call waits for the checkpoint's snapshot") || framesOf("permission_request", turn2).length > 0,
    );
    // Not asked of the platform, not run: the workspace is as turn 1 left it while tar may read it.
    expect(framesOf("permission_request", turn2)).toEqual([]);
    expect(existsSync(path.join(runner.workspace, "two.txt"))).toBe(false);
    expect(framesOf("archive_result", from)).toEqual([]);

    rmSync(hold);
    const result = await platform.waitFor("archive_result", () => framesOf("archive_result", from)[0]);
    expect(result).toMatchObject({ transfer_id: "t1", ok: true });
    await turnEnd(turn2);
    expect(existsSync(path.join(runner.workspace, "two.txt"))).toBe(true);
    expect(framesOf("permission_request", turn2).map((f) => f.input["command"])).toEqual(["echo two > two.txt"]);

    const { members, conversation } = archived(key);
    expect(members).toContain("workspace/one.txt");
    expect(members).not.toContain("workspace/two.txt");
    expect(conversation).toContain("echo one > one.txt");
    expect(conversation).not.toContain("echo two > two.txt");
    // The staging copy is gone once the snapshot is taken.
    expect(stagingCopies()).toEqual([]);
  });

  it("says it snapshots on receipt, and a prompt sent right behind the archive stays out of it", async () => {
    expect(framesOf("hello")[0]).toMatchObject({ snapshot_on_receipt: true });
    // Turn 2 (the test before) has ended. Its checkpoint, and turn 3's prompt in the same tick, as
    // the DO sends them to such a runner: nothing waits for archive_packed.
    writeFileSync(hold, "");
    const waits = () => runner.logs().split("tool call waits for the checkpoint's snapshot").length;
    const waitedBefore = waits();
    const key = "sessions/snap/archive/behind.tar.gz";
    const from = platform.frames.length;
    platform.send({ type: "archive", transfer_id: "t2", url: `${blobBase}/blobs/${key}?sig=2` });
    platform.send({ type: "prompt", prompt_id: "p3", text: '[[scenario:bash command="echo three > three.txt"]]' });
    // Turn 3 ran as far as its tool call, so Claude Code has written its prompt to the conversation.
    await platform.waitFor(
      "turn 3's tool call at the gate",
      () => waits() > waitedBefore || framesOf("permission_request", from).length > 0,
    );
    expect(framesOf("permission_request", from)).toEqual([]);

    rmSync(hold);
    const result = await platform.waitFor("archive_result", () => framesOf("archive_result", from)[0]);
    expect(result).toMatchObject({ transfer_id: "t2", ok: true });
    await turnEnd(from);
    expect(existsSync(path.join(runner.workspace, "three.txt"))).toBe(true);

    const { members, conversation } = archived(key);
    expect(members).toContain("workspace/two.txt");
    expect(members).not.toContain("workspace/three.txt");
    expect(conversation).toContain("echo two > two.txt");
    expect(conversation).not.toContain("echo three > three.txt");
  });
});
