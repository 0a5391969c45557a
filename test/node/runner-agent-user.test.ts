// The Container's arrangement: the token only in the runner's environment, the runner started as
// root with AGENT_UID/AGENT_GID, Claude Code as that unprivileged user. The agent must not be able
// to read the runner's /proc environ (nor signal it), and what it and the runner write (its own
// temporary files, downloads into the workspace) must belong to it. Needs root (to switch users): skipped otherwise.
import { spawn } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import { claudeBin, cleanupTempDirs, runnerMain, settingsFor, startFakePlatform, tempDir, type FakePlatform } from "./runner-harness.ts";
import { filesContaining, PROBE_PROMPT, readAncestors, runTurn } from "./runner-secrets-probe.ts";

const RUNNER_TOKEN = "runner-token-root-only-4b8e21";
const GATEWAY_TOKEN = "gateway-token-root-only-9c1d77";
// `nobody` on Debian-like systems; any unprivileged id works, a passwd entry is not needed.
const AGENT_ID = 65534;
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)("runner as root, Claude Code as AGENT_UID", () => {
  let model: ModelServer;
  let platform: FakePlatform;

  beforeAll(async () => {
    model = await startModelServer();
  });
  afterAll(async () => {
    await platform?.close();
    await model?.close();
    await cleanupTempDirs();
  });

  it("hides the runner's environment from the agent, and the files are the agent's", async () => {
    const sessionId = "sess_agent_user";
    platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
    const root = await tempDir("agent-user-");
    chmodSync(root, 0o755); // mkdtemp's 0700 would keep the agent out of its own workspace
    const [workspace, home, tmp] = ["workspace", "home", "tmp"].map((name) => path.join(root, name)) as [string, string, string];
    for (const dir of [workspace, home, tmp]) {
      mkdirSync(dir);
      chownSync(dir, AGENT_ID, AGENT_ID);
    }
    // A `tar` first on PATH that notes who runs it (real and effective uid), then runs the real one.
    const bin = path.join(root, "bin");
    const tarIds = path.join(root, "tar-ids.txt");
    mkdirSync(bin);
    writeFileSync(tarIds, "", { mode: 0o666 });
    chmodSync(tarIds, 0o666);
    writeFileSync(path.join(bin, "tar"), `#!/bin/sh\necho "$(id -ru) $(id -u)" >> ${tarIds}\nexec /usr/bin/tar "$@"\n`, { mode: 0o755 });
    const child = spawn(process.execPath, [runnerMain], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
        HOME: home,
        TMPDIR: tmp,
        SESSION_ID: sessionId,
        PLATFORM_URL: platform.url,
        RUNNER_TOKEN, // the Container's only channel
        GATEWAY_TOKEN, // likewise
        GATEWAY_URL: model.url,
        AGENT_UID: String(AGENT_ID),
        AGENT_GID: String(AGENT_ID),
        WORKSPACE_DIR: workspace,
        CLAUDE_BIN: claudeBin,
        HEARTBEAT_INTERVAL_MS: "300",
        CLAUDE_CODE_MAX_RETRIES: "0",
      },
    });
    let logs = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (logs += d));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    try {
      await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
      await runTurn(platform, "probe", PROBE_PROMPT);

      expect(readFileSync(path.join(workspace, "id.txt"), "utf8")).toMatch(new RegExp(`^uid=${AGENT_ID}\\b.* gid=${AGENT_ID}\\b`));
      const ancestors = readAncestors(workspace);
      const runner = ancestors.at(-1)!;
      expect(runner.pid).toBe(child.pid);
      expect(runner.environ).toBe("DENIED\n");
      expect(runner.canSignal).toBe(false);
      // Its own processes it can read: the walk itself worked.
      expect(ancestors[0]!.environ).toContain(`WORKSPACE_DIR=${workspace}`);
      for (const secret of [RUNNER_TOKEN, GATEWAY_TOKEN]) {
        for (const ancestor of ancestors) expect(ancestor.environ).not.toContain(secret);
        expect(await filesContaining(root, secret)).toEqual([]);
      }
      // The model got the gateway token all the same: the runner's proxy added it.
      expect(model.requests.at(-1)?.apiKey).toBe(GATEWAY_TOKEN);

      // The agent's files, and the runner's own temporary directory, belong to the agent.
      expect(statSync(path.join(workspace, "env.txt")).uid).toBe(AGENT_ID);
      const runnerTmp = readdirSync(tmp).filter((name) => name.startsWith("runner-"));
      expect(runnerTmp).toHaveLength(1);
      expect(statSync(path.join(tmp, runnerTmp[0]!)).uid).toBe(AGENT_ID);
      // A download the platform asks for lands as the agent's file, in a directory of the agent's.
      const body = "uploaded by the user\n";
      let archived = 0;
      const blobs = http.createServer((req, res) => {
        if (req.method !== "PUT") return res.writeHead(200, { "content-length": String(body.length) }).end(body);
        req.on("data", (chunk: Buffer) => (archived += chunk.length));
        req.on("end", () => res.writeHead(200).end());
      });
      await new Promise<void>((resolve) => blobs.listen(0, "127.0.0.1", resolve));
      try {
        const url = `http://127.0.0.1:${(blobs.address() as AddressInfo).port}/blob`;
        platform.send({ type: "fetch_file", transfer_id: "t1", url, path: "uploads/in.txt", size: body.length });
        const result = await platform.waitFor("file_result", () => platform.frames.find((f) => f.type === "file_result"));
        expect(result).toMatchObject({ ok: true, path: "uploads/in.txt" });
        // Hibernation's tar (and its gzip) runs as the agent, real uid included: no way back to root.
        platform.send({ type: "archive", transfer_id: "a1", url });
        const archive = await platform.waitFor("archive_result", () => platform.frames.find((f) => f.type === "archive_result"));
        expect(archive).toMatchObject({ ok: true, op: "archive" });
        expect(archived).toBeGreaterThan(0);
        expect(readFileSync(tarIds, "utf8")).toBe(`${AGENT_ID} ${AGENT_ID}\n`);
      } finally {
        blobs.closeAllConnections();
        await new Promise<void>((resolve) => blobs.close(() => resolve()));
      }
      expect(readFileSync(path.join(workspace, "uploads/in.txt"), "utf8")).toBe(body);
      expect(statSync(path.join(workspace, "uploads")).uid).toBe(AGENT_ID);
      expect(statSync(path.join(workspace, "uploads/in.txt")).uid).toBe(AGENT_ID);

      expect(logs).toContain("Claude Code runs as another user");
      expect(logs).not.toContain("runner token from the RUNNER_TOKEN variable");
    } finally {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
  });

  it("refuses AGENT_UID without AGENT_GID", async () => {
    const child = spawn(process.execPath, [runnerMain], {
      stdio: ["ignore", "ignore", "pipe"],
      env: {
        PATH: process.env["PATH"] ?? "/usr/bin:/bin",
        SESSION_ID: "s",
        PLATFORM_URL: "http://127.0.0.1:9",
        RUNNER_TOKEN,
        AGENT_UID: "65534",
      },
    });
    let logs = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (logs += d));
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    expect(code).toBe(2);
    expect(logs).toContain("set both AGENT_UID and AGENT_GID");
    expect(logs).not.toContain(RUNNER_TOKEN);
  });
});
