/**
 * A wake's restore, unpacked as it downloads (container/runner/archive-unpack.ts): an archive made
 * by the runner comes back with the same files, modes, owners, links and conversation; a download
 * that is short, broken off or corrupt fails the restore with a clear error and leaves the
 * workspace and the conversation store as they were (nothing half-restored, no staging left),
 * so the session's "continuing with a fresh workspace" is true.
 * Real tar, real files, a loopback HTTP server standing in for the signed URLs; each GET path
 * says how to serve the stored archive.
 */
import {
  chmodSync,
  chownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { execFileSync } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STAGING_PREFIX } from "../../container/runner/archive-unpack.ts";
import { createLogger } from "../../container/runner/log.ts";
import { encodeProjectDir, WorkspaceArchive } from "../../container/runner/workspace-archive.ts";
import type { ArchiveResultFrame } from "../../schemas/runner.ts";

let root: string;
let server: http.Server;
let base: string;
const blobs = new Map<string, Buffer>();
/** GET paths requested, in order. */
const requested: string[] = [];

/** GET /<key>?serve=whole|short|cut|corrupt: the archive, or a damaged delivery of it. */
beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "archive-restore-"));
  server = http.createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    if (req.method === "PUT") {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        blobs.set(url.pathname, Buffer.concat(chunks));
        res.end("{}");
      });
      return;
    }
    requested.push(url.pathname);
    const blob = blobs.get(url.pathname);
    if (!blob) return void res.writeHead(404).end();
    const half = blob.subarray(0, Math.floor(blob.byteLength / 2));
    switch (url.searchParams.get("serve")) {
      case "short": // no length announced, half the bytes, a clean end
        res.writeHead(200).end(half);
        return;
      case "cut": // the whole length announced, the connection dropped halfway
        res.writeHead(200, { "content-length": blob.byteLength });
        res.write(half, () => res.destroy());
        return;
      case "corrupt": {
        // The right length, one byte flipped well inside the compressed data.
        const damaged = Buffer.from(blob);
        damaged[Math.floor(damaged.byteLength * 0.6)]! ^= 0xff;
        res.writeHead(200, { "content-length": damaged.byteLength }).end(damaged);
        return;
      }
      case "redirect": // elsewhere, where the archive is served too: a signed URL is never followed off its path
        res.writeHead(302, { location: `${url.pathname}-elsewhere` }).end();
        return;
      default:
        res.writeHead(200, { "content-length": blob.byteLength }).end(blob);
    }
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

/** Every entry under `dir`: its kind, mode, owner and content (or link target). */
function describeTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const relPath = path.join(rel, name);
      const full = path.join(dir, relPath);
      const stat = lstatSync(full);
      const meta = `${(stat.mode & 0o7777).toString(8)} ${stat.uid}:${stat.gid}`;
      if (stat.isSymbolicLink()) out[relPath] = `link -> ${readlinkSync(full)}`;
      else if (stat.isDirectory()) {
        out[relPath] = `dir ${meta}`;
        walk(relPath);
      } else out[relPath] = `file ${meta} ${readFileSync(full).toString("base64")}`;
    }
  };
  walk("");
  return out;
}

