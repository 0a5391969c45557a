/**
 * The container mode's warm pool (sandbox-host/warm-pool.ts with ContainerSandbox.startWarm): the
 * sandbox host keeps one container of the production image started, on the private network,
 * holding no session; a new session takes it (the very container that was waiting: same id),
 * its turn runs the real Claude Code as uid 10001 in the session's own workspace, and the
 * session's tokens are in no environment of the container (`podman inspect`, /proc). The pool
 * starts the replacement; the next session takes that one, which holds nothing of the first; and
 * stopping the host removes the warm container. (container.test.ts: cold containers.)
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, lstatSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxPoolState } from "../../../schemas/sandbox-pool.ts";
import { buildSandboxImage } from "../../../scripts/build-sandbox-image.ts";
import { findContainerEngine } from "../../../sandbox-host/container-engine.ts";
import { DEFAULT_LIMITS, IMAGE_AGENT_UID, WARM_LABEL } from "../../../sandbox-host/container-sandbox.ts";
import { HOST_PID_LABEL } from "../../../sandbox-host/container-sweep.ts";
import { api, bootE2E, Client, type E2EPlatform, hasResult } from "./platform-harness.ts";

const found = findContainerEngine();
const engine = "bin" in found ? found.bin : "";
if (!engine) console.warn(`SKIPPED warm container end-to-end tests: ${"missing" in found ? found.missing : ""}`);

let platform: E2EPlatform;
let token: string;
let stopped = false;

beforeAll(async () => {
  if (!engine) return;
  await buildSandboxImage({ log: () => undefined });
  ({ platform, token } = await bootE2E({}, { sandbox: "container", container: { network: "private" }, warmSandboxes: 1 }));
}, 900_000);
afterAll(async () => {
  if (!stopped) await platform?.stop();
});

type Container = { id: string; name: string };

/** This host's containers (the sandbox host runs in this process), warm or not. */
function containers(filter: string[] = []): Container[] {
  const out = execFileSync(
    engine,
    ["ps", "--all", "--no-trunc", "--filter", `label=${HOST_PID_LABEL}=${process.pid}`, ...filter, "--format", "{{.ID}} {{.Names}}"],
    { encoding: "utf8" },
  );
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id, name] = line.split(" ");
      return { id: id!, name: name! };
    });
}

/** The containers waiting warm (started with the warm label; the name says whether claimed since). */
function warmContainers(): Container[] {
  return containers(["--filter", `label=${WARM_LABEL}=1`]).filter((c) => /-warm-[0-9a-f]+$/.test(c.name));
}

/** The container named for the session (a claimed warm one is renamed to it). */
function containerOf(sessionId: string): Container | undefined {
  return containers().find((c) => c.name.endsWith(`-${sessionId}`));
}

function inspect(name: string): any {
  return JSON.parse(execFileSync(engine, ["inspect", name], { encoding: "utf8" }))[0];
}

