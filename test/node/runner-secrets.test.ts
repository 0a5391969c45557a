// The runner token never sits where Claude Code can read it: the runner takes it from a file it
// deletes at start (secrets.ts), and the local sandbox host hands it over that way. End to end:
// the real sandbox host, runner and Claude Code, whose Bash tool goes looking for the token.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxCreated } from "../../schemas/runner.ts";
import { takeRunnerSecrets } from "../../container/runner/secrets.ts";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import { SECRETS_DIR_NAME } from "../../sandbox-host/runner-secrets.ts";
import { startSandboxHost, type SandboxHost } from "../../sandbox-host/server.ts";
import { cleanupTempDirs, settingsFor, startFakePlatform, tempDir, type FakePlatform } from "./runner-harness.ts";
import { filesContaining, PROBE_PROMPT, readAncestors, runTurn } from "./runner-secrets-probe.ts";

const HOST_TOKEN = "sandbox-host-token-secrets";
const RUNNER_TOKEN = "runner-token-must-stay-hidden-7f3a9c";
const GATEWAY_TOKEN = "gateway-token-must-stay-hidden-2b8e41";

afterAll(async () => {
  await cleanupTempDirs();
});

describe("takeRunnerSecrets", () => {
  it("reads RUNNER_SECRETS_FILE, deletes it, and clears both variables; the file wins over RUNNER_TOKEN", async () => {
    const file = path.join(await tempDir("secrets-unit-"), "s.json");
    writeFileSync(file, JSON.stringify({ RUNNER_TOKEN: "from-file" }), { mode: 0o600 });
    const env: NodeJS.ProcessEnv = { RUNNER_SECRETS_FILE: file, RUNNER_TOKEN: "from-env", OTHER: "kept" };
    expect(takeRunnerSecrets(env)).toEqual({ runnerToken: "from-file", source: "file" });
    expect(existsSync(file)).toBe(false);
    expect(env).toEqual({ OTHER: "kept" });
  });

  it("falls back to RUNNER_TOKEN", () => {
    const env: NodeJS.ProcessEnv = { RUNNER_TOKEN: "from-env" };
    expect(takeRunnerSecrets(env)).toEqual({ runnerToken: "from-env", source: "env" });
    expect(env).toEqual({});
  });

  it("refuses a missing token, and a bad file without quoting it (but still deletes it)", async () => {
    expect(() => takeRunnerSecrets({})).toThrow(/RUNNER_SECRETS_FILE \(or RUNNER_TOKEN\) is required/);
    const dir = await tempDir("secrets-unit-");
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, "not-json-but-a-secret-value");
    let message = "";
    try {
      takeRunnerSecrets({ RUNNER_SECRETS_FILE: bad });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe("RUNNER_SECRETS_FILE is not valid JSON");
    expect(existsSync(bad)).toBe(false);
    const empty = path.join(dir, "empty.json");
    writeFileSync(empty, JSON.stringify({ RUNNER_TOKEN: "" }));
    expect(() => takeRunnerSecrets({ RUNNER_SECRETS_FILE: empty })).toThrow(/must hold/);
    expect(() => takeRunnerSecrets({ RUNNER_SECRETS_FILE: path.join(dir, "missing.json") })).toThrow(
      /cannot open RUNNER_SECRETS_FILE: ENOENT/,
    );
  });
});

