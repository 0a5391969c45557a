/**
 * The production sandbox path end to end: the session DO picks the Container backend
 * (SANDBOX_BACKEND is not `local`), which drives the real SandboxContainer class
 * (durable-objects/sandbox-container.ts) over RPC. workerd cannot run containers here
 * (container/README.md), so a generated wrangler config aliases `@cloudflare/containers` to a
 * test double (test/fakes/containers-through-sandbox-host.ts) whose `start` runs the production
 * image through the sandbox host in container mode: everything of ours between the session and
 * the container is what production runs.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSandboxImage } from "../../../scripts/build-sandbox-image.ts";
import { findContainerEngine } from "../../../sandbox-host/container-engine.ts";
import { Client, api, bootE2E, hasResult, type E2EPlatform } from "./platform-harness.ts";

const root = path.resolve(import.meta.dirname, "../../..");
const found = findContainerEngine();
const engine = "bin" in found ? found.bin : "";
if (!engine) console.warn(`SKIPPED Container-backend end-to-end test: ${"missing" in found ? found.missing : ""}`);

/**
 * wrangler.toml with absolute paths, without the `[[containers]]` entry (no image build), and with
 * `@cloudflare/containers` aliased to the double.
 */
function writeWranglerConfig(dir: string): string {
  const abs = (rel: string) => path.join(root, rel);
  const text = readFileSync(abs("wrangler.toml"), "utf8")
    .replace(/^main = ".*"$/m, `main = ${JSON.stringify(abs("worker/index.ts"))}`)
    .replace(/^directory = ".*"$/m, `directory = ${JSON.stringify(abs("web/dist"))}`)
    .replace(/^migrations_dir = ".*"$/m, `migrations_dir = ${JSON.stringify(abs("migrations"))}`)
    .replace(/^\[\[containers\]\]\n(?:(?!\[).*\n)*/m, "");
  if (text.includes("[[containers]]")) throw new Error("could not drop the [[containers]] entry from wrangler.toml");
  const file = path.join(dir, "wrangler.toml");
  const alias = `\n[alias]\n"@cloudflare/containers" = ${JSON.stringify(abs("test/fakes/containers-through-sandbox-host.ts"))}\n`;
  writeFileSync(file, text + alias);
  return file;
}

let platform: E2EPlatform;
let token: string;
let configDir: string;

beforeAll(async () => {
  if (!engine) return;
  await buildSandboxImage({ log: () => undefined });
  configDir = mkdtempSync(path.join(os.tmpdir(), "ai-sessions-container-backend-"));
  ({ platform, token } = await bootE2E(
    { SANDBOX_BACKEND: "cloudflare" },
    // Cloudflare's Containers start each container for its session: no warm pool.
    { sandbox: "container", wranglerConfig: writeWranglerConfig(configDir), warmSandboxes: 0 },
  ));
}, 900_000);
afterAll(async () => {
  await platform?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

function containersOf(sessionId: string): string[] {
  const out = execFileSync(engine, ["ps", "--all", "--filter", `label=ai-sessions.session=${sessionId}`, "--format", "{{.Names}}"], {
    encoding: "utf8",
  });
  return out.split("\n").filter(Boolean);
}

async function session(): Promise<{ id: string; client: Client }> {
  const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  const id: string = created.body.session.id;
  const client = await Client.connect(platform.baseUrl, token, id);
  await client.until((f) => f.some((x) => x.type === "history"), "history");
  return { id, client };
}

async function turn(client: Client, text: string): Promise<any[]> {
  const before = client.stored().length;
  client.send({ type: "prompt", payload: { text } });
  await client.until(hasResult(before), `the result of: ${text}`, 90_000);
  return client.stored().slice(before);
}

describe.runIf(engine)("the Container backend and SandboxContainer, with the image run through the sandbox host", () => {
  it("a session's turn runs in a container the SandboxContainer started; terminate removes it", async () => {
    const { id, client } = await session();
    const events = await turn(client, '[[scenario:bash command="id -u; pwd"]]');
    expect(JSON.stringify(events.find((x) => x.type === "tool_result")?.payload.content)).toContain("10001\\n/workspace");
    expect(containersOf(id)).toHaveLength(1);

    expect((await api(platform.baseUrl, token, "DELETE", `/v1/sessions/${id}`)).body).toEqual({ terminated: true });
    for (let i = 0; containersOf(id).length > 0; i++) {
      if (i > 300) throw new Error("the container was not removed");
      await new Promise((r) => setTimeout(r, 100));
    }
    client.close();
  }, 180_000);

  it("a container that dies reaches the session through SandboxContainer.onStop: job_completed with its exit code", async () => {
    const { id, client } = await session();
    await turn(client, "[[scenario:text text=ready]]");
    const [name] = containersOf(id);
    execFileSync(engine, ["kill", "--signal", "KILL", name!]);
    const end = (await client.until((f) => f.some((x) => x.type === "session_end"), "session_end", 60_000)).find(
      (x) => x.type === "session_end",
    );
    expect(end.payload).toEqual({ reason: "job_completed", exit_code: 137, detail: "the runner exited with code 137" });
    client.close();
  }, 180_000);
});