async function poolReady(): Promise<number> {
  const res = await fetch(`${platform.sandbox.url}/pool`, { headers: { authorization: `Bearer ${platform.sandbox.token}` } });
  return SandboxPoolState.parse(await res.json()).ready;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The one warm container, once the pool has it ready. */
async function readyWarmContainer(): Promise<Container> {
  await waitFor(async () => (await poolReady()) === 1, "the pool's warm container", 120_000);
  const warm = warmContainers();
  expect(warm).toHaveLength(1);
  return warm[0]!;
}

/** A new session whose tools run without asking, once its runner has connected, with a client that has its history. */
async function session(): Promise<{ id: string; client: Client }> {
  const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id: string = created.body.session.id;
  await waitFor(
    async () => (await api(platform.baseUrl, token, "GET", `/v1/sessions/${id}`)).body.session.status === "running",
    "the session's runner to connect",
  );
  const client = await Client.connect(platform.baseUrl, token, id);
  await client.until((f) => f.some((x) => x.type === "history"), "history");
  return { id, client };
}

/** What the agent's Bash call printed in one turn. */
async function bash(client: Client, command: string): Promise<string> {
  const before = client.stored().length;
  client.send({ type: "prompt", payload: { text: `[[scenario:bash command=${JSON.stringify(command)}]]` } });
  await client.until(hasResult(before), `the result of: ${command}`, 90_000);
  const result = client
    .stored()
    .slice(before)
    .find((x) => x.type === "tool_result");
  expect(result).toBeDefined();
  const content: unknown = result.payload.content;
  if (typeof content === "string") return content;
  return (content as { text?: string }[]).map((block) => block.text ?? "").join("");
}

/** Every NAME=value of the container: its configuration (`podman inspect`) and its init's and runner's environ, read as root. */
function environmentsOf(name: string): string[] {
  const configured: string[] = inspect(name).Config.Env;
  const environs = execFileSync(
    engine,
    ["exec", name, "sh", "-c", "cat /proc/1/environ; echo; for p in /proc/[0-9]*; do cat $p/environ 2>/dev/null; echo; done"],
    {
      encoding: "utf8",
    },
  );
  return [...configured, ...environs.split(/[\0\n]/)].filter(Boolean);
}

const SECRET_NAMES = /^(RUNNER_TOKEN|GATEWAY_TOKEN|SESSION_ID|PLATFORM_URL|GATEWAY_URL|RUNNER_SECRETS_FILE)=/;

describe.runIf(engine)("the container mode's warm pool", () => {
  let first: { id: string; client: Client; container: Container };

  it("a new session takes the waiting container: its turn runs as uid 10001 in the session's workspace, no token in any environment, the same limits and network; a replacement follows", async () => {
    const warm = await readyWarmContainer();
    // Waiting, it holds nothing of any session: no session variable, an empty directory of its own.
    const waiting = inspect(warm.name);
    expect(environmentsOf(warm.name).filter((v) => SECRET_NAMES.test(v))).toEqual([]);
    expect(waiting.Config.Labels["ai-sessions.session"]).toBeUndefined();
    const mounts = (waiting.Mounts as { Source: string }[]).map((m) => m.Source);
    expect(mounts.every((source) => source.startsWith(path.join(platform.sandbox.root, ".warm-")))).toBe(true);

    const { id, client } = await session();
    // The very container that was waiting, renamed for the session.
    await waitFor(() => containerOf(id) !== undefined, "the claimed container's session name");
    expect(containerOf(id)!.id).toBe(warm.id);
    first = { id, client, container: containerOf(id)! };

    const targets = [`${platform.baseUrl}/healthz`, platform.modelServer!.url, `${platform.sandbox.url}/healthz`];
    const probe = `for (const u of ${JSON.stringify(targets)}) await fetch(u).then((r) => console.log(u, "status", r.status), (e) => console.log(u, "error", e.cause?.code ?? e.message));`;
    const out = await bash(
      client,
      "id -u; pwd; stat -c 'owner=%u' /workspace; touch /workspace/made-by-agent && echo wrote; " +
        "for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ; done 2>/dev/null | grep -c -e RUNNER_TOKEN= -e GATEWAY_TOKEN=; echo scan-done; " +
        `node --input-type=module -e '${probe}'`,
    );
    expect(out).toContain(`${IMAGE_AGENT_UID}\n/workspace\nowner=${IMAGE_AGENT_UID}\nwrote\n0\nscan-done\n`);
    // Its mounts followed the renamed directory: the file is in the session's workspace, the agent's.
    const made = path.join(platform.sandbox.root, id, "workspace", "made-by-agent");
    expect(statSync(made).uid).toBe(IMAGE_AGENT_UID);
    // Everything in its home is the agent's too: the warm runner probed the CLI as the agent.
    const home = path.join(platform.sandbox.root, id, "home");
    const notTheAgents = [home, ...readdirSync(home, { recursive: true }).map((f) => path.join(home, String(f)))].filter(
      (f) => lstatSync(f).uid !== IMAGE_AGENT_UID,
    );
    expect(notTheAgents).toEqual([]);
    // The claim opened the platform's port and nothing else of the host's loopback.
    expect(out).toContain(`${targets[0]} status 200`);
    expect(out).toContain(`${targets[1]} error ECONNREFUSED`);
    expect(out).toContain(`${targets[2]} error ECONNREFUSED`);

    // The tokens came on the runner's stdin: no environment holds them, not even for root.
    const envs = environmentsOf(first.container.name);
    expect(envs.filter((v) => /^(RUNNER_TOKEN|GATEWAY_TOKEN)=/.test(v))).toEqual([]);
    expect(envs.some((v) => v.startsWith("RUNNER_WARM=1"))).toBe(true); // what it was started with, and no more
    // A cold container's limits and network.
    const host = inspect(first.container.name).HostConfig;
    expect(host.NanoCpus).toBe(Number(DEFAULT_LIMITS.cpus) * 1e9);
    expect(host.Memory).toBe(4 * 1024 ** 3);
    expect(host.PidsLimit).toBe(Number(DEFAULT_LIMITS.pids));
    expect(host.NetworkMode).toBe("slirp4netns");

    const replacement = await readyWarmContainer();
    expect(replacement.id).not.toBe(warm.id);
  }, 300_000);

  it("the next session takes the replacement, which holds nothing of the first; the first's container goes with it", async () => {
    const secret = `secret-${randomBytes(6).toString("hex")}`;
    await bash(first.client, `echo ${secret} > /workspace/${secret}.txt; echo ${secret} > /home/agent/${secret}.txt; echo ok`);
    expect((await api(platform.baseUrl, token, "DELETE", `/v1/sessions/${first.id}`)).body).toEqual({ terminated: true });
    await waitFor(() => containers().every((c) => c.id !== first.container.id), "the first session's container to be removed");
    first.client.close();

    const replacement = await readyWarmContainer();
    const { id, client } = await session();
    await waitFor(() => containerOf(id) !== undefined, "the claimed container's session name");
    expect(containerOf(id)!.id).toBe(replacement.id);
    // Spelt backwards in the command: the session's own transcript (in its home) holds the command.
    const reversed = [...secret].reverse().join("");
    const out = await bash(
      client,
      `ls -A /workspace; grep -rl $(echo ${reversed} | rev) /workspace /home/agent /tmp 2>/dev/null; echo search-done`,
    );
    expect(out.trim()).toBe("search-done");
    const envs = environmentsOf(containerOf(id)!.name);
    expect(envs.some((v) => v.includes(first.id))).toBe(false);
    expect(existsSync(path.join(platform.sandbox.root, id, "workspace", `${secret}.txt`))).toBe(false);
    client.close();
  }, 300_000);

  it("stopping the host removes its warm container and every other", async () => {
    expect(await readyWarmContainer()).toBeDefined();
    stopped = true;
    await platform.stop();
    expect(containers()).toEqual([]);
  }, 120_000);
});
