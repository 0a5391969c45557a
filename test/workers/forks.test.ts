/**
 * Forking a session (docs/api.md §4): the preflight's answer, the fork's errors (404, 409, 410,
 * 412, 400) from their real triggers, and a fork that starts by restoring its own copy of the
 * source's archive and resuming the source's conversation with the forking profile's settings,
 * the source unchanged. The runner is simulated; test/node/e2e/fork.test.ts runs the real agent.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { fetchUrl } from "./files-helpers.ts";
import { ARCHIVE, answerArchive, idleOut, newRunner, until } from "./hibernation-helpers.ts";
import { clientSocket, createSession, recordedSandbox, runnerSocket, userWithKey } from "./session-helpers.ts";

/** A Claude Code session id, as the runner reports it. */
const CONVERSATION = "0b9d6c1e-5f7a-4c3b-9a2d-7e8f000000f1";
const VT = { virustotal: { type: "http", url: "https://mcp.example.com/vt", headers: { authorization: "Bearer vt-secret" } } };

async function record(token: string, id: string) {
  return (await call("GET", `/v1/sessions/${id}`, { token })).body.session;
}

/** The Claude Code session id the session's object stored. */
async function agentSessionOf(id: string): Promise<string | null> {
  const { runInDurableObject } = await import("cloudflare:test");
  return runInDurableObject(env.SESSION.get(env.SESSION.idFromName(id)), async (instance) => {
    return (instance as unknown as { state: { agentSessionId: string | null } }).state.agentSessionId;
  });
}

/** A session of `token`'s user that ran a turn's worth of conversation and went dormant. */
async function dormantSession(token: string, body: Record<string, unknown> = {}): Promise<string> {
  const id = await createSession(token, body);
  const runner = await runnerSocket(id);
  runner.send({ type: "agent_session", agent_session_id: CONVERSATION });
  await until(async () => (await agentSessionOf(id)) === CONVERSATION, "the conversation id stored");
  await idleOut(id);
  await answerArchive(runner);
  await until(async () => (await record(token, id)).dormant === true, "dormant");
  runner.close();
  return id;
}

describe("fork preflight", () => {
  it("reports a dormant session forkable, with the MCP servers the chosen profile lacks", async () => {
    const { token } = await userWithKey();
    const id = await dormantSession(token, { name: "Investigation", mcp_servers: VT });
    const preflight = await call("GET", `/v1/sessions/${id}/fork-preflight`, { token });
    expect(preflight.status, JSON.stringify(preflight.body)).toBe(200);
    expect(preflight.body).toEqual({
      source_session_id: id,
      source_session_type: "user",
      source_status: "running",
      source_name: "Investigation",
      source_lifetime_days: 3,
      default_fork_name: "Fork of Investigation",
      source_mcp_servers: ["virustotal"],
      missing_mcps: ["virustotal"],
      is_forkable: true,
      is_forkable_reason: "",
      history_available: true,
    });

    // A profile that has the server: nothing missing.
    const withVt = await call("POST", "/v1/profiles", { token, body: { name: "With VT", mcp_servers: VT } });
    expect(withVt.status).toBe(201);
    const chosen = await call("GET", `/v1/sessions/${id}/fork-preflight?profile_id=${withVt.body.profile.id}`, { token });
    expect(chosen.body).toMatchObject({ missing_mcps: [], is_forkable: true });
  });

  it("says why a running session, or one that ended awake, cannot be forked", async () => {
    const { token } = await userWithKey();
    const running = await createSession(token);
    const runner = await runnerSocket(running);
    const preflight = await call("GET", `/v1/sessions/${running}/fork-preflight`, { token });
    expect(preflight.body).toMatchObject({ is_forkable: false, history_available: false, source_status: "running" });
    expect(preflight.body.is_forkable_reason).toContain("running");

    expect((await call("DELETE", `/v1/sessions/${running}`, { token })).status).toBe(200);
    const ended = await call("GET", `/v1/sessions/${running}/fork-preflight`, { token });
    expect(ended.body).toMatchObject({ is_forkable: false, source_status: "ended" });
    expect(ended.body.is_forkable_reason).toContain("archive");
    runner.close();
  });

  it("answers 404 for another user's session and 400 for an unknown profile or query field", async () => {
    const owner = await userWithKey();
    const other = await userWithKey();
    const id = await dormantSession(owner.token);
    const foreign = await call("GET", `/v1/sessions/${id}/fork-preflight`, { token: other.token });
    expect(foreign.status).toBe(404);
    expect(foreign.body.error).toBe("not_found");
    const unknown = await call("GET", `/v1/sessions/${id}/fork-preflight?profile_id=nope`, { token: owner.token });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error).toBe("profile_not_found");
    const junk = await call("GET", `/v1/sessions/${id}/fork-preflight?profle_id=x`, { token: owner.token });
    expect(junk.status).toBe(400);
  });
});

