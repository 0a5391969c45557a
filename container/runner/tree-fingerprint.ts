// A fingerprint of directory trees: every entry's relative path, type, size, mode and mtime,
// hashed. The runner compares it with the fingerprint of the last archive it uploaded to the same
// place, to skip re-packing and re-uploading a workspace that did not change (a session that goes
// to sleep right after its turn's checkpoint, issue 14). Reading metadata only, it costs a few
// milliseconds where tar, gzip and an upload of the same tree cost seconds. Each root is hashed
// under a name of the caller's, not its path: an archive reads the conversation from a copy in a
// directory of its own (workspace-archive.ts), and equal trees must still fingerprint alike.
import { createHash } from "node:crypto";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";

/** A tree to fingerprint: the directory it is read from, and the name it is hashed under. */
export type FingerprintRoot = { name: string; dir: string };

/**
 * The fingerprint of `roots` (missing roots count as empty; a root that is a symbolic link counts
 * as the link, as tar packs it); equal trees under equal names give equal fingerprints.
 */
export async function treeFingerprint(roots: readonly FingerprintRoot[]): Promise<string> {
  const hash = createHash("sha256");
  for (const { name, dir } of roots) {
    hash.update(`root\0${name}\n`);
    const info = await lstat(dir).catch(() => null);
    if (info?.isSymbolicLink()) hash.update(`link\0${await readlink(dir)}\0${info.mode}\0${info.mtimeMs}\n`);
    else await walk(dir, "", hash);
  }
  return hash.digest("hex");
}

async function walk(root: string, rel: string, hash: ReturnType<typeof createHash>): Promise<void> {
  const names = (await readdir(path.join(root, rel)).catch(() => [] as string[])).sort();
  // One directory's entries are looked at together; they are hashed in name order.
  const children = names.map((name) => (rel ? path.join(rel, name) : name));
  const infos = await Promise.all(children.map((child) => lstat(path.join(root, child)).catch(() => null)));
  for (const [i, child] of children.entries()) {
    const info = infos[i];
    if (!info) continue;
    const type = info.isDirectory() ? "d" : info.isSymbolicLink() ? "l" : "f";
    hash.update(`${child}\0${type}\0${info.size}\0${info.mode}\0${info.mtimeMs}\n`);
    if (type === "d") await walk(root, child, hash);
  }
}
