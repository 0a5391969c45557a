/**
 * Forking end to end with the real Claude Code binary: a session writes a file and is told a word,
 * goes dormant (its workspace and transcript archived), and its fork, made through preflight and
 * fork, reads the file and recalls the word in its own sandbox directory (the transcript re-homed
 * under the new workspace path). The source is unchanged. 409, 412 and 410 come from their real
 * triggers: a source that is still starting, an MCP server the forking profile lacks, and a fork
 * that ended while awake (nothing archived).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, api, bootE2E, hasResult, type E2EPlatform } from "./platform-harness.ts";
import { runCli } from "./cli-harness.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E({ IDLE_HIBERNATE_SECONDS: "2" })), 300_000);
afterAll(async () => platform?.stop());

const call = (method: string, route: string, body?: unknown) => api(platform.baseUrl, token, method, route, body);
const workspaceFile = (id: string, name: string) => path.join(platform.sandbox.root, id, "workspace", name);
const assistantText = (frames: any[]) => JSON.stringify(frames.filter((x) => x.type === "assistant"));

/** Sends a prompt and waits for its turn's result; returns the stored events of that turn. */
async function turn(client: Client, text: string, what: string): Promise<any[]> {
  const from = client.stored().length;
  client.send({ type: "prompt", payload: { text } });
  await client.until(hasResult(from), what, 90_000);
  return client.stored().slice(from);
}

