// Unpacking a workspace archive while it downloads (a wake's restore, workspace-archive.ts): the
// HTTP body is decompressed once, in this process (zlib, off the main thread), into one `tar -x`
// that puts the `workspace` part and the `claude` part (archive layout in workspace-archive.ts)
// each in its place. Before, the archive went to a temporary file first, then two tars each
// decompressed all of it: the download, then two decompressions competing for the CPU.
//
// Both parts land in staging directories (the workspace's inside the workspace, so its entries
// move into place by rename, on the same filesystem) and are moved into place only once the
// whole archive arrived, had exactly the announced length, and tar succeeded. A short,
// broken-off or corrupt download leaves the workspace as it was before the restore (in a new
// sandbox: empty), as the session's "continuing with a fresh workspace" says.
import { chmod, lstat, mkdir, readdir, rename, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { type Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import type { AgentUser } from "./agent-user.ts";
import { startTar } from "./tar-process.ts";
import { TransferError } from "./workspace-files.ts";

/**
 * How staging directories begin. A runner killed mid-restore leaves one behind in the workspace:
 * packing skips such names at the workspace's top (workspace-archive.ts) and the next restore
 * removes them (restores run one at a time per sandbox: the session asks for one per wake).
 */
export const STAGING_PREFIX = ".ai-sessions-restore-";

/**
 * Output chunk of the gunzip. zlib's default (16 KB) made one thread-pool round trip per 16 KB:
 * about 0.2 s more CPU for a 50 MB archive in a runner's first restore on the development machine.
 */
const GUNZIP_CHUNK_BYTES = 256 * 1024;

/** tar's complaints when the archive has no `claude` part and nothing else went wrong. */
const ONLY_CLAUDE_MISSING = /^(?:tar: claude: Not found in archive\n|tar: Exiting with failure status due to previous errors\n)+$/;

export type UnpackTargets = {
  workspaceDir: string;
  claudeConfigDir: string;
  agentUser?: AgentUser | undefined;
  /** Names the staging directories (unique per restore). */
  name: string;
};

/** An archive unpacked in staging: move the workspace in, take the conversation, then discard. */
export type StagedArchive = {
  /** The unpacked `claude/projects` directory (absent when the archive had no conversation). */
  projects: string;
  /** Moves the unpacked workspace's entries into the workspace, replacing what has their names. */
  moveWorkspaceIn(): Promise<void>;
  /** Removes what is left of the staging directories. */
  discard(): Promise<void>;
};

/**
 * Unpacks the tar.gz `body` into staging. Rejects (with the staging directories removed and the
 * workspace untouched) when the body fails (short, too long, broken off), is not a whole gzip
 * stream, or a tar fails.
 */
export async function unpackStaged(body: Readable, targets: UnpackTargets): Promise<StagedArchive> {
  const { workspaceDir, claudeConfigDir, agentUser, name } = targets;
  await removeStaleStaging(workspaceDir, claudeConfigDir);
  const workspaceStage = path.join(workspaceDir, `${STAGING_PREFIX}${name}`);
  const claudeStage = path.join(claudeConfigDir, `${STAGING_PREFIX}${name}`);
  const discard = () => Promise.all([workspaceStage, claudeStage].map((dir) => forceRemove(dir))).then(() => undefined);
  await mkdir(workspaceStage, { recursive: true });
  await mkdir(claudeStage, { recursive: true }).catch(async (error: unknown) => {
    await discard();
    throw error;
  });
  // One tar for both parts: each `-C` (absolute) applies to the member names after it.
  const tar = startTar(
    ["-xf", "-", "--strip-components=1", "-C", workspaceStage, "workspace", "-C", claudeStage, "claude"],
    agentUser,
    [0],
    // An archive made before any conversation existed has no `claude` part: that alone is fine.
    { stdin: true, tolerated: ONLY_CLAUDE_MISSING },
  );
  const streamed = pipeline(body, createGunzip({ chunkSize: GUNZIP_CHUNK_BYTES }), feeding(tar.stdin!)).catch((error: Error) => {
    tar.kill(); // it would wait for the rest of its input
    // zlib's own words ("unexpected end of file", "incorrect header check") say little alone.
    throw error instanceof TransferError ? error : new Error(`the archive is not a whole tar.gz: ${error.message}`);
  });
  // Both settle: a tar that failed (on garbage from a corrupt archive, say) lets the stream run to
  // its end, whose checks then say what was wrong with the download rather than what tar saw.
  const [stream, untar] = await Promise.allSettled([streamed, tar.done]);
  if (stream.status === "rejected" || untar.status === "rejected") {
    await discard();
    throw stream.status === "rejected" ? stream.reason : (untar as PromiseRejectedResult).reason;
  }
  return {
    projects: path.join(claudeStage, "projects"),
    moveWorkspaceIn: async () => {
      for (const entry of await readdir(workspaceStage)) await mergeInto(path.join(workspaceStage, entry), path.join(workspaceDir, entry));
    },
    discard,
  };
}

/**
 * A sink that writes into `stdin` at its pace until it closes. tar may exit at the archive's end
 * marker without reading the padding after it: the rest of the stream is still read (the gzip
 * check and the length check need all of it), just not written. Whether tar succeeded, its exit
 * code tells.
 */
function feeding(stdin: Writable): Writable {
  stdin.on("error", () => undefined); // EPIPE once tar exited
  const gone = () => stdin.destroyed || stdin.writableEnded;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (gone() || stdin.write(chunk)) return callback();
      const resume = () => {
        stdin.off("drain", resume);
        stdin.off("close", resume);
        callback();
      };
      stdin.on("drain", resume);
      stdin.on("close", resume);
    },
    final(callback) {
      if (!gone()) stdin.end();
      callback();
    },
  });
}

