// WorkspaceArchive: the runner's half of hibernation. `archive` packs the workspace and Claude
// Code's conversation store for it (<config dir>/projects/<encoded cwd>/, where `--resume` looks)
// into one tar.gz and PUTs it to a signed URL; `restore` downloads such an archive and unpacks it
// back.
//
// An archive fixes its snapshot before the runner reads the platform's next frame (the next
// prompt may come right behind it), and packs it after, off the prompt path. First it copies the
// conversation, synchronously and in-process, into a staging directory of its own (Claude Code
// appends to it as soon as it reads a prompt) and reports `archive_packed`.
// Then, once the next turn's first answer came (`idle`) and after any earlier snapshot, tar reads
// the workspace and that copy into an uncompressed file; meanwhile every tool call waits
// (`snapshotsTaken`, permission-relay.ts), so the workspace is still the turn's as it ended: a
// scratch run with inotifywait saw Claude Code write nothing there between a prompt and its first
// tool call's PreToolUse hook. The file is gzipped and uploaded after (archive-compress.ts;
// archive-uploads.ts keeps the uploads in order). The system `tar` does the work: packing to a
// temporary file, so the upload knows its length (the platform needs a Content-Length); unpacking
// as the download streams in (archive-unpack.ts). The archive is never held in memory.
//
// Archive layout: `workspace/...` (the workspace's content) and `claude/projects/<encoded cwd>/...`.
// A restore puts the conversation under the restoring workspace's own encoded name, whatever
// directory the archive was made in, so a fork (another session's sandbox) resumes it too.
import { existsSync, realpathSync } from "node:fs";
import { lstat, mkdir, open, readdir, realpath, rm, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { ArchivePackedFrame, ArchiveResultFrame, PlatformToRunner } from "../../schemas/runner.ts";
import type { AgentUser } from "./agent-user.ts";
import { gzipFile } from "./archive-compress.ts";
import { ArchiveUploads } from "./archive-uploads.ts";
import { mergeInto, STAGING_PREFIX, unpackStaged } from "./archive-unpack.ts";
import { openDownload, uploadFrom } from "./http-transfer.ts";
import type { Logger } from "./log.ts";
import { startTar } from "./tar-process.ts";
import { copyTrees } from "./tree-copy.ts";
import { treeFingerprint } from "./tree-fingerprint.ts";

export type ArchiveRequest = Extract<PlatformToRunner, { type: "archive" | "restore" }>;

export type WorkspaceArchiveOptions = {
  workspaceDir: string;
  /** Claude Code's config dir (CLAUDE_CONFIG_DIR, else ~/.claude of the agent's HOME). */
  claudeConfigDir: string;
  /** Where the archive file is staged. */
  tmpDir: string;
  /** Who runs tar (and the gzip it starts): the agent, when the runner is root (AGENT_UID). */
  agentUser?: AgentUser | undefined;
  /** Resolves when background work may run: not while a turn is starting (turn-start.ts). */
  idle?: () => Promise<void>;
  /** Longest a snapshot's tar may run before it is stopped (tool calls wait for it); SNAPSHOT_TIMEOUT_MS unless a test says. */
  snapshotTimeoutMs?: number;
  /** Sends a frame now; false when the channel is down (it is resent by `resync`). */
  send(frame: ArchiveFrameOut): boolean;
  log: Logger;
};

/** What the archiver tells the platform: a snapshot taken, a step's outcome. */
export type ArchiveFrameOut = ArchivePackedFrame | ArchiveResultFrame;

/** Longest an archive or restore transfer may take. */
const TRANSFER_TIMEOUT_MS = 10 * 60_000;
const MAX_ERROR_CHARS = 2_000;
/**
 * Longest a snapshot's tar may read the trees. The next turn's tool calls wait for it, so a tar
 * that hangs (a stuck mount) is stopped and the checkpoint fails rather than the session; the
 * same bound the platform once gave the prompt that waited for it (HIBERNATION_STEP_TIMEOUT_MS).
 */
const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;

/** Claude Code's directory name for a working directory: every character but [A-Za-z0-9] becomes '-'. */
export function encodeProjectDir(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, "-");
}

/** Claude Code's config dir as the agent sees it. */
export function claudeConfigDirOf(agentEnv: Record<string, string>): string {
  return agentEnv["CLAUDE_CONFIG_DIR"] || path.join(agentEnv["HOME"] || os.homedir(), ".claude");
}

/** Where a signed URL points (its path names the blob; the query only signs it). */
function placeOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

/** Runs archives and restores, one at a time per transfer id. */
export class WorkspaceArchive {
  #opts: WorkspaceArchiveOptions;
  #running = new Set<string>();
  #unsent: ArchiveFrameOut[] = [];
  /** Archive uploads, one at a time and in order; an archive of unchanged trees to the same place is not made again. */
  #uploads = new ArchiveUploads();
  /** The end of the chain of snapshots (fingerprint and tar), taken one at a time in the order their archives came. */
  #snapshots: Promise<void> = Promise.resolve();
  /** How many of them are not taken yet. */
  #snapshotting = 0;

