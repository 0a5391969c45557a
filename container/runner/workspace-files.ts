// The workspace boundary on disk: what the platform may read from or write into the sandbox.
// Paths arrive relative to the workspace; symlinks are resolved with realpath and anything that
// ends up outside the workspace is refused, so an agent's `ln -s /etc x` cannot be downloaded
// through `x`, and an upload cannot be steered out through a symlinked directory.
import { constants } from "node:fs";
import { mkdir, open, realpath, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { MAX_FILE_BYTES, workspaceSegments } from "../../schemas/files.ts";
import type { FileFailureReason } from "../../schemas/runner.ts";

/** A transfer failure with the reason the platform maps to a status. */
export class TransferError extends Error {
  readonly reason: FileFailureReason;

  constructor(reason: FileFailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** True when `candidate` (a real path) is strictly inside `root` (a real path). */
function inside(root: string, candidate: string): boolean {
  return candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

function segmentsOf(relPath: string): string[] {
  const segments = workspaceSegments(relPath);
  if (!segments) throw new TransferError("outside_workspace", `${relPath} is not a path inside the workspace`);
  return segments;
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | null)?.code;
}

/** A workspace file opened for reading, with its size. */
export type OpenedFile = { handle: FileHandle; size: number; relPath: string };

/** Opens the workspace file at `relPath` for reading, refusing anything that resolves outside the workspace. */
export async function openWorkspaceFile(workspaceDir: string, relPath: string): Promise<OpenedFile> {
  const segments = segmentsOf(relPath);
  const root = await realpath(workspaceDir);
  let real: string;
  try {
    real = await realpath(path.join(root, ...segments));
  } catch (error) {
    const code = codeOf(error);
    if (code === "ENOENT" || code === "ENOTDIR") throw new TransferError("not_found", `${relPath} does not exist in the workspace`);
    if (code === "ELOOP") throw new TransferError("outside_workspace", `${relPath} is a symlink loop`);
    throw error;
  }
  if (!inside(root, real)) throw new TransferError("outside_workspace", `${relPath} resolves outside the workspace`);
  let handle: FileHandle;
  try {
    // O_NOFOLLOW: a symlink swapped in after realpath is refused. O_NONBLOCK: a FIFO cannot hang us.
    handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = codeOf(error);
    if (code === "ENOENT") throw new TransferError("not_found", `${relPath} does not exist in the workspace`);
    if (code === "ELOOP") throw new TransferError("outside_workspace", `${relPath} changed into a symlink`);
    if (code === "EACCES" || code === "EPERM") throw new TransferError("io_error", `${relPath} is not readable`);
    throw error;
  }
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw new TransferError("not_a_file", `${relPath} is ${info.isDirectory() ? "a directory" : "not a regular file"}`);
  }
  if (info.size > MAX_FILE_BYTES) {
    await handle.close();
    throw new TransferError("too_large", `${relPath} has ${info.size} bytes; files are limited to ${MAX_FILE_BYTES} bytes`);
  }
  return { handle, size: info.size, relPath: segments.join("/") };
}

/** Where a file for `relPath` will be written: its real directory (created inside the workspace) and final path. */
export type WriteTarget = { dir: string; target: string; relPath: string };

/**
 * Creates the directories of `relPath` one by one, checking each resolves inside the workspace
 * before going deeper, so nothing is ever created outside it.
 */
export async function prepareWorkspaceTarget(workspaceDir: string, relPath: string): Promise<WriteTarget> {
  const segments = segmentsOf(relPath);
  const root = await realpath(workspaceDir);
  let dir = root;
  for (const segment of segments.slice(0, -1)) {
    const next = path.join(dir, segment);
    try {
      await mkdir(next);
    } catch (error) {
      if (codeOf(error) !== "EEXIST")
        throw new TransferError("io_error", `cannot create ${segment}/ in the workspace: ${(error as Error).message}`);
    }
    try {
      dir = await realpath(next);
    } catch {
      throw new TransferError("outside_workspace", `${segment} is a dangling symlink`);
    }
    if (!inside(root, dir)) throw new TransferError("outside_workspace", `${segment} resolves outside the workspace`);
    if (!(await stat(dir)).isDirectory()) throw new TransferError("io_error", `${segment} is not a directory`);
  }
  return { dir, target: path.join(dir, segments.at(-1)!), relPath: segments.join("/") };
}
