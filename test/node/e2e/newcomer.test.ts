/**
 * A newcomer's first run, scripted (issue 14): a fresh `git clone` of the repository, the README's
 * start command, a demo session created and prompted over the WebSocket as the README shows, and
 * the report the demo agent writes downloaded by the path its transcript shows.
 *
 * Offline: the clone gets this checkout's installed node_modules as hard links (never a symlink:
 * an install in the clone would empty the original through it) instead of downloading them, its
 * lockfile is dated before the installed one so the start command's dependency check finds them
 * current, and npm is told to stay offline (that check's first-run install is not exercised here).
 */
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { freePort } from "../../../scripts/local-platform.ts";
import { Client, api, hasResult } from "./platform-harness.ts";

const repo = path.resolve(import.meta.dirname, "../../..");
let clone: string | undefined;
let start: ChildProcess | undefined;

afterAll(async () => {
  if (start?.pid && start.exitCode === null) {
    const exited = new Promise((resolve) => start!.once("exit", resolve));
    process.kill(-start.pid, "SIGINT"); // Ctrl+C, as the banner says
    const timer = setTimeout(() => process.kill(-start!.pid!, "SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
  }
  if (clone) rmSync(clone, { recursive: true, force: true });
}, 60_000);

/** The README's start command: the first `npm start` line of its first shell block. */
function readmeStartCommand(readme: string): string[] {
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const line = block.split("\n").find((l) => l.trim().startsWith("npm start"));
  if (!line) throw new Error("the README shows no `npm start` command");
  return line.replace(/#.*$/, "").trim().split(/\s+/);
}

describe("a newcomer's first run", () => {
  it("fresh clone → the README's start command → a demo session over the WebSocket → the report downloaded by its transcript path", async () => {
    clone = mkdtempSync(path.join(os.tmpdir(), "ai-sessions-newcomer-"));
    execFileSync("git", ["clone", "--quiet", repo, clone]);
    execFileSync("cp", ["-al", path.join(repo, "node_modules"), path.join(clone, "node_modules")]);
    const installed = statSync(path.join(clone, "node_modules", ".package-lock.json")).mtime;
    const before = new Date(installed.getTime() - 60_000);
    utimesSync(path.join(clone, "package-lock.json"), before, before);

    const [command, ...args] = readmeStartCommand(readFileSync(path.join(clone, "README.md"), "utf8"));
    expect([command, ...args]).toEqual(["npm", "start"]);
    const port = await freePort(); // the README's default port may be taken on a shared machine: PORT picks another
    start = spawn(command!, args, {
      cwd: clone,
      env: { ...process.env, PORT: String(port), npm_config_offline: "true" },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    start.stdout!.on("data", (chunk) => (out += chunk));
    start.stderr!.on("data", (chunk) => (out += chunk));
    const deadline = Date.now() + 150_000;
    while (!/export TOKEN=(\S+)/.test(out)) {
      if (start.exitCode !== null) throw new Error(`npm start exited (${start.exitCode}):\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`npm start never said it was running:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const base = /AI Sessions is running at (\S+)/.exec(out)?.[1];
    expect(base).toBe(`http://127.0.0.1:${port}`);
    const token = /export TOKEN=(\S+)/.exec(out)![1]!;

    // The README's session: bypassPermissions, then a prompt over the WebSocket.
    const created = await api(base!, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.session.id;
    const client = await Client.connect(base!, token, id);
    client.send({ type: "prompt", payload: { text: "Look around" } });
    await client.until(hasResult(), "the demo turn", 90_000);
    const events = client.stored();
    expect(events.find((x) => x.type === "result")?.payload.success).toBe(true);

    // The report, by the path the transcript shows.
    const write = events.find((x) => x.type === "tool_use" && x.payload.name === "Write");
    const shown: string = write?.payload.input.file_path;
    expect(shown).toMatch(/report\.md$/);
    const ticket = await api(base!, token, "POST", `/v1/io/sessions/${id}/download`, { path: shown });
    expect(ticket.status, JSON.stringify(ticket.body)).toBe(200);
    const report = await fetch(ticket.body.download_url);
    expect(report.status).toBe(200);
    const text = await report.text();
    expect(text).toContain("Written by the offline demo model");
    expect(text).toBe(write.payload.input.content);
    client.close();
  }, 240_000);
});