  constructor(opts: WorkspaceArchiveOptions) {
    this.#opts = opts;
  }

  /**
   * Starts `frame` in the background; its `archive_result` follows. An archive's conversation is
   * copied and its snapshot counted (`snapshotsTaken`) before this returns: nothing before the
   * copy awaits, so a prompt the platform sends right behind the `archive` cannot reach Claude
   * Code first (the hello's `snapshot_on_receipt` promises it).
   */
  handle(frame: ArchiveRequest): void {
    if (this.#running.has(frame.transfer_id)) return;
    this.#running.add(frame.transfer_id);
    void this.#run(frame).finally(() => this.#running.delete(frame.transfer_id));
  }

  /**
   * Resolves once every snapshot begun so far is taken (or failed); undefined when none is under
   * way. Until then tar may still be reading the workspace: the next turn's tool calls, and
   * anything else that writes there, wait.
   */
  snapshotsTaken(): Promise<void> | undefined {
    return this.#snapshotting > 0 ? this.#snapshots : undefined;
  }

  /** Resends results that could not be sent while the channel was down. */
  resync(): void {
    for (const result of this.#unsent.splice(0)) this.#report(result);
  }

  async #run(frame: ArchiveRequest): Promise<void> {
    const { log } = this.#opts;
    const started = Date.now();
    const file = path.join(this.#opts.tmpDir, `archive-${frame.transfer_id}.tar.gz`);
    try {
      const packed = () => this.#report({ type: "archive_packed", transfer_id: frame.transfer_id });
      const staging = path.join(this.#opts.tmpDir, `conversation-${frame.transfer_id}`);
      const size =
        frame.type === "archive" ? await this.#archive(frame.url, file, staging, packed) : await this.#restore(frame.url, frame.size, file);
      log.info(`${frame.type} done`, { transfer_id: frame.transfer_id, bytes: size, ms: Date.now() - started });
      this.#report({ type: "archive_result", transfer_id: frame.transfer_id, op: frame.type, ok: true, size });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      log.warn(`${frame.type} failed`, { transfer_id: frame.transfer_id, error: message });
      this.#report({
        type: "archive_result",
        transfer_id: frame.transfer_id,
        op: frame.type,
        ok: false,
        error: message.slice(0, MAX_ERROR_CHARS),
      });
    } finally {
      await rm(file, { force: true }).catch(() => undefined);
    }
  }

  /** The conversation store of the workspace (relative to the config dir), when it exists; synchronous, as the copy (tree-copy.ts). */
  #conversationDirsNow(): string[] {
    const { workspaceDir, claudeConfigDir } = this.#opts;
    let real = workspaceDir;
    try {
      real = realpathSync(workspaceDir);
    } catch {}
    const names = new Set([encodeProjectDir(workspaceDir), encodeProjectDir(real)]);
    return [...names].map((name) => path.join("projects", name)).filter((rel) => existsSync(path.join(claudeConfigDir, rel)));
  }

