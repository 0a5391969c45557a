/**
 * A checkpoint of an unchanged workspace costs nothing (container/runner/workspace-archive.ts,
 * issue 14): the runner does not pack or upload again an archive of the same trees to the same
 * place (a session that sleeps right after its turn's checkpoint). Any change to the workspace or the conversation, or another place, uploads.
 * Real tar, real files, a loopback HTTP server standing in for the signed URLs, counting uploads.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../container/runner/log.ts";
import { encodeProjectDir, WorkspaceArchive } from "../../container/runner/workspace-archive.ts";
import type { ArchiveResultFrame } from "../../schemas/runner.ts";

let root: string;
let server: http.Server;
let base: string;
const blobs = new Map<string, Buffer>();
const puts: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "archive-unchanged-"));
  server = http.createServer((req, res) => {
    const key = new URL(req.url!, "http://x").pathname;
    if (req.method === "PUT") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        puts.push(key);
        blobs.set(key, Buffer.concat(chunks));
        res.end("{}");
      });
      return;
    }
    const blob = blobs.get(key);
    if (!blob) return void res.writeHead(404).end();
    res.writeHead(200, { "content-length": blob.byteLength }).end(blob);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

function sandbox(name: string) {
  const dir = path.join(root, name);
  const layout = {
    workspaceDir: path.join(dir, "workspace"),
    claudeConfigDir: path.join(dir, "home", ".claude"),
    tmpDir: path.join(dir, "tmp"),
  };
  for (const d of Object.values(layout)) mkdirSync(d, { recursive: true });
  return layout;
}

/** One runner's archiver; `run` performs one archive or restore and waits for its result. */
function archiver(layout: ReturnType<typeof sandbox>) {
  let waiting: ((r: ArchiveResultFrame) => void) | null = null;
  const archive = new WorkspaceArchive({
    ...layout,
    send: (frame) => {
      if (frame.type === "archive_result") waiting?.(frame);
      return true;
    },
    log: createLogger("test", "error"),
  });
  return (frame: { type: "archive" | "restore"; url: string; size?: number }) =>
    new Promise<ArchiveResultFrame>((resolve) => {
      waiting = resolve;
      const transfer_id = `t${Math.random().toString(36).slice(2)}`;
      archive.handle(
        frame.type === "archive"
          ? { type: "archive", transfer_id, url: frame.url }
          : { type: "restore", transfer_id, url: frame.url, size: frame.size! },
      );
    });
}

/** A signed URL as the platform makes them: the same blob path, a fresh query every time. */
const signed = (key: string) => `${base}/blobs/${key}?expires=${Date.now()}&sig=${Math.random().toString(36).slice(2)}`;

describe("checkpoints of an unchanged workspace", () => {
  it("uploads once while nothing changes, and again after any change to the files or the conversation", async () => {
    const s = sandbox("a");
    const run = archiver(s);
    writeFileSync(path.join(s.workspaceDir, "report.md"), "# one\n");
    const transcripts = path.join(s.claudeConfigDir, "projects", encodeProjectDir(s.workspaceDir));
    mkdirSync(transcripts, { recursive: true });
    writeFileSync(path.join(transcripts, "conv.jsonl"), '{"turn":1}\n');
    const key = "sessions/a/archive/workspace.tar.gz";
    puts.length = 0;

    const first = await run({ type: "archive", url: signed(key) });
    expect(first).toMatchObject({ ok: true });
    const second = await run({ type: "archive", url: signed(key) });
    expect(second).toMatchObject({ ok: true, size: (first as { size: number }).size });
    expect(puts).toEqual([`/blobs/${key}`]);

    // A new turn: the conversation grows.
    writeFileSync(path.join(transcripts, "conv.jsonl"), '{"turn":1}\n{"turn":2}\n');
    await run({ type: "archive", url: signed(key) });
    expect(puts).toHaveLength(2);
    // The same size, a new mtime: changed.
    writeFileSync(path.join(s.workspaceDir, "report.md"), "# two\n");
    utimesSync(path.join(s.workspaceDir, "report.md"), new Date(), new Date(Date.now() + 5_000));
    await run({ type: "archive", url: signed(key) });
    expect(puts).toHaveLength(3);
    // Unchanged, but another place (another session's archive): uploaded there.
    await run({ type: "archive", url: signed("sessions/b/archive/workspace.tar.gz") });
    expect(puts).toHaveLength(4);
  });
});
