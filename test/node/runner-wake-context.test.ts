/**
 * What the model is told on a wake's resumed turn: the real runner, the real Claude Code binary,
 * the scripted model server, a fake session DO and a loopback server for the archive's signed
 * URLs. A session whose workspace is a git repository sleeps (its archive made by the runner),
 * and a new sandbox restores it; the resumed turn's request describes the workspace as the
 * repository it is, with its branch and last commit, and continues the same conversation.
 *
 * Why it matters: Claude Code takes its git snapshot (the `gitStatus` context, "Is a git
 * repository") when it starts, and with `--resume` reads the conversation then too. Starting it
 * before the restore ended, to overlap its start with the download, would describe a restored
 * repository to the model as no repository: this is what holds `configure` (which starts Claude
 * Code) until after the restore's `archive_result`, as the session DO does
 * (durable-objects/session/hibernation.ts).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import type { RunnerToPlatform } from "../../schemas/runner.ts";
import { cleanupTempDirs, settingsFor, startFakePlatform, startRunner } from "./runner-harness.ts";

const RUNNER_TOKEN = "runner-token-wake-0123456789";
const GATEWAY_TOKEN = "gateway-session-token-wake";
const BRANCH = "wake-branch-marker";
const COMMIT = "wake commit marker";
/**
 * The archive is served this late, as a large one takes a while to arrive: a Claude Code started
 * before the restore ended (its `--help` probe done) would start before the workspace is back.
 */
const DOWNLOAD_DELAY_MS = 3_000;

let model: ModelServer;
let blobServer: http.Server;
let blobUrl: string;
const blobs = new Map<string, Buffer>();

beforeAll(async () => {
  model = await startModelServer();
  blobServer = http.createServer((req, res) => {
    if (req.method === "PUT") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        blobs.set(req.url!, Buffer.concat(chunks));
        res.end("{}");
      });
      return;
    }
    const blob = blobs.get(req.url!);
    if (!blob) return void res.writeHead(404).end();
    setTimeout(() => res.writeHead(200, { "content-length": blob.byteLength }).end(blob), DOWNLOAD_DELAY_MS);
  });
  await new Promise<void>((resolve) => blobServer.listen(0, "127.0.0.1", resolve));
  blobUrl = `http://127.0.0.1:${(blobServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await model?.close();
  await new Promise((resolve) => blobServer?.close(resolve));
  await cleanupTempDirs();
});

/** The first frame of `type` at or after index `from`. */
function frameOf<T extends RunnerToPlatform["type"]>(frames: RunnerToPlatform[], type: T, from = 0) {
  return frames.slice(from).find((f): f is Extract<RunnerToPlatform, { type: T }> => f.type === type);
}

/** Waits for the turn started after `from` to end (turn_state idle after running). */
async function turnEnded(platform: Awaited<ReturnType<typeof startFakePlatform>>, from: number): Promise<void> {
  await platform.waitFor(
    "the turn's end",
    () => {
      const running = platform.frames.findIndex((f, i) => i >= from && f.type === "turn_state" && f.state === "running");
      return running >= 0 && platform.frames.some((f, i) => i > running && f.type === "turn_state" && f.state === "idle");
    },
    60_000,
  );
}

describe("a wake's resumed turn", () => {
  it("describes the restored git workspace to the model, and continues the conversation", async () => {
    // The session before it sleeps: a git repository, one turn, then its archive.
    const sleeping = await startFakePlatform({ sessionId: "sess_wake_a", token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
    const first = await startRunner({
      platformUrl: sleeping.url,
      sessionId: "sess_wake_a",
      token: RUNNER_TOKEN,
      modelUrl: model.url,
      gatewayToken: GATEWAY_TOKEN,
    });
    let conversation: string;
    try {
      writeFileSync(path.join(first.workspace, "notes.txt"), "kept\n");
      execFileSync(
        "sh",
        ["-c", `git init -q -b ${BRANCH} && git add -A && git -c user.email=a@b.c -c user.name=test commit -qm "${COMMIT}"`],
        { cwd: first.workspace },
      );
      await sleeping.waitFor("hello", () => frameOf(sleeping.frames, "hello"));
      sleeping.send({ type: "prompt", prompt_id: "before", text: "[[scenario:text text=noted]] remember the marker" });
      await turnEnded(sleeping, 0);
      conversation = (await sleeping.waitFor("agent_session", () => frameOf(sleeping.frames, "agent_session"))).agent_session_id;
      sleeping.send({ type: "archive", transfer_id: "sleep", url: `${blobUrl}/archive` });
      const archived = await sleeping.waitFor("the archive", () => frameOf(sleeping.frames, "archive_result"), 60_000);
      expect(archived, JSON.stringify(archived)).toMatchObject({ ok: true });
    } finally {
      await first.stop();
      await sleeping.close();
    }

    // The wake, in a new sandbox, in the DO's order: restore, its result, then configure and the prompt.
    const waking = await startFakePlatform({
      sessionId: "sess_wake_a",
      token: RUNNER_TOKEN,
      settings: { ...settingsFor("bypassPermissions"), resume_agent_session_id: conversation },
      configureOnHello: false,
    });
    const second = await startRunner({
      platformUrl: waking.url,
      sessionId: "sess_wake_a",
      token: RUNNER_TOKEN,
      modelUrl: model.url,
      gatewayToken: GATEWAY_TOKEN,
    });
    try {
      await waking.waitFor("hello", () => frameOf(waking.frames, "hello"));
      waking.send({ type: "restore", transfer_id: "wake", url: `${blobUrl}/archive`, size: blobs.get("/archive")!.byteLength });
      const restored = await waking.waitFor("the restore", () => frameOf(waking.frames, "archive_result"), 60_000);
      expect(restored, JSON.stringify(restored)).toMatchObject({ ok: true, op: "restore" });
      const before = model.requests.length;
      const from = waking.frames.length;
      waking.send({ type: "configure", settings: waking.settings });
      waking.send({ type: "prompt", prompt_id: "after", text: "[[scenario:recall]]" });
      await turnEnded(waking, from);

      const request = model.requests.slice(before).find((r) => r.scenario === "recall");
      const body = JSON.stringify(request?.body ?? null);
      // Compared as flags: the request is far too long to print.
      expect({
        gitRepository: body.includes("Is a git repository: true"),
        branch: body.includes(`Current branch: ${BRANCH}`),
        lastCommit: body.includes(COMMIT),
        // The same conversation: the prompt from before the sleep is in it.
        sameConversation: body.includes("remember the marker"),
      }).toEqual({ gitRepository: true, branch: true, lastCommit: true, sameConversation: true });
    } finally {
      await second.stop();
      await waking.close();
    }
  }, 180_000);
});