  /**
   * Copies the conversation into `staging` (in-process: no tar to start) and calls `packed`; then,
   * after any snapshot still under way, fingerprints the workspace and that copy and packs them
   * into `file` (archive-compress.ts and the upload follow, after any upload still under way).
   * Trees unchanged since the newest upload to the same place are that upload's: nothing is
   * packed, and its outcome is this archive's. Tool calls wait for the snapshot (`snapshotsTaken`).
   */
  async #archive(url: string, file: string, staging: string, packed: () => void): Promise<number> {
    let conversations: string[];
    try {
      conversations = this.#conversationDirsNow();
      copyTrees(this.#opts.claudeConfigDir, conversations, staging);
    } catch (error) {
      await rm(staging, { recursive: true, force: true });
      throw error;
    }
    this.#snapshotting++;
    const taken = this.#snapshots.then(() => this.#snapshot(url, file, staging, conversations));
    this.#snapshots = taken.then(
      () => void this.#snapshotting--,
      () => void this.#snapshotting--,
    );
    packed();
    const { size } = await taken;
    return size;
  }

  /** Fingerprints and packs the workspace and the staged conversation; `size` settles once the archive is stored. */
  async #snapshot(url: string, file: string, staging: string, conversations: string[]): Promise<{ size: Promise<number> }> {
    const { workspaceDir, log } = this.#opts;
    const snapshot = file.replace(/\.gz$/, "");
    try {
      // Not while the next turn starts: tar competes with Claude Code for the CPU, and no tool
      // call of that turn can come before its first answer anyway (they wait for this snapshot).
      await this.#opts.idle?.();
      // Named, not by path: the staging directory is new for every archive.
      const roots = [
        { name: "workspace", dir: workspaceDir },
        ...conversations.map((rel) => ({ name: rel, dir: path.join(staging, rel) })),
      ];
      const copy = { place: placeOf(url), fingerprint: await treeFingerprint(roots) };
      const same = this.#uploads.same(copy);
      if (same) {
        log.info("archive unchanged: not packed or uploaded again");
        return { size: same };
      }
      const started = Date.now();
      await this.#pack(snapshot, staging, conversations).catch(async (error: unknown) => {
        await rm(snapshot, { force: true });
        throw error;
      });
      log.info("archive packed", { ms: Date.now() - started });
      // Queued at once, so uploads keep the packing order even when an earlier archive's gzip
      // finishes later (it waits for its next turn's first answer; a newer one may not).
      const size = this.#uploads.enqueue(copy, async () => {
        try {
          await this.#opts.idle?.();
          await gzipFile(snapshot, file);
        } finally {
          await rm(snapshot, { force: true });
        }
        return this.#upload(url, file);
      });
      return { size };
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /** The snapshot: tar reads the workspace and the staged conversation into `snapshot` (uncompressed: archive-compress.ts). */
  async #pack(snapshot: string, staging: string, conversations: string[]): Promise<void> {
    const { workspaceDir } = this.#opts;
    const args = [
      "-cf",
      snapshot,
      // Member names: ./x → workspace/x, projects/... → claude/projects/... (symlink targets untouched).
      "--transform",
      "s,^\\.,workspace,S",
      "--transform",
      "s,^projects/,claude/projects/,S",
      // What an interrupted restore left (archive-unpack.ts) is not the workspace's.
      "--anchored",
      `--exclude=./${STAGING_PREFIX}*`,
      "--no-anchored",
      "-C",
      workspaceDir,
      ".",
    ];
    if (conversations.length > 0) args.push("-C", staging, ...conversations);
    // GNU tar exits 1 when a file changed while it was read: still a usable archive.
    const tar = startTar(args, this.#opts.agentUser, [0, 1]);
    const timer = setTimeout(() => tar.kill(), this.#opts.snapshotTimeoutMs ?? SNAPSHOT_TIMEOUT_MS);
    try {
      await tar.done;
    } finally {
      clearTimeout(timer);
    }
  }

  /** PUTs the packed `file` to `url`; resolves to its size. */
  async #upload(url: string, file: string): Promise<number> {
    const handle = await open(file, "r");
    try {
      const { size } = await handle.stat();
      await uploadFrom(url, handle, size, TRANSFER_TIMEOUT_MS);
      return size;
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async #restore(url: string, size: number, file: string): Promise<number> {
    const { workspaceDir, claudeConfigDir, agentUser, log } = this.#opts;
    await mkdir(workspaceDir, { recursive: true });
    // Unpacked as it downloads, into staging (archive-unpack.ts); nothing moves into place unless
    // all of it arrived and unpacked. The conversation is then moved under the name of this
    // workspace: an archive made in another directory (a fork's source ran in its own sandbox)
    // would otherwise be where `--resume` never looks.
    const started = Date.now();
    const body = await openDownload(url, size, TRANSFER_TIMEOUT_MS);
    const staged = await unpackStaged(body, { workspaceDir, claudeConfigDir, agentUser, name: path.basename(file, ".tar.gz") });
    const unpacked = Date.now();
    try {
      await staged.moveWorkspaceIn();
      await this.#rehome(staged.projects);
    } finally {
      await staged.discard();
    }
    log.info("restore unpacked", { download_and_unpack_ms: unpacked - started, move_ms: Date.now() - unpacked });
    // Not remembered as the last archive: files that were here before the restore are on disk
    // but not in the blob, so the next checkpoint must upload.
    return size;
  }

  /** Moves every project dir unpacked under `unpacked` into this workspace's project dir, merging. */
  async #rehome(unpacked: string): Promise<void> {
    const { workspaceDir, claudeConfigDir } = this.#opts;
    const names = await readdir(unpacked).catch(() => [] as string[]);
    if (names.length === 0) return;
    const real = await realpath(workspaceDir).catch(() => workspaceDir);
    const target = path.join(claudeConfigDir, "projects", encodeProjectDir(real));
    await mkdir(path.dirname(target), { recursive: true });
    for (const name of names) {
      // A link is the alias a previous restore made (below): its directory is in the archive too.
      if ((await lstat(path.join(unpacked, name))).isSymbolicLink()) continue;
      await mergeInto(path.join(unpacked, name), target);
    }
    // Claude Code may name the workspace by the path it was given rather than the resolved one.
    const given = path.join(claudeConfigDir, "projects", encodeProjectDir(workspaceDir));
    if (given !== target && !existsSync(given)) await symlink(target, given);
  }

  #report(frame: ArchiveFrameOut): void {
    if (!this.#opts.send(frame)) this.#unsent.push(frame);
  }
}
