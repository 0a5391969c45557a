/**
 * The production sandbox, end to end: the platform under wrangler dev with the sandbox host in
 * container mode, so every session's runner runs in a container of the image built from
 * container/Dockerfile (scripts/build-sandbox-image.ts), with the real Claude Code inside as the
 * image's `agent` user, on the private network (SANDBOX_NETWORK=private; container-backend.test.ts
 * runs the host network). What a user of a shared machine relies on: the agent cannot read the
 * runner's token nor another session's files nor reach the machine's other loopback services, and
 * hibernation, uploads, terminate and a runner crash behave as in production.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSandboxImage } from "../../../scripts/build-sandbox-image.ts";
import { findContainerEngine } from "../../../sandbox-host/container-engine.ts";
import { IMAGE_AGENT_UID } from "../../../sandbox-host/container-sandbox.ts";
import { Client, api, bootE2E, hasResult, type E2EPlatform } from "./platform-harness.ts";

const found = findContainerEngine();
const engine = "bin" in found ? found.bin : "";
if (!engine) console.warn(`SKIPPED container end-to-end tests: ${"missing" in found ? found.missing : ""}`);

let platform: E2EPlatform;
let token: string;

beforeAll(async () => {
  if (!engine) return;
  // Cached layers make this a few seconds when CI (or an earlier run) has built the image.
  await buildSandboxImage({ log: () => undefined });
  // Idle sessions hibernate (their container goes) after 8 s: the hibernation test waits for it,
  // and the others look at a session's container within a second or two of its last turn.
  // Cold containers, each started for its session with the tokens in its environment as in
  // production; the warm pool's containers are container-warm.test.ts's.
  ({ platform, token } = await bootE2E(
    { IDLE_HIBERNATE_SECONDS: "8" },
    { sandbox: "container", container: { network: "private" }, warmSandboxes: 0 },
  ));
}, 900_000);
afterAll(async () => platform?.stop());

/** The engine's containers of a session, by the label the sandbox host puts on them. */
function containersOf(sessionId: string): string[] {
  const out = execFileSync(engine, ["ps", "--all", "--filter", `label=ai-sessions.session=${sessionId}`, "--format", "{{.Names}}"], {
    encoding: "utf8",
  });
  return out.split("\n").filter(Boolean);
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
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

/** Sends one prompt and waits for its turn's result; the stored events of that turn. */
async function turn(client: Client, text: string, timeoutMs = 90_000): Promise<any[]> {
  const before = client.stored().length;
  client.send({ type: "prompt", payload: { text } });
  await client.until(hasResult(before), `the result of: ${text}`, timeoutMs);
  return client.stored().slice(before);
}

/** What the agent's Bash call printed in a turn. */
async function bash(client: Client, command: string): Promise<string> {
  const events = await turn(client, `[[scenario:bash command=${JSON.stringify(command)}]]`);
  const result = events.find((x) => x.type === "tool_result");
  expect(result, JSON.stringify(events)).toBeDefined();
  const content: unknown = result.payload.content;
  if (typeof content === "string") return content;
  return (content as { text?: string }[]).map((block) => block.text ?? "").join("");
}

describe.runIf(engine)("sessions in containers of the production image", () => {
  it("a turn runs the real Claude Code as uid 10001 in /workspace, which the agent owns", async () => {
    const { id, client } = await session();
    const out = await bash(client, "id -u; id -g; pwd; stat -c 'owner=%u' /workspace; touch /workspace/made-by-agent && echo wrote");
    expect(out).toContain(`${IMAGE_AGENT_UID}\n${IMAGE_AGENT_UID}\n/workspace\nowner=${IMAGE_AGENT_UID}\nwrote`);
    // The file is in the session's workspace on the host, the agent's.
    const made = path.join(platform.sandbox.root, id, "workspace", "made-by-agent");
    expect(statSync(made).uid).toBe(IMAGE_AGENT_UID);
    expect(containersOf(id)).toHaveLength(1);
    client.close();
  }, 180_000);

  it("the agent cannot read the runner's token: /proc/1/environ and every other process's environ", async () => {
    const { id, client } = await session();
    // The agent, prompt-injected, tries every process's environ.
    const out = await bash(
      client,
      "cat /proc/1/environ; for p in /proc/[0-9]*; do tr '\\0' '\\n' < $p/environ 2>/dev/null; done | grep -c -e RUNNER_TOKEN= -e GATEWAY_TOKEN=; echo scan-done",
    );
    expect(out).toContain("/proc/1/environ: Permission denied");
    expect(out).toContain("0\nscan-done");
    // Yet the token is there, in the environ of the container's init (tini): root reads it.
    const [name] = containersOf(id);
    const initEnviron = execFileSync(engine, ["exec", name!, "cat", "/proc/1/environ"], { encoding: "utf8" });
    expect(initEnviron.split("\0").some((v) => v.startsWith("RUNNER_TOKEN=") && v.length > "RUNNER_TOKEN=".length + 10)).toBe(true);
    client.close();
  }, 180_000);

  it("one session's agent cannot find another session's files", async () => {
    const a = await session();
    const secret = `secret-${randomBytes(6).toString("hex")}`;
    const content = `content-${randomBytes(6).toString("hex")}`;
    await turn(a.client, `[[scenario:write path=${secret}.txt content="${content}"]]`);
    const hostPath = path.join(platform.sandbox.root, a.id, "workspace", `${secret}.txt`);
    expect(readFileSync(hostPath, "utf8")).toBe(content);

    const b = await session();
    const out = await bash(
      b.client,
      `cat ${hostPath}; find / \\( -path /proc -o -path /sys \\) -prune -o -name '${secret}*' -print 2>/dev/null; echo find-done`,
    );
    expect(out).toContain(`cat: ${hostPath}: No such file or directory`);
    expect(out).toContain("find-done");
    expect(out).not.toContain(content);
    // find prints what it finds as paths, one a line; nothing of the other session's.
    expect(out.split("\n").filter((line) => line.startsWith("/") && line.includes(secret))).toEqual([]);
    a.client.close();
    b.client.close();
  }, 240_000);

  it("the agent reaches the platform on 127.0.0.1 and no other loopback service of the machine", async () => {
    const { client } = await session();
    // The scripted model server and the sandbox host listen on the host's loopback too.
    const targets = [`${platform.baseUrl}/healthz`, platform.modelServer!.url, `${platform.sandbox.url}/healthz`];
    const probe = `for (const u of ${JSON.stringify(targets)}) await fetch(u).then((r) => console.log(u, "status", r.status), (e) => console.log(u, "error", e.cause?.code ?? e.message));`;
    const out = await bash(client, `node --input-type=module -e '${probe}'`);
    expect(out).toContain(`${targets[0]} status 200`);
    expect(out).toContain(`${targets[1]} error ECONNREFUSED`);
    expect(out).toContain(`${targets[2]} error ECONNREFUSED`);
    client.close();
  }, 180_000);

  it("an upload lands in /workspace/uploads, owned by the agent, and the agent reads it", async () => {
    const { id, client } = await session();
    const content = `the code word is ${randomBytes(4).toString("hex")}`;
    const bytes = new TextEncoder().encode(content);
    const ticket = await api(platform.baseUrl, token, "POST", `/v1/io/sessions/${id}/upload`, {
      filename: "notes.txt",
      content_type: "text/plain",
      size: bytes.byteLength,
    });
    expect(ticket.status, JSON.stringify(ticket.body)).toBe(200);
    expect((await fetch(ticket.body.upload_url, { method: "PUT", body: bytes })).status).toBe(200);
    const done = await api(platform.baseUrl, token, "POST", `/v1/io/sessions/${id}/upload/complete`, { upload_id: ticket.body.upload_id });
    expect(done.body).toEqual({ success: true, path: "/workspace/uploads/notes.txt" });
    const onHost = path.join(platform.sandbox.root, id, "workspace", "uploads", "notes.txt");
    expect(readFileSync(onHost, "utf8")).toBe(content);
    expect(statSync(onHost).uid).toBe(IMAGE_AGENT_UID);
    const events = await turn(client, "[[scenario:read path=uploads/notes.txt]]");
    expect(JSON.stringify(events.find((x) => x.type === "tool_result")?.payload.content)).toContain(content);
    client.close();
  }, 180_000);

  it("hibernation archives from the container and restores into a new one; the conversation resumes", async () => {
    const { id, client } = await session();
    await turn(client, '[[scenario:write path=kept.txt content="survives sleep"]]');
    await client.until((f) => f.some((x) => x.type === "session_status" && x.payload.dormant === true), "dormant", 60_000);
    await waitFor(() => containersOf(id).length === 0, "the dormant session's container to be removed");

    // Only the archive may bring the file and the conversation back: wipe the host's copies.
    const dir = path.join(platform.sandbox.root, id);
    const workspace = path.join(dir, "workspace");
    for (const entry of readdirSync(workspace)) rmSync(path.join(workspace, entry), { recursive: true, force: true });
    rmSync(path.join(dir, "home", ".claude", "projects"), { recursive: true, force: true });

    const woke = await turn(client, "[[scenario:read path=kept.txt]]");
    expect(woke.some((x) => x.type === "system" && x.payload.subtype === "restore_failed")).toBe(false);
    expect(JSON.stringify(woke.find((x) => x.type === "tool_result")?.payload.content)).toContain("survives sleep");
    expect(existsSync(path.join(workspace, "kept.txt"))).toBe(true);

    const recalled = JSON.stringify((await turn(client, "[[scenario:recall]]")).filter((x) => x.type === "assistant"));
    expect(recalled).toContain("scenario:write path=kept.txt");
    expect(recalled).toContain("scenario:read path=kept.txt");
    client.close();
  }, 300_000);

  it("terminate removes the session's container", async () => {
    const { id, client } = await session();
    await turn(client, "[[scenario:text text=hello]]");
    expect(containersOf(id)).toHaveLength(1);
    expect((await api(platform.baseUrl, token, "DELETE", `/v1/sessions/${id}`)).body).toEqual({ terminated: true });
    await waitFor(() => containersOf(id).length === 0, "the container to be removed");
    const state = await fetch(`${platform.sandbox.url}/sandboxes/${id}`, {
      headers: { authorization: `Bearer ${platform.sandbox.token}` },
    });
    expect(((await state.json()) as { running: boolean }).running).toBe(false);
    client.close();
  }, 180_000);

  it("a runner killed inside its container ends the session job_completed, and the container is gone", async () => {
    const { id, client } = await session();
    await turn(client, "[[scenario:text text=ready]]");
    const [name] = containersOf(id);
    // The runner is the only child of the container's init (tini); kill it from the host.
    const initPid = execFileSync(engine, ["inspect", "--format", "{{.State.Pid}}", name!], { encoding: "utf8" }).trim();
    const children = readFileSync(`/proc/${initPid}/task/${initPid}/children`, "utf8").trim().split(/\s+/);
    expect(children).toHaveLength(1);
    expect(readFileSync(`/proc/${children[0]}/cmdline`, "utf8")).toContain("/opt/runner/runner.mjs");
    process.kill(Number(children[0]), "SIGKILL");

    const end = (await client.until((f) => f.some((x) => x.type === "session_end"), "session_end", 60_000)).find(
      (x) => x.type === "session_end",
    );
    // As in production, the container reports the signal as 128 + 9.
    expect(end.payload).toEqual({ reason: "job_completed", exit_code: 137, detail: "the runner exited with code 137" });
    await waitFor(() => containersOf(id).length === 0, "the container to be removed");
    client.close();
  }, 180_000);
});
