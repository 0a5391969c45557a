/**
 * A checkpoint's upload runs after its snapshot, in the background (container/runner/
 * workspace-archive.ts, archive-uploads.ts): the runner says `archive_packed` once tar has read the
 * trees, before the upload is stored, and a second archive packed while the first still uploads
 * waits for it, so the blob ends up holding the newer one. Real tar and files; a loopback HTTP
 * server stands in for the signed URLs and holds back the uploads the test chooses.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ArchiveUploads } from "../../container/runner/archive-uploads.ts";
import { createLogger } from "../../container/runner/log.ts";
import { type ArchiveFrameOut, WorkspaceArchive } from "../../container/runner/workspace-archive.ts";

let root: string;
let server: http.Server;
let base: string;
const blobs = new Map<string, Buffer>();
/** Uploads the server holds back: it stores and answers one only once the test releases it. */
const held: { key: string; release: () => void }[] = [];
let holdNext = false;
/** Every upload the server received, by blob path. */
const puts: string[] = [];
const arrivals: ((key: string) => void)[] = [];

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "archive-order-"));
  server = http.createServer((req, res) => {
    const key = new URL(req.url!, "http://x").pathname;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      puts.push(key);
      const store = () => {
        blobs.set(key, Buffer.concat(chunks));
        res.end("{}");
      };
      if (holdNext) {
        holdNext = false;
        held.push({ key, release: store });
      } else store();
      for (const arrived of arrivals.splice(0)) arrived(key);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

/**
 * A sandbox's directories and one runner's archiver, recording every frame it sends; `idle` is
 * what an archive's gzip and upload wait for (the runner's next turn starting).
 */
function archiver(name: string, idle?: () => Promise<void>) {
  const dir = path.join(root, name);
  const layout = { workspaceDir: path.join(dir, "workspace"), claudeConfigDir: path.join(dir, "claude"), tmpDir: path.join(dir, "tmp") };
  for (const d of Object.values(layout)) mkdirSync(d, { recursive: true });
  const frames: ArchiveFrameOut[] = [];
  const waiters: (() => void)[] = [];
  const archive = new WorkspaceArchive({
    ...layout,
    ...(idle ? { idle } : {}),
    send: (frame) => {
      frames.push(frame);
      for (const wake of waiters.splice(0)) wake();
      return true;
    },
    log: createLogger("test", "error"),
  });
  /** Resolves with the first frame `match` accepts, sent so far or later. */
  const frame = async (match: (f: ArchiveFrameOut) => boolean): Promise<ArchiveFrameOut> => {
    for (;;) {
      const found = frames.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => waiters.push(resolve));
    }
  };
  return { layout, frames, frame, archive: (transfer_id: string, url: string) => archive.handle({ type: "archive", transfer_id, url }) };
}

/** The next upload to reach the server. */
const nextArrival = () => new Promise<string>((resolve) => arrivals.push(resolve));
const signed = (key: string) => `${base}/blobs/${key}?sig=${Math.random().toString(36).slice(2)}`;

/** The workspace file `report.md` as the blob at `key` holds it. */
function reportIn(key: string): string {
  const file = path.join(root, `blob-${Math.random().toString(36).slice(2)}.tar.gz`);
  writeFileSync(file, blobs.get(`/blobs/${key}`)!);
  return execFileSync("tar", ["-xzOf", file, "workspace/report.md"], { encoding: "utf8" });
}

describe("archive uploads", () => {
  it("says the snapshot is packed before its upload is stored", async () => {
    const runner = archiver("packed");
    writeFileSync(path.join(runner.layout.workspaceDir, "report.md"), "turn one\n");
    const key = "sessions/p/archive/workspace.tar.gz";
    holdNext = true;
    const arrived = nextArrival();
    runner.archive("t1", signed(key));
    expect(await runner.frame((f) => f.type === "archive_packed")).toEqual({ type: "archive_packed", transfer_id: "t1" });
    // The upload reached the server and is held there: nothing is stored, no result yet.
    await arrived;
    expect(blobs.has(`/blobs/${key}`)).toBe(false);
    expect(runner.frames.map((f) => f.type)).toEqual(["archive_packed"]);
    held.shift()!.release();
    expect(await runner.frame((f) => f.type === "archive_result")).toMatchObject({ transfer_id: "t1", ok: true });
    expect(reportIn(key)).toBe("turn one\n");
  });

  it("stores a second archive after the first, even when the first upload is the slow one", async () => {
    const runner = archiver("order");
    const report = path.join(runner.layout.workspaceDir, "report.md");
    writeFileSync(report, "turn one\n");
    const key = "sessions/o/archive/workspace.tar.gz";
    holdNext = true;
    const firstArrived = nextArrival();
    runner.archive("t1", signed(key));
    await runner.frame((f) => f.type === "archive_packed" && f.transfer_id === "t1");
    await firstArrived;
    // The next turn changes the workspace while the first upload is still held; its checkpoint packs.
    writeFileSync(report, "turn two, longer\n");
    runner.archive("t2", signed(key));
    await runner.frame((f) => f.type === "archive_packed" && f.transfer_id === "t2");
    held.shift()!.release();
    await runner.frame((f) => f.type === "archive_result" && f.transfer_id === "t2");
    const results = runner.frames.filter((f) => f.type === "archive_result");
    expect(results.map((f) => f.transfer_id)).toEqual(["t1", "t2"]);
    expect(reportIn(key)).toBe("turn two, longer\n");
    expect(results[1]).toMatchObject({ ok: true, size: blobs.get(`/blobs/${key}`)!.byteLength });
  });

  it("keeps the packing order when the first archive still waits to compress and the second does not", async () => {
    // The first checkpoint's gzip waits for its next turn's first answer; that turn ends quickly and
    // its own checkpoint, with no turn starting after it, compresses at once.
    let firstTurnAnswered!: () => void;
    const waits = [new Promise<void>((resolve) => (firstTurnAnswered = resolve))];
    const runner = archiver("idle-order", () => waits.shift() ?? Promise.resolve());
    const report = path.join(runner.layout.workspaceDir, "report.md");
    writeFileSync(report, "turn one\n");
    const key = "sessions/i/archive/workspace.tar.gz";
    runner.archive("t1", signed(key));
    await runner.frame((f) => f.type === "archive_packed" && f.transfer_id === "t1");
    writeFileSync(report, "turn two, longer\n");
    runner.archive("t2", signed(key));
    await runner.frame((f) => f.type === "archive_packed" && f.transfer_id === "t2");
    firstTurnAnswered();
    await runner.frame((f) => f.type === "archive_result" && f.transfer_id === "t2");
    await runner.frame((f) => f.type === "archive_result" && f.transfer_id === "t1");
    const results = runner.frames.filter((f) => f.type === "archive_result");
    expect(results.map((f) => f.transfer_id)).toEqual(["t1", "t2"]);
    expect(reportIn(key)).toBe("turn two, longer\n");
    expect(results[1]).toMatchObject({ ok: true, size: blobs.get(`/blobs/${key}`)!.byteLength });
  });

  it("does not pack again trees that an upload still under way carries: its outcome is shared", async () => {
    const runner = archiver("same");
    writeFileSync(path.join(runner.layout.workspaceDir, "report.md"), "unchanged\n");
    const key = "sessions/s/archive/workspace.tar.gz";
    holdNext = true;
    const arrived = nextArrival();
    runner.archive("t1", signed(key));
    await arrived;
    runner.archive("t2", signed(key));
    await runner.frame((f) => f.type === "archive_packed" && f.transfer_id === "t2");
    held.shift()!.release();
    const second = await runner.frame((f) => f.type === "archive_result" && f.transfer_id === "t2");
    const first = runner.frames.find((f) => f.type === "archive_result" && f.transfer_id === "t1");
    expect(first).toMatchObject({ ok: true });
    expect(second).toMatchObject({ ok: true, size: (first as { size: number }).size });
    expect(puts.filter((put) => put === `/blobs/${key}`)).toHaveLength(1);
  });
});

describe("ArchiveUploads", () => {
  it("starts an upload only once every upload queued before it has settled, a failed one included", async () => {
    const uploads = new ArchiveUploads();
    const settled: string[] = [];
    /** An upload the test finishes; it records which uploads had settled when it started. */
    const controlled = (name: string) => {
      let finish!: (ok: boolean) => void;
      const seen: string[][] = [];
      const run = () => {
        seen.push([...settled]);
        return new Promise<number>((resolve, reject) => {
          finish = (ok) => {
            settled.push(name);
            ok ? resolve(name.length) : reject(new Error(`${name} failed`));
          };
        });
      };
      return { run, seen, finish: (ok: boolean) => finish(ok) };
    };
    const [a, b, c] = [controlled("a"), controlled("bb"), controlled("ccc")];
    const place = "/blobs/k";
    const sizeA = uploads.enqueue({ place, fingerprint: "1" }, a.run);
    const sizeB = uploads.enqueue({ place, fingerprint: "2" }, b.run);
    const sizeC = uploads.enqueue({ place, fingerprint: "3" }, c.run);
    await until(() => a.seen.length === 1);
    a.finish(false);
    await expect(sizeA).rejects.toThrow("a failed");
    await until(() => b.seen.length === 1);
    b.finish(true);
    expect(await sizeB).toBe(2);
    await until(() => c.seen.length === 1);
    c.finish(true);
    expect(await sizeC).toBe(3);
    expect([a.seen, b.seen, c.seen]).toEqual([[[]], [["a"]], [["a", "bb"]]]);
  });

  it("shares the outcome of the newest upload of the same trees to the same place, and forgets a failed one", async () => {
    const uploads = new ArchiveUploads();
    const place = "/blobs/k";
    expect(uploads.same({ place, fingerprint: "1" })).toBeNull();
    const one = uploads.enqueue({ place, fingerprint: "1" }, async () => 7);
    expect(await uploads.same({ place, fingerprint: "1" })).toBe(7);
    await one;
    expect(uploads.same({ place: "/blobs/other", fingerprint: "1" })).toBeNull();
    expect(uploads.same({ place, fingerprint: "2" })).toBeNull();
    // A newer upload replaces what the blob will hold; a failed one leaves it unknown.
    const two = uploads.enqueue({ place, fingerprint: "2" }, async () => {
      throw new Error("refused");
    });
    expect(uploads.same({ place, fingerprint: "1" })).toBeNull();
    await expect(two).rejects.toThrow("refused");
    await until(() => uploads.same({ place, fingerprint: "2" }) === null);
    expect(uploads.same({ place, fingerprint: "1" })).toBeNull();
  });
});

/** Yields to the event loop until `check` holds. */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
