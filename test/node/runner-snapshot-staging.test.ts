/**
 * A checkpoint's snapshot in the background (container/runner/workspace-archive.ts): the
 * conversation is copied into a staging directory of its own before `archive_packed`, tar packs
 * that copy later, and the copy is removed once tar is done, whether it succeeded or failed; tool
 * calls asked meanwhile (permission-relay.ts) wait for it. Real tar and files; a `tar` first on
 * PATH holds or fails the packing tar while the test's flag files exist.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../container/runner/log.ts";
import type { ControlFrame } from "../../container/runner/platform-channel.ts";
import { PermissionRelay } from "../../container/runner/permission-relay.ts";
import { type ArchiveFrameOut, encodeProjectDir, WorkspaceArchive } from "../../container/runner/workspace-archive.ts";

let root: string;
let hold: string;
let fail: string;
let server: http.Server;
let base: string;
const savedPath = process.env.PATH;

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "snapshot-staging-"));
  hold = path.join(root, "hold");
  fail = path.join(root, "fail");
  const bin = path.join(root, "bin");
  mkdirSync(bin);
  const realTar = execFileSync("sh", ["-c", "command -v tar"], { encoding: "utf8" }).trim();
  writeFileSync(
    path.join(bin, "tar"),
    `#!/bin/sh\nif [ "$1" = "-cf" ]; then\n  while [ -e '${hold}' ]; do sleep 0.02; done\n  if [ -e '${fail}' ]; then echo 'tar: cannot read' >&2; exit 2; fi\nfi\nexec '${realTar}' "$@"\n`,
  );
  chmodSync(path.join(bin, "tar"), 0o755);
  process.env.PATH = `${bin}:${savedPath ?? "/usr/bin:/bin"}`;
  server = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("{}"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  process.env.PATH = savedPath;
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/** A sandbox with a workspace and a conversation, and its archiver recording every frame. */
function sandbox(name: string, snapshotTimeoutMs?: number) {
  const dir = path.join(root, name);
  const layout = { workspaceDir: path.join(dir, "workspace"), claudeConfigDir: path.join(dir, "claude"), tmpDir: path.join(dir, "tmp") };
  for (const d of Object.values(layout)) mkdirSync(d, { recursive: true });
  writeFileSync(path.join(layout.workspaceDir, "report.md"), "# report\n");
  const conversation = path.join(layout.claudeConfigDir, "projects", encodeProjectDir(layout.workspaceDir));
  mkdirSync(conversation, { recursive: true });
  writeFileSync(path.join(conversation, "conv.jsonl"), '{"turn":1}\n');
  const frames: ArchiveFrameOut[] = [];
  const waiters: (() => void)[] = [];
  const archive = new WorkspaceArchive({
    ...layout,
    ...(snapshotTimeoutMs ? { snapshotTimeoutMs } : {}),
    send: (frame) => {
      frames.push(frame);
      for (const wake of waiters.splice(0)) wake();
      return true;
    },
    log: createLogger("test", "error"),
  });
  const frame = async (type: ArchiveFrameOut["type"]): Promise<ArchiveFrameOut> => {
    for (;;) {
      const found = frames.find((f) => f.type === type);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  const staged = () => readdirSync(layout.tmpDir).filter((entry) => entry.startsWith("conversation-"));
  return { layout, archive, frame, staged };
}

describe("the staging copy of a checkpoint's conversation", () => {
  it("exists while tar packs it and is removed once the archive is packed", async () => {
    const s = sandbox("ok");
    writeFileSync(hold, "");
    s.archive.handle({ type: "archive", transfer_id: "t1", url: `${base}/blobs/ok` });
    await s.frame("archive_packed");
    expect(s.staged()).toEqual(["conversation-t1"]);
    expect(s.archive.snapshotsTaken()).toBeDefined();
    rmSync(hold);
    expect(await s.frame("archive_result")).toMatchObject({ ok: true });
    expect(s.staged()).toEqual([]);
    expect(s.archive.snapshotsTaken()).toBeUndefined();
  });

  it("is removed when tar fails, and the failure is the archive's result", async () => {
    const s = sandbox("failed");
    writeFileSync(hold, "");
    writeFileSync(fail, "");
    try {
      s.archive.handle({ type: "archive", transfer_id: "t1", url: `${base}/blobs/failed` });
      await s.frame("archive_packed");
      expect(s.staged()).toEqual(["conversation-t1"]);
      const taken = s.archive.snapshotsTaken();
      rmSync(hold);
      await taken; // tool calls go on after a failed snapshot too
      expect(await s.frame("archive_result")).toMatchObject({ ok: false, error: expect.stringContaining("cannot read") });
      expect(s.staged()).toEqual([]);
      expect(existsSync(path.join(s.layout.tmpDir, "archive-t1.tar"))).toBe(false);
    } finally {
      rmSync(fail, { force: true });
    }
  });
});

describe("a snapshot's tar that does not finish", () => {
  it("is stopped: the checkpoint fails, and tool calls go on", async () => {
    const s = sandbox("hung", 300);
    writeFileSync(hold, "");
    try {
      s.archive.handle({ type: "archive", transfer_id: "t1", url: `${base}/blobs/hung` });
      await s.frame("archive_packed");
      await s.archive.snapshotsTaken();
      expect(await s.frame("archive_result")).toMatchObject({ ok: false, error: expect.stringContaining("tar exited") });
      expect(s.staged()).toEqual([]);
    } finally {
      rmSync(hold, { force: true });
    }
  });
});

describe("tool calls during a checkpoint's snapshot", () => {
  /** A relay whose snapshot the test finishes; it records the frames it sends. */
  function relay() {
    const sent: ControlFrame[] = [];
    let finish!: () => void;
    let snapshot: Promise<void> | undefined = new Promise<void>((resolve) => (finish = resolve));
    const permissions = new PermissionRelay({
      workspaceDir: "/w",
      send: (frame) => (sent.push(frame), true),
      snapshotting: () => snapshot,
      log: createLogger("test", "error"),
    });
    const taken = async () => {
      snapshot = undefined;
      finish();
      await new Promise((resolve) => setImmediate(resolve));
    };
    return { permissions, sent, taken };
  }
  const prompt = (id: string): Extract<ControlFrame, { type: "permission_request" }> => ({
    type: "permission_request",
    request_id: id,
    tool_name: "AskUserQuestion",
    input: {},
  });

  it("asks the platform only once the snapshot is taken, from the hook and from a permission prompt", async () => {
    const r = relay();
    const answer = r.permissions.askFromHook({ tool_name: "Bash", tool_input: { command: "echo" } }, new AbortController().signal);
    r.permissions.askFromPrompt(prompt("p1"));
    r.permissions.resync(); // a reconnection does not send them either
    await new Promise((resolve) => setImmediate(resolve));
    expect(r.sent).toEqual([]);
    await r.taken();
    expect(r.sent.map((f) => f.type === "permission_request" && f.tool_name)).toEqual(["Bash", "AskUserQuestion"]);
    const hook = r.sent[0] as Extract<ControlFrame, { type: "permission_request" }>;
    r.permissions.answer({ type: "permission_response", request_id: hook.request_id, behavior: "allow" });
    expect(await answer).toEqual({ decision: "allow" });
  });

  it("never asks what was withdrawn while it waited", async () => {
    const r = relay();
    const abort = new AbortController();
    const answer = r.permissions.askFromHook({ tool_name: "Bash", tool_input: { command: "echo" } }, abort.signal);
    r.permissions.askFromPrompt(prompt("p1"));
    abort.abort();
    r.permissions.withdraw("p1");
    await r.taken();
    expect(await answer).toMatchObject({ decision: "deny" });
    expect(r.sent).toEqual([]);
  });
});
