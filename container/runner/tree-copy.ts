// Copies directory trees in-process, keeping each entry's mode and times: a checkpoint's copy of
// Claude Code's conversation (workspace-archive.ts). The copy is taken before the next prompt may
// reach Claude Code, which appends to the conversation as soon as it reads one, so tar can pack it
// afterwards, in the background, as it was when the turn ended; the times are kept so that a copy
// of an unchanged conversation fingerprints the same as the last one (tree-fingerprint.ts) and
// tar records what it would have recorded from the original.
import { chmod, copyFile, lstat, lutimes, mkdir, readdir, readlink, symlink, utimes } from "node:fs/promises";
import path from "node:path";

/**
 * Copies each of `rels` (paths relative to `from`) to the same relative path under `to`: files,
 * directories and symbolic links (the link itself, its target untouched); other kinds of entry
 * (sockets, fifos) are left out. `to` must not hold them yet.
 */
export async function copyTrees(from: string, rels: readonly string[], to: string): Promise<void> {
  for (const rel of rels) {
    await mkdir(path.dirname(path.join(to, rel)), { recursive: true });
    await copyEntry(path.join(from, rel), path.join(to, rel));
  }
}

async function copyEntry(source: string, target: string): Promise<void> {
  const info = await lstat(source);
  if (info.isSymbolicLink()) {
    await symlink(await readlink(source), target);
    await lutimes(target, info.atime, info.mtime);
    return;
  }
  if (info.isFile()) {
    await copyFile(source, target);
  } else if (info.isDirectory()) {
    await mkdir(target);
    for (const name of await readdir(source)) await copyEntry(path.join(source, name), path.join(target, name));
  } else {
    return;
  }
  // After the children: adding them changed the directory's own mtime.
  await chmod(target, info.mode & 0o7777);
  await utimes(target, info.atime, info.mtime);
}
