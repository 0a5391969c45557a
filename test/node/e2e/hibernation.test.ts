/**
 * Hibernation end to end: a real Claude Code agent in a session that goes dormant after 2 idle
 * seconds (its workspace and conversation archived to R2, its runner process stopped), and wakes
 * on the next prompt with both restored: the file it wrote and the conversation it had.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, api, bootE2E, hasResult, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E({ IDLE_HIBERNATE_SECONDS: "2" })), 120_000);
afterAll(async () => platform?.stop());

/** The sandbox host's view of the session's runner process. */
async function sandboxRunning(id: string): Promise<boolean> {
  const response = await fetch(`${platform.sandbox.url}/sandboxes/${id}`, {
    headers: { authorization: `Bearer ${platform.sandbox.token}` },
  });
  if (!response.ok) throw new Error(`sandbox host answered ${response.status}`);
  return ((await response.json()) as { running: boolean }).running;
}

describe("hibernation with a real agent", () => {
  it("goes dormant when idle, and a prompt wakes it with the workspace and the conversation restored", async () => {
    const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id: string = created.body.session.id;
    const client = await Client.connect(platform.baseUrl, token, id);
    await client.until((f) => f.some((x) => x.type === "history"), "history");

    client.send({ type: "prompt", payload: { text: '[[scenario:write path=kept.txt content="survives sleep"]]' } });
    await client.until(hasResult(), "the write turn", 60_000);

    // Idle for 2 s: archived, dormant, runner gone.
    await client.until((f) => f.some((x) => x.type === "session_status" && x.payload.dormant === true), "dormant", 60_000);
    const dormantStatus = client.frames.find((x) => x.type === "session_status" && x.payload.dormant === true);
    expect(dormantStatus.payload).toMatchObject({ status: "running", ui_state: "Waiting" });
    for (let i = 0; (await sandboxRunning(id)) && i < 200; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await sandboxRunning(id)).toBe(false);
    expect((await api(platform.baseUrl, token, "GET", `/v1/sessions/${id}`)).body.session).toMatchObject({
      status: "running",
      dormant: true,
    });

    // The local sandbox host keeps a stopped sandbox's directories; a container does not. Wipe
    // them, so only the archive can bring the file and the conversation back.
    const dir = path.join(platform.sandbox.root, id);
    const workspace = path.join(dir, "workspace");
    expect(existsSync(path.join(workspace, "kept.txt"))).toBe(true);
    for (const entry of readdirSync(workspace)) rmSync(path.join(workspace, entry), { recursive: true, force: true });
    rmSync(path.join(dir, "home", ".claude", "projects"), { recursive: true, force: true });

    // Wake with a prompt: the file is back...
    const before = client.stored().length;
    client.send({ type: "prompt", payload: { text: "[[scenario:read path=kept.txt]]" } });
    await client.until(hasResult(before), "the read turn", 90_000);
    const after = client.stored().slice(before);
    expect(after.some((x) => x.type === "session_status" && x.payload.dormant === false)).toBe(true);
    expect(after.some((x) => x.type === "system" && x.payload.subtype === "restore_failed")).toBe(false);
    const toolResult = after.find((x) => x.type === "tool_result");
    expect(JSON.stringify(toolResult?.payload.content)).toContain("survives sleep");
    expect(existsSync(path.join(workspace, "kept.txt"))).toBe(true);

    // ...and so is the conversation: the agent remembers the prompts from before the sleep.
    const mark = client.stored().length;
    client.send({ type: "prompt", payload: { text: "[[scenario:recall]]" } });
    await client.until(hasResult(mark), "the recall turn", 60_000);
    const recalled = JSON.stringify(
      client
        .stored()
        .slice(mark)
        .filter((x) => x.type === "assistant"),
    );
    expect(recalled).toContain("scenario:write path=kept.txt");
    expect(recalled).toContain("scenario:read path=kept.txt");
    client.close();
  }, 240_000);
});
