/** `files upload` / `files download`: move files in and out of a session's workspace, with a progress bar. */
import { createWriteStream, openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { expectPositionals, stringOption, UsageError } from "../args.ts";
import type { Command } from "../command.ts";
import { formatBytes, ProgressBar } from "../progress-bar.ts";

/** Size of a local file, or a usage error naming what is wrong with it. */
async function localFile(file: string): Promise<number> {
  const info = await stat(file).catch(() => null);
  if (!info) throw new UsageError(`no such file: ${file}`);
  if (!info.isFile()) throw new UsageError(`not a regular file: ${file}`);
  return info.size;
}

const upload: Command = {
  path: ["files", "upload"],
  args: "<session> <local> [--name NAME] [--type CONTENT-TYPE]",
  summary: "Upload a local file into the session's /workspace/uploads/.",
  options: { name: { type: "string" }, type: { type: "string" } },
  json: true,
  async run(ctx, { values, positionals }) {
    const [sessionId, local] = expectPositionals(positionals, ["session", "local"]);
    const size = await localFile(local!);
    const filename = stringOption(values, "name") ?? path.basename(local!);
    const bar = new ProgressBar(ctx.io.stderr, `↑ ${filename}`);
    // openAsBlob reads the file lazily, so it streams from disk instead of being loaded whole.
    const blob = await openAsBlob(local!);
    const type = stringOption(values, "type");
    try {
      const done = await ctx.client.files.upload(sessionId!, blob, {
        filename,
        size,
        ...(type ? { contentType: type } : {}),
        onProgress: (p) => bar.update(p),
      });
      bar.finish();
      ctx.out.result({ ...done, size }, () => `Uploaded ${filename} (${formatBytes(size)}) to ${done.path}`);
    } finally {
      bar.finish();
    }
  },
};

const download: Command = {
  path: ["files", "download"],
  args: "<session> <remote> <local>",
  summary: "Download a workspace file (absolute under /workspace or relative to it) to a local path or directory.",
  json: true,
  async run(ctx, { positionals }) {
    const [sessionId, remote, local] = expectPositionals(positionals, ["session", "remote", "local"]);
    const isDirectory = (await stat(local!).catch(() => null))?.isDirectory() ?? false;
    const target = isDirectory ? path.join(local!, path.posix.basename(remote!)) : local!;
    const bar = new ProgressBar(ctx.io.stderr, `↓ ${path.posix.basename(remote!)}`);
    try {
      const { ticket, body } = await ctx.client.files.download(sessionId!, remote!, { onProgress: (p) => bar.update(p) });
      await pipeline(Readable.fromWeb(body as NodeReadableStream<Uint8Array>), createWriteStream(target));
      bar.finish();
      ctx.out.result({ remote, path: target, size: ticket.size }, () => `Downloaded ${remote} (${formatBytes(ticket.size)}) to ${target}`);
    } finally {
      bar.finish();
    }
  },
};

/** The `files` commands. */
export const fileCommands: Command[] = [upload, download];
