// Copies directory trees in-process, keeping each entry's mode and times: a checkpoint's copy of
// Claude Code's conversation (workspace-archive.ts). The copy is taken before the next prompt may
// reach Claude Code, which appends to the conversation as soon as it reads one, so tar can pack it
// afterwards, in the background, as it was when the turn ended; the times are kept so that a copy
// of an unchanged conversation fingerprints the same as the last one (tree-fingerprint.ts) and
// tar records what it would have recorded from the original. Synchronous on purpose: a
// conversation is a few small files, and on a busy machine each trip through libuv's thread pool
// costs a scheduling delay (an async copy of a 2-file conversation took 17–126 ms at load 7,
// slower than starting tar), while the same system calls made in a row take about a millisecond.
import { chmodSync, copyFileSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, symlinkSync, utimesSync } from "node:fs";
import path from "node:path";

/**
 * Copies each of `rels` (paths relative to `from`) to the same relative path under `to`: files,
 * directories and symbolic links (the link itself, its target untouched); other kinds of entry
 * (sockets, fifos) are left out. `to` must not hold them yet.
 */
export function copyTrees(from: string, rels: readonly string[], to: string): void {
  for (const rel of rels) {
    mkdirSync(path.dirname(path.join(to, rel)), { recursive: true });
    copyEntry(path.join(from, rel), path.join(to, rel));
  }
}

function copyEntry(source: string, target: string): void {
  const info = lstatSync(source);
  if (info.isSymbolicLink()) {
    symlinkSync(readlinkSync(source), target);
    lutimesSync(target, info.atime, info.mtime);
    return;
  }
  if (info.isFile()) {
    copyFileSync(source, target);
  } else if (info.isDirectory()) {
    mkdirSync(target);
    for (const name of readdirSync(source)) copyEntry(path.join(source, name), path.join(target, name));
  } else {
    return;
  }
  // After the children: adding them changed the directory's own mtime.
  chmodSync(target, info.mode & 0o7777);
  utimesSync(target, info.atime, info.mtime);
}