/** A workspace with a bit of everything, and a conversation. */
function fillSource(layout: ReturnType<typeof sandbox>): void {
  const ws = layout.workspaceDir;
  mkdirSync(path.join(ws, "src", "deep", "er"), { recursive: true });
  writeFileSync(path.join(ws, "README.md"), "# project\n");
  writeFileSync(path.join(ws, ".env.local"), "SECRET=1\n", { mode: 0o600 });
  writeFileSync(path.join(ws, "src", "run.sh"), "#!/bin/sh\necho hi\n", { mode: 0o755 });
  writeFileSync(path.join(ws, "src", "deep", "er", "data.bin"), Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7) % 256)));
  writeFileSync(path.join(ws, "naïve ✓.txt"), "unicode name");
  mkdirSync(path.join(ws, "empty"));
  symlinkSync("src/run.sh", path.join(ws, "link-to-run"));
  symlinkSync("/etc/passwd", path.join(ws, "link-outside"));
  mkdirSync(path.join(ws, "frozen"));
  writeFileSync(path.join(ws, "frozen", "kept.txt"), "read-only dir");
  chmodSync(path.join(ws, "frozen"), 0o555);
  // Another owner survives the round trip where the runner may give files away (it runs as root).
  if (process.getuid?.() === 0) chownSync(path.join(ws, "README.md"), 4321, 4321);
  mkdirSync(path.join(transcriptDir(layout), "conv-1"), { recursive: true });
  writeFileSync(path.join(transcriptDir(layout), "conv-1.jsonl"), '{"type":"user"}\n{"type":"assistant"}\n');
  writeFileSync(path.join(transcriptDir(layout), "conv-1", "tool-output.txt"), "big output");
}

/** An archive of a filled workspace, stored at `key`; its size. */
async function archived(key: string): Promise<{ source: ReturnType<typeof sandbox>; size: number }> {
  const source = sandbox(`source-${key}`);
  fillSource(source);
  const result = await run(source, { type: "archive", url: `${base}/${key}` });
  expect(result, JSON.stringify(result)).toMatchObject({ ok: true, op: "archive" });
  return { source, size: blobs.get(`/${key}`)!.byteLength };
}