describe("fork with a real agent", () => {
  it("a dormant session's fork has its files and its conversation; the source is unchanged", async () => {
    // An MCP server nothing answers: the source runs without it, and the default profile lacks it.
    const created = await call("POST", "/v1/sessions", {
      name: "Word keeper",
      permission_mode: "bypassPermissions",
      mcp_servers: { ghost: { type: "http", url: "http://127.0.0.1:9/mcp" } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const source: string = created.body.session.id;

    // 409: the source is starting, its sandbox up; nothing settled to copy.
    const early = await call("POST", `/v1/sessions/${source}/fork`, { acknowledge_missing_tools: ["ghost"] });
    expect(early.status, JSON.stringify(early.body)).toBe(409);
    expect(early.body.error).toBe("session_not_forkable");

    const client = await Client.connect(platform.baseUrl, token, source);
    await client.until((f) => f.some((x) => x.type === "history"), "history");
    await turn(client, '[[scenario:write path=kept.txt content="forked files survive"]] The secret word is PELICAN.', "the write turn");
    expect(readFileSync(workspaceFile(source, "kept.txt"), "utf8")).toBe("forked files survive");

    // Idle for 2 s: archived and dormant.
    await client.until((f) => f.some((x) => x.type === "session_status" && x.payload.dormant === true), "dormant", 60_000);
    const sourceBefore = (await call("GET", `/v1/sessions/${source}`)).body.session;
    const eventsBefore = client.stored().length;

    const preflight = await call("GET", `/v1/sessions/${source}/fork-preflight`);
    expect(preflight.status).toBe(200);
    expect(preflight.body).toMatchObject({
      source_session_id: source,
      source_session_type: "user",
      is_forkable: true,
      is_forkable_reason: "",
      missing_mcps: ["ghost"],
      history_available: true,
      default_fork_name: "Fork of Word keeper",
    });

    // 412 until the missing server is acknowledged.
    const unacknowledged = await call("POST", `/v1/sessions/${source}/fork`, {});
    expect(unacknowledged.status).toBe(412);
    expect(unacknowledged.body.error).toBe("missing_mcps_not_acknowledged");

    const forked = await call("POST", `/v1/sessions/${source}/fork`, {
      acknowledge_missing_tools: preflight.body.missing_mcps,
      initial_prompt: "[[scenario:read path=kept.txt]]",
    });
    expect(forked.status, JSON.stringify(forked.body)).toBe(201);
    const fork: string = forked.body.session.id;
    expect(forked.body.session).toMatchObject({ forked_from_session_id: source, name: "Fork of Word keeper" });

    // The fork, in its own sandbox directory, reads the source's file...
    const forkClient = await Client.connect(platform.baseUrl, token, fork, "&after_seq=0");
    await forkClient.until(hasResult(), "the fork's read turn", 120_000);
    const readTurn = forkClient.stored();
    expect(readTurn.some((x) => x.type === "system" && x.payload.subtype === "restore_failed")).toBe(false);
    // (The fork's sandbox mounts its own workspace on /workspace, as a container does: the file
    // read is the restored copy, whose content is checked below.)
    expect(readTurn.find((x) => x.type === "tool_use")?.payload.input.file_path).toBe("/workspace/kept.txt");
    expect(JSON.stringify(readTurn.find((x) => x.type === "tool_result")?.payload.content)).toContain("forked files survive");

    // ...and recalls the word it was told in the source's conversation.
    const recalled = await turn(forkClient, "[[scenario:recall]]", "the fork's recall turn");
    expect(assistantText(recalled)).toContain("PELICAN");

    // The fork's own work stays in the fork.
    await turn(forkClient, '[[scenario:write path=fork-only.txt content="only in the fork"]]', "the fork's write turn");
    expect(existsSync(workspaceFile(source, "fork-only.txt"))).toBe(false);

    // The source is unchanged: still dormant, same record, no new events; woken, its conversation has none of the fork's prompts.
    const sourceAfter = (await call("GET", `/v1/sessions/${source}`)).body.session;
    expect(sourceAfter).toMatchObject({ status: "running", dormant: true, forked_from_session_id: null, name: "Word keeper" });
    // (runtime_seconds is wall time since the start of a live session: it grows while it sleeps.)
    expect({ ...sourceAfter.usage, runtime_seconds: 0 }).toEqual({ ...sourceBefore.usage, runtime_seconds: 0 });
    expect(client.stored().length).toBe(eventsBefore);
    const sourceRecall = await turn(client, "[[scenario:recall]]", "the source's recall turn");
    expect(assistantText(sourceRecall)).toContain("PELICAN");
    expect(assistantText(sourceRecall)).not.toContain("scenario:read path=kept.txt");
    client.close();

    // 410: the fork ends while awake (an approval it waits for keeps it from hibernating), so no
    // archive holds its last state; it cannot be forked.
    forkClient.send({ type: "prompt", payload: { text: '[[scenario:bash command="rm -f kept.txt"]]' } });
    await forkClient.until((f) => f.some((x) => x.type === "tool_approval_request"), "the fork's approval request", 90_000);
    expect((await call("DELETE", `/v1/sessions/${fork}`)).status).toBe(200);
    const endedPreflight = await call("GET", `/v1/sessions/${fork}/fork-preflight`);
    expect(endedPreflight.body).toMatchObject({ is_forkable: false, source_status: "ended" });
    const gone = await call("POST", `/v1/sessions/${fork}/fork`, {});
    expect(gone.status).toBe(410);
    expect(gone.body.error).toBe("archive_gone");
    forkClient.close();
  }, 420_000);

  it("the CLI's sessions fork: --check shows the preflight, a missing MCP server needs --acknowledge", async () => {
    const created = await call("POST", "/v1/sessions", {
      name: "Quiet",
      mcp_servers: { ghost: { type: "http", url: "http://127.0.0.1:9/mcp" } },
    });
    const source: string = created.body.session.id;
    // No prompt: it idles out and sleeps with an archive of an empty workspace and no conversation.
    const client = await Client.connect(platform.baseUrl, token, source);
    await client.until((f) => f.some((x) => x.type === "session_status" && x.payload.dormant === true), "dormant", 90_000);
    client.close();

    const check = await runCli(platform.baseUrl, token, ["sessions", "fork", source, "--check", "--json"]);
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout)).toMatchObject({ is_forkable: true, missing_mcps: ["ghost"], history_available: false });

    const refused = await runCli(platform.baseUrl, token, ["sessions", "fork", source]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--acknowledge ghost");

    const forked = await runCli(platform.baseUrl, token, [
      "sessions",
      "fork",
      source,
      "--acknowledge",
      "ghost",
      "--name",
      "From the CLI",
      "--json",
    ]);
    expect(forked.code, forked.stderr).toBe(0);
    expect(JSON.parse(forked.stdout).session).toMatchObject({ name: "From the CLI", forked_from_session_id: source });
  }, 240_000);
});
