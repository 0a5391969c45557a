// Compressing an archive's snapshot after the fact. A checkpoint's snapshot is an uncompressed
// tar: reading the trees is all that must happen while the next prompt waits, and gzip at its
// default level took ~9× as long as the read itself (35 MB of source: 1.1 s against 0.12 s on
// the build machine). The tar.gz the platform stores is made from it here, in the background,
// at gzip's default level (the same archives as before: restores read them unchanged).
import { constants, createReadStream, createWriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

/**
 * Gzips the tar at `from` into a new file `to`. `from` was written by the agent's tar in a
 * directory the agent can write: it is opened without following a link put in its place.
 */
export async function gzipFile(from: string, to: string): Promise<void> {
  const source = await open(from, constants.O_RDONLY | constants.O_NOFOLLOW);
  const input = createReadStream("", { fd: source });
  await pipeline(input, createGzip(), createWriteStream(to, { flags: "wx", mode: 0o600 }));
}