describe("fork", () => {
  it("412 until the missing MCP servers are acknowledged; then a new dormant session restores a copy and resumes the conversation", async () => {
    const { token } = await userWithKey();
    const source = await dormantSession(token, { name: "Investigation", mcp_servers: VT, permission_mode: "plan" });
    const before = await record(token, source);

    const refused = await call("POST", `/v1/sessions/${source}/fork`, { token, body: {} });
    expect(refused.status).toBe(412);
    expect(refused.body.error).toBe("missing_mcps_not_acknowledged");
    expect(refused.body.message).toContain("virustotal");

    const forked = await call("POST", `/v1/sessions/${source}/fork`, {
      token,
      body: { acknowledge_missing_tools: ["virustotal"], initial_prompt: "carry on" },
    });
    expect(forked.status, JSON.stringify(forked.body)).toBe(201);
    const fork = forked.body.session;
    expect(fork).toMatchObject({ name: "Fork of Investigation", forked_from_session_id: source, status: "starting", dormant: true });
    expect(fork.id).not.toBe(source);
    // The forking (default) profile's settings, not the source's.
    expect(fork.profile).toMatchObject({ permission_mode: "acceptEdits", mcp_servers: {} });
    expect((await call("GET", `/v1/sessions/${fork.id}`, { token })).body.session.forked_from_session_id).toBe(source);

    // The fork's sandbox restores its own copy of the archive first, then resumes the source's conversation.
    const runner = await newRunner(fork.id, "fork-runner");
    const restore = await runner.next("restore");
    expect(restore.url).toContain(`/v1/io/blobs/sessions/${fork.id}/archive/`);
    expect(restore.size).toBe(ARCHIVE.byteLength);
    const bytes = await fetchUrl(restore.url);
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(ARCHIVE);
    expect(runner.frames.some((f) => f.type === "configure")).toBe(false);
    runner.send({ type: "archive_result", transfer_id: restore.transfer_id, op: "restore", ok: true, size: ARCHIVE.byteLength });
    const configure = await runner.next("configure");
    expect(configure.settings).toMatchObject({ resume_agent_session_id: CONVERSATION, mcp_servers: {}, permission_mode: "default" });
    expect((await runner.next("prompt")).text).toBe("carry on");
    await until(async () => (await record(token, fork.id)).dormant === false, "fork awake");
    const client = await clientSocket(fork.id, token);
    const history = await client.next("history");
    expect(history.payload.messages.some((m: any) => m.type === "system" && m.payload.subtype === "forked")).toBe(true);

    // The source is as it was: dormant, its archive in place, not a fork.
    const after = await record(token, source);
    expect(after).toMatchObject({ status: "running", dormant: true, forked_from_session_id: null, name: "Investigation" });
    expect(after.usage).toEqual({ ...before.usage, runtime_seconds: after.usage.runtime_seconds });
    expect(await env.FILES.head(`sessions/${source}/archive/latest/workspace.tar.gz`)).not.toBeNull();
    expect((await recordedSandbox(source)).starts).toBe(1);
    runner.close();
    client.close();
  });

  it("forks a session that ended while dormant, with the given name and profile", async () => {
    const { token } = await userWithKey();
    const source = await dormantSession(token);
    expect((await call("DELETE", `/v1/sessions/${source}`, { token })).status).toBe(200);
    const profile = await call("POST", "/v1/profiles", { token, body: { name: "Planner", permission_mode: "plan", max_turns: 7 } });
    const forked = await call("POST", `/v1/sessions/${source}/fork`, {
      token,
      body: { name: "Second look", profile_id: profile.body.profile.id },
    });
    expect(forked.status, JSON.stringify(forked.body)).toBe(201);
    expect(forked.body.session).toMatchObject({
      name: "Second look",
      profile_id: profile.body.profile.id,
      profile: { permission_mode: "plan", max_turns: 7 },
      forked_from_session_id: source,
    });
    expect((await record(token, source)).status).toBe("ended");
  });

  it("409 while the source runs, 410 once it ended awake or its archive is gone, 404 for another user", async () => {
    const { token } = await userWithKey();
    const running = await createSession(token);
    const runner = await runnerSocket(running);
    const busy = await call("POST", `/v1/sessions/${running}/fork`, { token, body: {} });
    expect(busy.status).toBe(409);
    expect(busy.body.error).toBe("session_not_forkable");

    expect((await call("DELETE", `/v1/sessions/${running}`, { token })).status).toBe(200);
    const endedAwake = await call("POST", `/v1/sessions/${running}/fork`, { token, body: {} });
    expect(endedAwake.status).toBe(410);
    expect(endedAwake.body.error).toBe("archive_gone");
    runner.close();

    const dormant = await dormantSession(token);
    await env.FILES.delete(`sessions/${dormant}/archive/latest/workspace.tar.gz`);
    const gone = await call("POST", `/v1/sessions/${dormant}/fork`, { token, body: {} });
    expect(gone.status).toBe(410);
    expect(gone.body.error).toBe("archive_gone");

    const other = await userWithKey();
    const foreign = await call("POST", `/v1/sessions/${dormant}/fork`, { token: other.token, body: {} });
    expect(foreign.status).toBe(404);
  });

  it("rejects an unknown body field, an unknown profile, and a user without a credential", async () => {
    const { token } = await userWithKey();
    const source = await dormantSession(token);
    const typo = await call("POST", `/v1/sessions/${source}/fork`, { token, body: { nmae: "x" } });
    expect(typo.status).toBe(400);
    const noProfile = await call("POST", `/v1/sessions/${source}/fork`, { token, body: { profile_id: "nope" } });
    expect(noProfile.status).toBe(400);
    expect(noProfile.body.error).toBe("profile_not_found");
    expect((await call("DELETE", "/v1/auth/claude", { token })).status).toBe(200);
    const noKey = await call("POST", `/v1/sessions/${source}/fork`, { token, body: {} });
    expect(noKey.status).toBe(403);
    expect(noKey.body.error).toBe("no_credentials");
  });

  it("is in the OpenAPI document", async () => {
    const doc = await call("GET", "/openapi");
    expect(doc.body.paths["/v1/sessions/{id}/fork"].post.responses["201"]).toBeDefined();
    expect(doc.body.paths["/v1/sessions/{id}/fork-preflight"].get).toBeDefined();
  });
});
