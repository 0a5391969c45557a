/** Running the project's CLI (cli/main.ts) as a child process against an end-to-end platform. */
import { execFile } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../../..");
/** The CLI's entry point. */
export const CLI = path.join(ROOT, "cli", "main.ts");

/** What one CLI run printed, and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion with `token` against `baseUrl`; `input` is its stdin. */
export function runCli(baseUrl: string, token: string, args: string[], input?: string): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env: { ...process.env, AI_SESSIONS_URL: baseUrl, AI_SESSIONS_TOKEN: token, NO_COLOR: "1" } },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input ?? "");
  });
}
