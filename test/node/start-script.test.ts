/**
 * The README's start command and the helper scripts as a newcomer meets them: `--help` prints
 * usage (no stack trace), a mistyped option says what is wrong, and a taken port fails loudly
 * with how to pick another — never a "running" banner for a platform that is not running.
 */
import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

/** Runs a script with the project's Node; resolves with its exit code and output. */
function runScript(script: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, script), ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (out += chunk));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

describe("scripts answer --help and bad options plainly", () => {
  for (const script of ["scripts/dev.ts", "scripts/mint-token.ts", "scripts/org-key.ts", "scripts/build-sandbox-image.ts"]) {
    it(`${script} --help prints usage and exits 0`, async () => {
      const { code, out } = await runScript(script, ["--help"]);
      expect(code).toBe(0);
      expect(out).toMatch(/^Usage: npm (start|run (token|org-key|build:image)) --/);
      expect(out).not.toMatch(STACK_LINE);
    });

    it(`${script} with an unknown option exits 2 with the usage`, async () => {
      const { code, out } = await runScript(script, ["--no-such-option"]);
      expect(code).toBe(2);
      expect(out).toContain("--no-such-option");
      expect(out).toContain("Usage:");
      expect(out).not.toMatch(STACK_LINE);
    });
  }

  it("npm start --sandbox takes process or container only", async () => {
    const { code, out } = await runScript("scripts/dev.ts", ["--sandbox", "vm"]);
    expect(code).toBe(2);
    expect(out).toContain("--sandbox must be process or container");
    expect(out).not.toMatch(STACK_LINE);
  });
});

describe("npm start on a taken port", () => {
  let squatter: Server;
  let port: number;

  beforeAll(async () => {
    squatter = createServer((socket) => socket.end("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"));
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    port = (squatter.address() as { port: number }).port;
  });
  afterAll(() => new Promise<void>((resolve) => squatter.close(() => resolve())));

  it("fails at once, names the port and how to choose another, and never claims to be running", async () => {
    const { code, out } = await runScript("scripts/dev.ts", ["--port", String(port)]);
    expect(code).toBe(1);
    expect(out).toContain(`port ${port} is already in use`);
    expect(out).toContain(`--port ${port + 1}`);
    expect(out).toContain("PORT=");
    expect(out).not.toContain("is running");
    expect(out).not.toMatch(STACK_LINE);
  });

  it("PORT selects the port too", async () => {
    const { code, out } = await runScript("scripts/dev.ts", [], { PORT: String(port) });
    expect(code).toBe(1);
    expect(out).toContain(`port ${port} is already in use`);
  });
});
