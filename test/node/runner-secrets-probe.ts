// What a hostile agent would try to learn the runner token: a Bash command (run by the real
// Claude Code through the scripted model server) that walks up its process ancestry via
// /proc/<pid>/stat to the runner, copying each ancestor's initial environment, plus helpers
// to read what it wrote and to scan a directory tree for a secret.
import { existsSync, readFileSync } from "node:fs";
import { lstat, readdir, readFile } from "node:fs/promises";
import path from "node:path";
import type { FakePlatform } from "./runner-harness.ts";

/**
 * The agent's command. From its own shell up to (and including) the first process whose command
 * line names the runner's entry point, it writes `ancestors.txt` (`pid signal-ok? cmdline` lines)
 * and `environ.<pid>.txt` (that process's /proc environ, or DENIED); then `env.txt`, `home.txt`
 * (`ls -la $HOME`) and `id.txt`. No single quotes: it goes into a '...' directive argument.
 * The `mai[n]` glob keeps the shell running this very command (its argv holds the text) from
 * matching itself.
 */
export const PROBE_COMMAND = String.raw`p=$$; : > ancestors.txt; while [ "$p" -gt 1 ]; do c=$(tr "\0" " " < /proc/$p/cmdline); if kill -0 $p 2>/dev/null; then s=yes; else s=no; fi; echo "$p $s $c" >> ancestors.txt; cat /proc/$p/environ > environ.$p.txt 2>/dev/null || echo DENIED > environ.$p.txt; case "$c" in *runner/mai[n].ts*) break;; esac; p=$(sed "s/.*) //" /proc/$p/stat | cut -d" " -f2); done; env > env.txt; ls -la $HOME > home.txt; id > id.txt`;

/** The prompt that makes the scripted model run PROBE_COMMAND. */
export const PROBE_PROMPT = `[[scenario:bash command='${PROBE_COMMAND}']]`;

/** One ancestor the probe saw. */
export type Ancestor = { pid: number; canSignal: boolean; cmdline: string; environ: string };

/** The ancestors recorded by the probe in `workspace`, nearest first. */
export function readAncestors(workspace: string): Ancestor[] {
  return readFileSync(path.join(workspace, "ancestors.txt"), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [pid, signal, ...cmd] = line.split(" ");
      const environFile = path.join(workspace, `environ.${pid}.txt`);
      return {
        pid: Number(pid),
        canSignal: signal === "yes",
        cmdline: cmd.join(" ").trim(),
        environ: existsSync(environFile) ? readFileSync(environFile, "utf8") : "",
      };
    });
}

/** Relative paths of the regular files under `root` whose content includes `needle`. */
export async function filesContaining(root: string, needle: string): Promise<string[]> {
  const hits: string[] = [];
  for (const rel of await readdir(root, { recursive: true })) {
    const full = path.join(root, rel);
    const info = await lstat(full).catch(() => undefined); // a temporary file may be gone already
    if (!info?.isFile() || info.size > 50 * 1024 * 1024) continue;
    const content = await readFile(full).catch(() => undefined);
    if (content?.includes(needle)) hits.push(rel);
  }
  return hits;
}

/** Sends a prompt and waits for its turn to end (turn_state running, then idle). */
export async function runTurn(platform: FakePlatform, promptId: string, text: string, timeoutMs = 45_000): Promise<void> {
  const from = platform.frames.length;
  platform.send({ type: "prompt", prompt_id: promptId, text });
  await platform.waitFor(
    "turn end",
    () => {
      const start = platform.frames.findIndex((f, i) => i >= from && f.type === "turn_state" && f.state === "running");
      return start >= 0 && platform.frames.some((f, i) => i > start && f.type === "turn_state" && f.state === "idle");
    },
    timeoutMs,
  );
}