describe("a streamed restore", () => {
  it("brings back the same files, modes, owners, links and conversation", async () => {
    const { source, size } = await archived("whole");
    const target = sandbox("whole-target");
    const result = await run(target, { type: "restore", url: `${base}/whole?serve=whole`, size });
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, op: "restore", size });
    expect(describeTree(target.workspaceDir)).toEqual(describeTree(source.workspaceDir));
    expect(describeTree(transcriptDir(target))).toEqual(describeTree(transcriptDir(source)));
    // No staging left in the workspace or the config dir.
    expect(readdirSync(target.claudeConfigDir)).toEqual(["projects"]);
    expect(readdirSync(target.workspaceDir).filter((name) => name.startsWith(".restore-"))).toEqual([]);
  });

  it("replaces what the workspace holds under the archive's names and keeps the rest", async () => {
    const { source, size } = await archived("over");
    const target = sandbox("over-target");
    writeFileSync(path.join(target.workspaceDir, "README.md"), "stale");
    mkdirSync(path.join(target.workspaceDir, "src"));
    writeFileSync(path.join(target.workspaceDir, "src", "local-only.txt"), "not in the archive");
    // A directory where the archive has a file, and a file where it has a directory.
    mkdirSync(path.join(target.workspaceDir, "link-to-run"));
    writeFileSync(path.join(target.workspaceDir, "empty"), "a file");
    const result = await run(target, { type: "restore", url: `${base}/over`, size });
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
    const tree = describeTree(target.workspaceDir);
    expect(tree["src/local-only.txt"]).toMatch(/^file /);
    delete tree["src/local-only.txt"];
    expect(tree).toEqual(describeTree(source.workspaceDir));
  });

  it("restores an archive whose tar stream runs on past its end (tar stops reading there)", async () => {
    // tar exits at the end-of-archive blocks; what follows (the padding of the last record, here
    // much more than a pipe holds) is still read and checked, but has nowhere to go.
    const made = path.join(root, "padded-source");
    mkdirSync(path.join(made, "workspace", "sub"), { recursive: true });
    mkdirSync(path.join(made, "claude", "projects", "-elsewhere"), { recursive: true });
    writeFileSync(path.join(made, "workspace", "sub", "a.txt"), "restored");
    writeFileSync(path.join(made, "claude", "projects", "-elsewhere", "conv.jsonl"), "{}\n");
    execFileSync("tar", ["-cf", path.join(made, "a.tar"), "-C", made, "workspace", "claude"]);
    const blob = gzipSync(Buffer.concat([readFileSync(path.join(made, "a.tar")), Buffer.alloc(4 * 1024 * 1024)]));
    blobs.set("/padded", blob);
    const target = sandbox("padded-target");
    const result = await run(target, { type: "restore", url: `${base}/padded`, size: blob.byteLength });
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, op: "restore" });
    expect(readFileSync(path.join(target.workspaceDir, "sub", "a.txt"), "utf8")).toBe("restored");
    expect(readFileSync(path.join(transcriptDir(target), "conv.jsonl"), "utf8")).toBe("{}\n");
  });

  it("leaves out and clears what an interrupted restore left in the workspace, and nothing else", async () => {
    // A runner killed mid-restore leaves its staging directory at the workspace's top.
    const source = sandbox("leftover-source");
    fillSource(source);
    const leftover = `${STAGING_PREFIX}archive-killed`;
    mkdirSync(path.join(source.workspaceDir, leftover));
    writeFileSync(path.join(source.workspaceDir, leftover, "half.txt"), "half-restored");
    // The same name deeper down, and a near name at the top, are the user's own.
    mkdirSync(path.join(source.workspaceDir, "src", leftover));
    writeFileSync(path.join(source.workspaceDir, "src", leftover, "mine.txt"), "kept");
    mkdirSync(path.join(source.workspaceDir, ".restore-notes"));
    const archivedResult = await run(source, { type: "archive", url: `${base}/leftover` });
    expect(archivedResult, JSON.stringify(archivedResult)).toMatchObject({ ok: true });
    const members = execFileSync("tar", ["-tzf", "-"], { input: blobs.get("/leftover")! })
      .toString()
      .split("\n");
    expect(members).not.toContain(`workspace/${leftover}/half.txt`);
    expect(members).toContain(`workspace/src/${leftover}/mine.txt`);
    expect(members).toContain("workspace/.restore-notes/");

    // The source sandbox restores its own archive (a wake in place): the leftover goes.
    const size = blobs.get("/leftover")!.byteLength;
    const result = await run(source, { type: "restore", url: `${base}/leftover`, size });
    expect(result, JSON.stringify(result)).toMatchObject({ ok: true, op: "restore" });
    const top = readdirSync(source.workspaceDir);
    expect(top).not.toContain(leftover);
    expect(top).toContain(".restore-notes");
    expect(readFileSync(path.join(source.workspaceDir, "src", leftover, "mine.txt"), "utf8")).toBe("kept");
  });

  it("refuses a redirect rather than following it, and leaves the workspace as it was", async () => {
    const { size } = await archived("moved");
    blobs.set("/moved-elsewhere", blobs.get("/moved")!);
    const target = sandbox("moved-target");
    const result = await run(target, { type: "restore", url: `${base}/moved?serve=redirect`, size });
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.error).toMatch(/302/);
    expect(requested).not.toContain("/moved-elsewhere");
    expect(readdirSync(target.workspaceDir)).toEqual([]);
  });

  for (const [serve, error] of [
    ["short", /received \d+ bytes, expected \d+/],
    ["cut", /the download broke off/],
    ["corrupt", /the archive is not a whole tar\.gz/],
  ] as const) {
    it(`fails a ${serve} download clearly and leaves the workspace and conversation as they were`, async () => {
      const { size } = await archived(serve);
      const target = sandbox(`${serve}-target`);
      writeFileSync(path.join(target.workspaceDir, "before.txt"), "here before the restore");
      mkdirSync(transcriptDir(target), { recursive: true });
      writeFileSync(path.join(transcriptDir(target), "earlier.jsonl"), "{}\n");
      const before = { workspace: describeTree(target.workspaceDir), config: describeTree(target.claudeConfigDir) };

      const result = await run(target, { type: "restore", url: `${base}/${serve}?serve=${serve}`, size });
      expect(result.ok).toBe(false);
      expect(result.ok ? "" : result.error).toMatch(error);
      expect(describeTree(target.workspaceDir)).toEqual(before.workspace);
      expect(describeTree(target.claudeConfigDir)).toEqual(before.config);
    });
  }
});