describe("local sandbox host: the token reaches the runner in a file, and nothing the agent can read", () => {
  let model: ModelServer;
  let host: SandboxHost;
  let root: string;
  const platforms: FakePlatform[] = [];

  beforeAll(async () => {
    model = await startModelServer();
    root = await tempDir("secrets-root-");
    host = await startSandboxHost({ port: 0, token: HOST_TOKEN, root });
  });
  afterAll(async () => {
    await host?.close();
    for (const p of platforms) await p.close();
    await model?.close();
  });

  async function create(sessionId: string, platformUrl: string, target = host): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`${target.url}/sandboxes`, {
      method: "POST",
      headers: { authorization: `Bearer ${HOST_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({
        session_id: sessionId,
        env: {
          SESSION_ID: sessionId,
          PLATFORM_URL: platformUrl,
          RUNNER_TOKEN,
          GATEWAY_URL: model.url,
          GATEWAY_TOKEN,
          CLAUDE_CODE_MAX_RETRIES: "0",
          HEARTBEAT_INTERVAL_MS: "500",
          // Ignored: the host decides where the secrets file is (the runner deletes it).
          RUNNER_SECRETS_FILE: path.join(root, "not-yours.json"),
        },
      }),
    });
    return { status: res.status, json: await res.json() };
  }

  it("connects with the tokens from the file; the agent finds them in no environ and no file", async () => {
    const sessionId = "sess_secrets_probe";
    const platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
    platforms.push(platform);
    const decoy = path.join(root, "not-yours.json");
    writeFileSync(decoy, "{}");

    const created = SandboxCreated.parse((await create(sessionId, platform.url)).json);
    // The fake DO accepts only `Bearer RUNNER_TOKEN`: a hello means the runner had the token.
    await platform.waitFor("hello", () => platform.frames.some((f) => f.type === "hello"));
    expect(platform.rejectedUpgrades).toBe(0);
    expect(readdirSync(path.join(root, SECRETS_DIR_NAME))).toEqual([]);
    expect(existsSync(decoy)).toBe(true);
    const runnerEnviron = readFileSync(`/proc/${created.pid}/environ`, "utf8");
    expect(runnerEnviron).toContain(`RUNNER_SECRETS_FILE=${path.join(root, SECRETS_DIR_NAME)}/`);
    expect(runnerEnviron).not.toContain(RUNNER_TOKEN);
    expect(runnerEnviron).not.toContain(GATEWAY_TOKEN);

    await runTurn(platform, "probe", PROBE_PROMPT);
    const ancestors = readAncestors(created.workspace_dir);
    const runner = ancestors.at(-1)!;
    // The walk reached the runner, read its environ (same user here), and found no token in it.
    expect(runner.pid).toBe(created.pid);
    expect(runner.cmdline).toContain("container/runner/main.ts");
    expect(runner.environ).toContain(`SESSION_ID=${sessionId}`);
    expect(runner.environ).toContain("RUNNER_SECRETS_FILE=");
    for (const secret of [RUNNER_TOKEN, GATEWAY_TOKEN]) {
      for (const ancestor of ancestors) expect(ancestor.environ).not.toContain(secret);
      for (const file of ["env.txt", "home.txt", "id.txt"]) {
        expect(readFileSync(path.join(created.workspace_dir, file), "utf8")).not.toContain(secret);
      }
      // Nor anywhere in the host's root: workspace, home (Claude's config and transcripts), temp, logs.
      expect(await filesContaining(root, secret)).toEqual([]);
    }
    // Yet the turn reached the model with the gateway token: the runner's proxy added it.
    expect(model.requests.length).toBeGreaterThan(0);
    expect(model.requests.every((request) => request.apiKey === GATEWAY_TOKEN)).toBe(true);
    expect(readFileSync(path.join(root, sessionId, "runner.log"), "utf8")).not.toContain("runner token from the RUNNER_TOKEN variable");

    await fetch(`${host.url}/sandboxes/${sessionId}`, { method: "DELETE", headers: { authorization: `Bearer ${HOST_TOKEN}` } });
  });

  it("deletes the secrets file itself when the runner dies before reading it", async () => {
    const otherRoot = await tempDir("secrets-root-dead-");
    const broken = await startSandboxHost({
      port: 0,
      token: HOST_TOKEN,
      root: otherRoot,
      runnerMain: path.join(otherRoot, "missing-main.ts"),
    });
    try {
      const sessionId = "sess_secrets_dead";
      const { status } = await create(sessionId, "http://127.0.0.1:9", broken);
      expect(status).toBe(201);
      const deadline = Date.now() + 10_000;
      const state = async (): Promise<{ running: boolean }> =>
        (await (await fetch(`${broken.url}/sandboxes/${sessionId}`, { headers: { authorization: `Bearer ${HOST_TOKEN}` } })).json()) as {
          running: boolean;
        };
      while ((await state()).running && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      // The exit handler's delete runs just after the exit the state reports.
      while (readdirSync(path.join(otherRoot, SECRETS_DIR_NAME)).length > 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      expect(readdirSync(path.join(otherRoot, SECRETS_DIR_NAME))).toEqual([]);
    } finally {
      await broken.close();
    }
  });
});
