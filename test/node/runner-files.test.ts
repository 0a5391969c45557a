// The runner's file transfers against a real disk and a real HTTP server standing in for the
// platform's signed URLs: atomic writes, streaming both ways, and the workspace boundary.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FileResultFrame } from "../../schemas/runner.ts";
import { WorkspaceTransfers } from "../../container/runner/workspace-transfers.ts";
import type { Logger } from "../../container/runner/log.ts";
import { cleanupTempDirs, tempDir } from "./runner-harness.ts";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A stand-in for the blob routes: GET serves `blobs`, PUT stores into `received` (checking Content-Length). */
type BlobServer = {
  url: string;
  blobs: Map<string, { status?: number; body: Buffer; length?: number }>;
  received: Map<string, { length: string | undefined; body: Buffer }>;
  putStatus: number;
  close(): Promise<void>;
};

async function startBlobServer(): Promise<BlobServer> {
  const state: BlobServer = { url: "", blobs: new Map(), received: new Map(), putStatus: 200, close: async () => {} };
  const server = http.createServer((req, res) => {
    const key = req.url ?? "/";
    if (req.method === "GET") {
      const blob = state.blobs.get(key);
      if (!blob)
        return res.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: "file_not_found", message: "gone" }));
      res.writeHead(blob.status ?? 200, { "content-length": String(blob.length ?? blob.body.byteLength) });
      return res.end(blob.body);
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      state.received.set(key, { length: req.headers["content-length"], body: Buffer.concat(chunks) });
      if (state.putStatus === 200) res.writeHead(200, { "content-type": "application/json" }).end('{"stored":true}');
      else
        res
          .writeHead(state.putStatus, { "content-type": "application/json" })
          .end(JSON.stringify({ error: "file_too_large", message: "files are limited to 100 MB" }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise((resolve) => server.close(() => resolve()));
  return state;
}

let blobs: BlobServer;
beforeAll(async () => {
  blobs = await startBlobServer();
});
afterAll(async () => {
  await blobs?.close();
  await cleanupTempDirs();
});

/** A workspace (inside a parent holding an `outside` directory) and transfers reporting into `results`. */
async function setup(connected = true) {
  const parent = await tempDir("runner-files-");
  const workspace = path.join(parent, "workspace");
  const outside = path.join(parent, "outside");
  mkdirSync(workspace);
  mkdirSync(outside);
  const results: FileResultFrame[] = [];
  const link = { connected };
  const transfers = new WorkspaceTransfers({
    workspaceDir: workspace,
    log: quiet,
    send: (frame) => link.connected && results.push(frame) > 0,
  });
  const result = async (transferId: string): Promise<FileResultFrame> => {
    for (let i = 0; i < 400; i++) {
      const found = results.find((r) => r.transfer_id === transferId);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`no result for ${transferId}`);
  };
  return { workspace, outside, transfers, results, result, link };
}

let counter = 0;
const nextId = () => `t${++counter}`;

describe("fetch_file", () => {
  it("streams the download into uploads/<name> atomically, creating the directory, leaving no temporary file", async () => {
    const { workspace, transfers, result } = await setup();
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    blobs.blobs.set("/up/1", { body: bytes });
    const id = nextId();
    transfers.handle({ type: "fetch_file", transfer_id: id, url: `${blobs.url}/up/1`, path: "uploads/data.bin", size: bytes.byteLength });
    expect(await result(id)).toEqual({ type: "file_result", transfer_id: id, ok: true, path: "uploads/data.bin", size: bytes.byteLength });
    expect(readFileSync(path.join(workspace, "uploads/data.bin")).equals(bytes)).toBe(true);
    expect(readdirSync(path.join(workspace, "uploads"))).toEqual(["data.bin"]);
  });

  it("replaces an existing file, and a symlink at the target is replaced rather than written through", async () => {
    const { workspace, outside, transfers, result } = await setup();
    mkdirSync(path.join(workspace, "uploads"));
    writeFileSync(path.join(outside, "victim.txt"), "untouched");
    symlinkSync(path.join(outside, "victim.txt"), path.join(workspace, "uploads/notes.txt"));
    blobs.blobs.set("/up/2", { body: Buffer.from("new content") });
    const id = nextId();
    transfers.handle({ type: "fetch_file", transfer_id: id, url: `${blobs.url}/up/2`, path: "uploads/notes.txt", size: 11 });
    expect((await result(id)).ok).toBe(true);
    expect(lstatSync(path.join(workspace, "uploads/notes.txt")).isSymbolicLink()).toBe(false);
    expect(readFileSync(path.join(workspace, "uploads/notes.txt"), "utf8")).toBe("new content");
    expect(readFileSync(path.join(outside, "victim.txt"), "utf8")).toBe("untouched");
  });

  it("refuses an uploads directory that is a symlink out of the workspace, and writes nothing there", async () => {
    const { workspace, outside, transfers, result } = await setup();
    symlinkSync(outside, path.join(workspace, "uploads"));
    blobs.blobs.set("/up/3", { body: Buffer.from("abc") });
    const id = nextId();
    transfers.handle({ type: "fetch_file", transfer_id: id, url: `${blobs.url}/up/3`, path: "uploads/x.txt", size: 3 });
    expect(await result(id)).toMatchObject({ ok: false, reason: "outside_workspace" });
    expect(readdirSync(outside)).toEqual([]);
  });

  it("a download of the wrong size, or a refused URL, leaves nothing behind", async () => {
    const { workspace, transfers, result } = await setup();
    blobs.blobs.set("/up/4", { body: Buffer.from("12345") });
    const short = nextId();
    transfers.handle({ type: "fetch_file", transfer_id: short, url: `${blobs.url}/up/4`, path: "uploads/a.txt", size: 9 });
    expect(await result(short)).toMatchObject({ ok: false, reason: "size_mismatch" });
    const refused = nextId();
    transfers.handle({ type: "fetch_file", transfer_id: refused, url: `${blobs.url}/up/missing`, path: "uploads/b.txt", size: 1 });
    const failure = await result(refused);
    expect(failure).toMatchObject({ ok: false, reason: "http_error" });
    expect(failure.ok === false && failure.error).toContain("404 file_not_found: gone");
    expect(readdirSync(path.join(workspace, "uploads"))).toEqual([]);
  });
});

describe("send_file", () => {
  it("streams a workspace file with its exact Content-Length", async () => {
    const { workspace, transfers, result } = await setup();
    const bytes = randomBytes(2 * 1024 * 1024 + 5);
    mkdirSync(path.join(workspace, "out"));
    writeFileSync(path.join(workspace, "out/report.bin"), bytes);
    const id = nextId();
    transfers.handle({ type: "send_file", transfer_id: id, path: "out/../out/report.bin", url: `${blobs.url}/down/1` });
    expect(await result(id)).toEqual({ type: "file_result", transfer_id: id, ok: true, path: "out/report.bin", size: bytes.byteLength });
    const received = blobs.received.get("/down/1")!;
    expect(received.length).toBe(String(bytes.byteLength));
    expect(received.body.equals(bytes)).toBe(true);
  });

  it("sends an empty file", async () => {
    const { workspace, transfers, result } = await setup();
    writeFileSync(path.join(workspace, "empty.txt"), "");
    const id = nextId();
    transfers.handle({ type: "send_file", transfer_id: id, path: "empty.txt", url: `${blobs.url}/down/empty` });
    expect(await result(id)).toMatchObject({ ok: true, size: 0 });
    expect(blobs.received.get("/down/empty")).toEqual({ length: "0", body: Buffer.alloc(0) });
  });

  it("follows symlinks inside the workspace but refuses those that lead out, and sends nothing for them", async () => {
    const { workspace, outside, transfers, result } = await setup();
    writeFileSync(path.join(outside, "secret.txt"), "secret");
    writeFileSync(path.join(workspace, "real.txt"), "inside");
    symlinkSync(path.join(outside, "secret.txt"), path.join(workspace, "leak.txt"));
    symlinkSync(outside, path.join(workspace, "door"));
    symlinkSync(path.join(workspace, "real.txt"), path.join(workspace, "alias.txt"));
    const cases: [string, string][] = [
      ["leak.txt", "outside_workspace"],
      ["door/secret.txt", "outside_workspace"],
      ["../outside/secret.txt", "outside_workspace"],
      ["/etc/passwd", "outside_workspace"],
    ];
    for (const [file, reason] of cases) {
      const id = nextId();
      transfers.handle({ type: "send_file", transfer_id: id, path: file, url: `${blobs.url}/down/${id}` });
      expect(await result(id), file).toMatchObject({ ok: false, reason });
      expect(blobs.received.has(`/down/${id}`), file).toBe(false);
    }
    const alias = nextId();
    transfers.handle({ type: "send_file", transfer_id: alias, path: "alias.txt", url: `${blobs.url}/down/${alias}` });
    expect(await result(alias)).toMatchObject({ ok: true, path: "alias.txt", size: 6 });
  });

  it("reports a missing file, a directory and a FIFO clearly (without hanging on the FIFO)", async () => {
    const { workspace, transfers, result } = await setup();
    mkdirSync(path.join(workspace, "dir"));
    execFileSync("mkfifo", [path.join(workspace, "pipe")]);
    const cases: [string, string][] = [
      ["nope.txt", "not_found"],
      ["dir", "not_a_file"],
      ["pipe", "not_a_file"],
      ["nope/deeper.txt", "not_found"],
    ];
    for (const [file, reason] of cases) {
      const id = nextId();
      transfers.handle({ type: "send_file", transfer_id: id, path: file, url: `${blobs.url}/down/${id}` });
      expect(await result(id), file).toMatchObject({ ok: false, reason });
    }
  });

  it("passes the platform's refusal on", async () => {
    const { workspace, transfers, result } = await setup();
    writeFileSync(path.join(workspace, "big.bin"), "pretend this is large");
    blobs.putStatus = 413;
    try {
      const id = nextId();
      transfers.handle({ type: "send_file", transfer_id: id, path: "big.bin", url: `${blobs.url}/down/${id}` });
      const failure = await result(id);
      expect(failure).toMatchObject({ ok: false, reason: "too_large" });
      expect(failure.ok === false && failure.error).toContain("files are limited to 100 MB");
    } finally {
      blobs.putStatus = 200;
    }
  });
});

it("keeps a result the channel could not send, and sends it after the reconnect", async () => {
  const { workspace, transfers, results, result, link } = await setup(false);
  writeFileSync(path.join(workspace, "a.txt"), "a");
  const id = nextId();
  transfers.handle({ type: "send_file", transfer_id: id, path: "a.txt", url: `${blobs.url}/down/${id}` });
  for (let i = 0; i < 100 && !blobs.received.has(`/down/${id}`); i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 50));
  expect(results).toEqual([]);
  link.connected = true;
  transfers.resync();
  expect(await result(id)).toMatchObject({ ok: true, path: "a.txt" });
  expect(existsSync(path.join(workspace, "a.txt"))).toBe(true);
});