/**
 * Moves `from` to `to`; where both are directories their entries are merged (an entry of `from`
 * replaces a file of the same name). Renames only, so owners and modes stay as unpacked.
 */
export async function mergeInto(from: string, to: string): Promise<void> {
  const existing = await lstat(to).catch(() => null);
  const source = await lstat(from);
  if (existing?.isDirectory() && source.isDirectory()) {
    // A read-only directory (0555, as unpacked) cannot have its entries moved out or in: open it
    // up while merging, then give the result the archive's mode.
    await Promise.all([chmod(from, source.mode | 0o700), chmod(to, existing.mode | 0o700)]);
    for (const name of await readdir(from)) await mergeInto(path.join(from, name), path.join(to, name));
    await rmdir(from);
    await chmod(to, source.mode & 0o7777);
    return;
  }
  if (existing) await forceRemove(to);
  try {
    await rename(from, to);
  } catch (error) {
    // Moving a directory to another parent rewrites its `..`: it must be writable for that.
    if ((error as NodeJS.ErrnoException).code !== "EACCES" || !source.isDirectory()) throw error;
    await chmod(from, source.mode | 0o200);
    await rename(from, to);
    await chmod(to, source.mode & 0o7777);
  }
}

/** Removes `target` and everything under it, read-only directories included. */
/** Removes staging directories an interrupted restore left at the top of `dirs`. */
async function removeStaleStaging(...dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (entry.isDirectory() && entry.name.startsWith(STAGING_PREFIX)) await forceRemove(path.join(dir, entry.name));
    }
  }
}

async function forceRemove(target: string): Promise<void> {
  try {
    await rm(target, { recursive: true, force: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EACCES") throw error;
    await openUp(target);
    await rm(target, { recursive: true, force: true });
  }
}

/** Makes every directory under `dir` writable (not following links). */
async function openUp(dir: string): Promise<void> {
  const stat = await lstat(dir).catch(() => null);
  if (!stat?.isDirectory()) return;
  await chmod(dir, stat.mode | 0o700);
  for (const name of await readdir(dir)) await openUp(path.join(dir, name));
}
