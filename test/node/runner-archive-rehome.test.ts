/**
 * The runner's workspace archive across directories (container/runner/workspace-archive.ts): an
 * archive made in one workspace and restored in another (a fork's sandbox) brings the files back
 * and puts Claude Code's transcript under the restoring workspace's own project directory, where
 * `--resume` looks; a restore into a directory that already has a transcript merges with it.
 * Real tar, real files, a loopback HTTP server standing in for the signed URLs.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "archive-rehome-"));
  server = http.createServer((req, res) => {
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
    res.writeHead(200, { "content-length": blob.byteLength }).end(blob);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/** A sandbox layout: workspace, Claude Code's config dir, temp dir. */
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

/** Runs one archive or restore and waits for its result. */
function run(
  layout: ReturnType<typeof sandbox>,
  frame: { type: "archive" | "restore"; url: string; size?: number },
): Promise<ArchiveResultFrame> {
  return new Promise((resolve) => {
    const archive = new WorkspaceArchive({
      ...layout,
      send: (frame) => {
        if (frame.type === "archive_result") resolve(frame);
        return true;
      },
      log: createLogger("test", "error"),
    });
    const transfer_id = `t${Math.random().toString(36).slice(2)}`;
    archive.handle(
      frame.type === "archive"
        ? { type: "archive", transfer_id, url: frame.url }
        : { type: "restore", transfer_id, url: frame.url, size: frame.size! },
    );
  });
}

const transcriptDir = (layout: ReturnType<typeof sandbox>) =>
  path.join(layout.claudeConfigDir, "projects", encodeProjectDir(layout.workspaceDir));

describe("an archive restored in another workspace", () => {
  it("brings back the files and puts the transcript where --resume looks in the new workspace", async () => {
    const source = sandbox("source");
    writeFileSync(path.join(source.workspaceDir, "kept.txt"), "forked files survive");
    mkdirSync(path.join(transcriptDir(source), "conv-1"), { recursive: true });
    writeFileSync(path.join(transcriptDir(source), "conv-1.jsonl"), '{"type":"user"}\n');
    writeFileSync(path.join(transcriptDir(source), "conv-1", "tool-output.txt"), "big output");
    const archived = await run(source, { type: "archive", url: `${base}/a1` });
    expect(archived).toMatchObject({ ok: true, op: "archive" });

    const fork = sandbox("fork");
    // The fork's own conversation store may already hold something: it is kept, and merged with.
    mkdirSync(transcriptDir(fork), { recursive: true });
    writeFileSync(path.join(transcriptDir(fork), "other.jsonl"), "{}\n");
    const restored = await run(fork, { type: "restore", url: `${base}/a1`, size: blobs.get("/a1")!.byteLength });
    expect(restored, JSON.stringify(restored)).toMatchObject({ ok: true, op: "restore" });

    expect(readFileSync(path.join(fork.workspaceDir, "kept.txt"), "utf8")).toBe("forked files survive");
    expect(readFileSync(path.join(transcriptDir(fork), "conv-1.jsonl"), "utf8")).toBe('{"type":"user"}\n');
    expect(readFileSync(path.join(transcriptDir(fork), "conv-1", "tool-output.txt"), "utf8")).toBe("big output");
    expect(existsSync(path.join(transcriptDir(fork), "other.jsonl"))).toBe(true);
    // Nothing under the source's name, and no staging left behind.
    expect(existsSync(path.join(fork.claudeConfigDir, "projects", encodeProjectDir(source.workspaceDir)))).toBe(false);
    expect(readdirNames(fork.claudeConfigDir)).toEqual(["projects"]);
  });

  it("restores an archive made before any conversation existed", async () => {
    const source = sandbox("fresh-source");
    writeFileSync(path.join(source.workspaceDir, "a.txt"), "a");
    expect(await run(source, { type: "archive", url: `${base}/a2` })).toMatchObject({ ok: true });
    const fork = sandbox("fresh-fork");
    expect(await run(fork, { type: "restore", url: `${base}/a2`, size: blobs.get("/a2")!.byteLength })).toMatchObject({ ok: true });
    expect(readFileSync(path.join(fork.workspaceDir, "a.txt"), "utf8")).toBe("a");
    expect(existsSync(transcriptDir(fork))).toBe(false);
  });
});

function readdirNames(dir: string): string[] {
  return readdirSync(dir).sort();
}
