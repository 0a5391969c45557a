/**
 * The TypeScript SDK against the real platform (wrangler dev, the runner, Claude Code and the
 * scripted model): every REST method, errors as AiSessionsError, and the session WebSocket
 * streaming, resuming after a dropped connection, and approving a tool.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  AiSessionsError,
  createClient,
  createSessionWebSocket,
  type AiSessionsClient,
  type EventContext,
  type ServerEnvelope,
  type Session,
  type SessionSocket,
  type StoredEnvelope,
  type UnknownFrame,
} from "../../../sdk/index.ts";
import { E2E_API_KEY, e2eToken, startE2EPlatform, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform;

beforeAll(async () => {
  platform = await startE2EPlatform();
}, 120_000);

afterAll(async () => {
  await platform?.stop();
});

/** A client for a fresh user (not registered yet). */
async function freshClient(): Promise<AiSessionsClient> {
  return createClient({ baseUrl: platform.baseUrl, token: await e2eToken() });
}

/** A client for a fresh user, registered and with the e2e API key stored. */
async function readyClient(): Promise<AiSessionsClient> {
  const client = await freshClient();
  await client.register();
  await client.auth.setApiKey(E2E_API_KEY);
  return client;
}

/** The error a promise rejects with. */
async function failure(promise: Promise<unknown>): Promise<AiSessionsError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AiSessionsError);
  return error as AiSessionsError;
}

async function until(check: () => boolean, what: string, timeoutMs = 45_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Polls a session's record until `check` holds. */
async function settled(client: AiSessionsClient, id: string, check: (session: Session) => boolean): Promise<Session> {
  const deadline = Date.now() + 45_000;
  let record = await client.sessions.get(id);
  while (!check(record)) {
    if (Date.now() > deadline) throw new Error(`session ${id} did not settle: ${JSON.stringify(record)}`);
    await new Promise((r) => setTimeout(r, 200));
    record = await client.sessions.get(id);
  }
  return record;
}

/** Records what a socket delivers. */
class Recorder {
  readonly events: { frame: ServerEnvelope | UnknownFrame; ctx: EventContext }[] = [];
  /** Stored events delivered live or replayed, in delivery order. */
  stored(): { seq: number; type: string }[] {
    return this.events.filter((e) => e.ctx.seq !== null).map((e) => ({ seq: e.ctx.seq!, type: e.frame.type }));
  }
  live(type: string): (ServerEnvelope | UnknownFrame)[] {
    return this.events.filter((e) => e.frame.type === type && !e.ctx.replayed).map((e) => e.frame);
  }
  readonly any = (frame: ServerEnvelope | UnknownFrame, ctx: EventContext) => this.events.push({ frame, ctx });
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}

describe("REST", () => {
  it("service, registration and Claude credentials", async () => {
    const client = await freshClient();
    expect(await client.health()).toMatchObject({ ok: true });
    expect(Object.keys((await client.openapi()).paths)).toContain("/v1/sessions");

    // The credential routes register the caller on the way (the product's client never registers first).
    // The e2e platform runs the scripted model, and says so.
    const NO_CREDENTIAL = { has_credentials: false, credential_type: null, created_at: null, simulated_model: true };
    expect(await client.auth.credentialStatus()).toEqual(NO_CREDENTIAL);
    const first = await client.register();
    expect((await client.register()).registered_at).toBe(first.registered_at);
    expect(await client.auth.credentialStatus()).toEqual(NO_CREDENTIAL);

    // A validation error of the server surfaces with its code and message.
    const invalid = await failure(client.auth.setApiKey("not-a-key"));
    expect(invalid).toMatchObject({ status: 400, code: "invalid_request" });
    expect(invalid.message).toContain("sk-ant-");

    expect(await client.auth.setApiKey(E2E_API_KEY)).toMatchObject({ success: true, credential_type: "api_key" });
    expect(await client.auth.credentialStatus()).toMatchObject({ has_credentials: true, credential_type: "api_key" });

    const started = await client.auth.startOAuth();
    expect(started.expires_in).toBe(300);
    const url = await client.auth.oauthUrl(started.oauth_session_id);
    expect(url.status).toBe("ready");
    expect(url.url).toMatch(/^https?:\/\//);
    expect(await failure(client.auth.submitOAuthCode(started.oauth_session_id, "some-code#not-the-state"))).toMatchObject({
      status: 400,
      code: "oauth_state_mismatch",
    });
    expect(await failure(client.auth.oauthUrl("unknown-flow-id"))).toMatchObject({ status: 404 });

    expect(await client.auth.deleteCredential()).toEqual({ deleted: true });
    expect(await client.auth.deleteCredential()).toEqual({ deleted: false });
    expect((await client.auth.credentialStatus()).has_credentials).toBe(false);

    expect(await client.deregister()).toEqual({ deregistered: true });
    expect(await failure(client.profiles.list())).toMatchObject({ code: "not_registered" });
  });

  it("profiles: list, create, get, update, set default, delete", async () => {
    const client = await readyClient();
    const starters = await client.profiles.list();
    expect(starters.map((p) => p.name)).toEqual(["Default", "Full Permissions"]);

    const created = await client.profiles.create({ name: "Investigation", allowed_tools: ["Read", "Bash(ls:*)"], max_turns: 5 });
    expect(created).toMatchObject({ name: "Investigation", is_default: false, max_turns: 5, permission_mode: "acceptEdits" });
    expect(await client.profiles.get(created.id)).toEqual(created);
    const updated = await client.profiles.update(created.id, { max_turns: null, description: "triage" });
    expect(updated).toMatchObject({ max_turns: null, description: "triage" });
    expect(await client.profiles.setDefault(created.id)).toMatchObject({ id: created.id, is_default: true });
    expect(await failure(client.profiles.delete(created.id))).toMatchObject({ status: 409, code: "default_profile" });
    expect(await failure(client.profiles.create({ name: "Investigation" }))).toMatchObject({ status: 409, code: "profile_name_taken" });
    expect(await failure(client.profiles.create({ name: "typo", allowed_tool: ["Read"] } as never))).toMatchObject({
      status: 400,
      code: "invalid_request",
    });

    await client.profiles.setDefault(starters[0]!.id);
    expect(await client.profiles.delete(created.id)).toEqual({ deleted: true });
    expect(await failure(client.profiles.get(created.id))).toMatchObject({ status: 404, code: "not_found" });
  });

  it("sessions: create (idempotent key), list pages, get, history, terminate, delete the record", async () => {
    const client = await readyClient();
    const a = await client.sessions.create({
      name: "first",
      idempotent_key: "job-1",
      permission_mode: "bypassPermissions",
      initial_prompt: "[[scenario:text text=hello]]",
    });
    expect(a).toMatchObject({ name: "first", status: "starting" });
    expect((await client.sessions.create({ idempotent_key: "job-1" })).id).toBe(a.id);
    const b = await client.sessions.create({ name: "second" });
    const c = await client.sessions.create({ name: "third" });
    expect(await failure(client.sessions.create({ plugins: ["nope"] }))).toMatchObject({ status: 400, code: "unknown_plugin" });

    const pages = await collect(client.sessions.pages({ limit: 1 }));
    expect(pages.length).toBe(3);
    expect(pages.flatMap((p) => p.sessions.map((s) => s.id))).toEqual([c.id, b.id, a.id]);
    expect((await collect(client.sessions.all({ limit: 2 }))).map((s) => s.id)).toEqual([c.id, b.id, a.id]);
    expect((await client.sessions.list({ status: "ended" })).sessions).toEqual([]);

    const record = await settled(client, a.id, (s) => s.usage.turns >= 1);
    expect(record).toMatchObject({ id: a.id, status: "running", profile: { permission_mode: "bypassPermissions" } });

    const firstPage = await client.sessions.history(a.id, { limit: 2 });
    expect(firstPage.messages.map((m) => m.seq)).toEqual([1, 2]);
    expect(firstPage.next_after_seq).toBe(2);
    const all: StoredEnvelope[] = await collect(client.sessions.historyAll(a.id, { limit: 3 }));
    expect(all.map((m) => m.seq)).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.some((m) => m.type === "assistant" && JSON.stringify(m.payload).includes("hello"))).toBe(true);
    expect((await collect(client.sessions.historyAll(a.id, { afterSeq: 3 })))[0]?.seq).toBe(4);

    expect(await failure(client.sessions.deleteRecord(a.id))).toMatchObject({ status: 409, code: "session_not_ended" });
    expect(await client.sessions.terminate(a.id)).toEqual({ terminated: true });
    expect(await client.sessions.get(a.id)).toMatchObject({ status: "ended", end_reason: "user_requested" });
    expect((await client.sessions.list({ status: "ended" })).sessions.map((s) => s.id)).toEqual([a.id]);
    expect(await client.sessions.deleteRecord(a.id)).toEqual({ deleted: true });
    expect(await failure(client.sessions.get(a.id))).toMatchObject({ status: 404 });
    for (const s of [b, c]) await client.sessions.terminate(s.id);
  });

  it("files: upload with progress, then download the same bytes", async () => {
    const client = await readyClient();
    const session = await client.sessions.create({ permission_mode: "bypassPermissions", initial_prompt: "[[scenario:text text=ready]]" });
    await settled(client, session.id, (s) => s.status === "running" && s.usage.turns >= 1);
    const bytes = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const up: number[] = [];
    const done = await client.files.upload(session.id, bytes, { filename: "data.bin", onProgress: (p) => up.push(p.loaded) });
    expect(done).toMatchObject({ success: true, path: "/workspace/uploads/data.bin" });
    expect(up.at(-1)).toBe(bytes.length);
    const onDisk = readFileSync(path.join(platform.sandbox.root, session.id, "workspace", "uploads", "data.bin"));
    expect(Buffer.compare(onDisk, Buffer.from(bytes))).toBe(0);

    const down: number[] = [];
    const back = await client.files.downloadBytes(session.id, "/workspace/uploads/data.bin", { onProgress: (p) => down.push(p.loaded) });
    expect(Buffer.compare(Buffer.from(back), Buffer.from(bytes))).toBe(0);
    expect(down.at(-1)).toBe(bytes.length);
    expect(await failure(client.files.requestDownload(session.id, "/etc/passwd"))).toMatchObject({ status: 400, code: "invalid_path" });
    await client.sessions.terminate(session.id);
  });
});

describe("session WebSocket", () => {
  it("streams a turn to per-type handlers, with history expanded and seqs gap-free", async () => {
    const client = await readyClient();
    const session = await client.sessions.create({ permission_mode: "bypassPermissions" });
    const recorder = new Recorder();
    const texts: string[] = [];
    let result: unknown = null;
    let history = 0;
    const socket = client.connect(session.id, {
      handlers: {
        any: recorder.any,
        history: () => history++,
        assistant: (payload) => texts.push(JSON.stringify(payload.content)),
        tool_result: (payload) => texts.push(String(payload.content)),
        result: (payload) => (result = payload),
      },
    });
    await socket.opened;
    socket.prompt('[[scenario:bash command="echo streamed-by-sdk"]]');
    await until(() => result !== null, "result");
    expect(history).toBe(1);
    expect(recorder.events.some((e) => e.ctx.replayed)).toBe(true);
    const stored = recorder.stored();
    expect(stored.map((e) => e.seq)).toEqual(Array.from({ length: stored.length }, (_, i) => i + 1));
    for (const type of ["user", "tool_use", "tool_result", "assistant", "result"]) expect(stored.map((e) => e.type)).toContain(type);
    expect(texts.join("\n")).toContain("streamed-by-sdk");
    expect(result).toMatchObject({ success: true });
    expect(socket.lastSeq).toBe(stored.at(-1)!.seq);
    socket.close();
    expect((await socket.closed).code).toBe(1000);
  });

  it("a socket killed mid-turn reconnects with after_seq and delivers every event exactly once", async () => {
    const client = await readyClient();
    const session = await client.sessions.create({ permission_mode: "bypassPermissions" });
    const sockets: { url: string; ws: WebSocket }[] = [];
    // The `ws` package's WebSocket, so the test can drop the connection like a lost network.
    class Tracked extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push({ url, ws: this });
      }
    }
    const recorder = new Recorder();
    const reconnecting: (number | null)[] = [];
    let results = 0;
    const socket = createSessionWebSocket({
      baseUrl: platform.baseUrl,
      token: client.transport.token.bind(client.transport),
      sessionId: session.id,
      WebSocket: Tracked,
      reconnect: { minDelayMs: 50, maxDelayMs: 500 },
      handlers: { any: recorder.any, result: () => results++, reconnecting: (info) => reconnecting.push(info.afterSeq) },
    });
    await socket.opened;
    socket.prompt("[[scenario:multi rounds=4]]");
    await until(() => recorder.live("tool_use").length >= 1, "the first tool call");
    const seenBeforeKill = socket.lastSeq!;
    sockets[0]!.ws.terminate();
    // A prompt sent while disconnected is queued and delivered after the reconnect.
    socket.prompt("[[scenario:text text=after-the-drop]]");
    await until(() => results >= 2, "both results");

    expect(reconnecting.length).toBeGreaterThanOrEqual(1);
    expect(reconnecting[0]).toBeGreaterThanOrEqual(seenBeforeKill);
    expect(new URL(sockets[1]!.url).searchParams.get("after_seq")).toBe(String(reconnecting[0]));
    const delivered = recorder.stored();
    const seqs = delivered.map((e) => e.seq);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1)); // no gap, no duplicate
    const logged = await collect(client.sessions.historyAll(session.id));
    expect(delivered).toEqual(logged.slice(0, delivered.length).map((m) => ({ seq: m.seq, type: m.type })));
    expect(recorder.live("tool_result").length).toBe(4);
    expect(JSON.stringify(recorder.live("assistant"))).toContain("after-the-drop");
    socket.close();
  });

  it("approves and denies tool calls through the SDK (acceptEdits asks for Bash)", async () => {
    const client = await readyClient();
    const session = await client.sessions.create({ permission_mode: "acceptEdits" });
    const recorder = new Recorder();
    let decision: "approve" | "deny" = "approve";
    let socket!: SessionSocket;
    socket = client.connect(session.id, {
      handlers: {
        any: recorder.any,
        tool_approval_request: (payload, ctx) => {
          if (ctx.replayed) return;
          if (decision === "approve") socket.approve(payload.tool_use_id, { scope: "once" });
          else socket.deny(payload.tool_use_id, "not today");
        },
      },
    });
    socket.prompt('[[scenario:bash command="touch sdk-approved.txt && echo approved-run"]]');
    await until(() => recorder.live("result").length === 1, "the approved turn");
    expect(recorder.live("tool_approval_request")).toHaveLength(1);
    expect(recorder.live("tool_result")[0]).toMatchObject({ payload: { is_error: false } });
    expect(JSON.stringify(recorder.live("tool_result")[0])).toContain("approved-run");
    expect(readFileSync(path.join(platform.sandbox.root, session.id, "workspace", "sdk-approved.txt"), "utf8")).toBe("");

    decision = "deny";
    socket.prompt('[[scenario:bash command="touch sdk-denied.txt"]]');
    await until(() => recorder.live("result").length === 2, "the denied turn");
    expect(recorder.live("tool_approval_request")).toHaveLength(2);
    expect(recorder.live("tool_result")[1]).toMatchObject({ payload: { is_error: true } });
    socket.close();
  });

  it("stops for good when the session ends (4100) and does not retry an unknown session", async () => {
    const client = await readyClient();
    const session = await client.sessions.create({ permission_mode: "bypassPermissions" });
    const reconnects: unknown[] = [];
    let ended: unknown = null;
    const socket = client.connect(session.id, { handlers: { session_end: (p) => (ended = p), reconnecting: (i) => reconnects.push(i) } });
    await socket.opened;
    await client.sessions.terminate(session.id);
    const closed = await socket.closed;
    expect(closed).toMatchObject({ code: 4100, willReconnect: false });
    expect(ended).toMatchObject({ reason: "user_requested" });
    expect(reconnects).toEqual([]);

    const stranger = createSessionWebSocket({ baseUrl: platform.baseUrl, token: await e2eToken(), sessionId: session.id });
    await expect(stranger.opened).rejects.toBeInstanceOf(AiSessionsError);
    expect((await stranger.closed).willReconnect).toBe(false);
    const unknown = client.connect("no-such-session-id");
    const gone = await unknown.closed;
    expect(gone).toMatchObject({ code: 4004, willReconnect: false });
    expect(gone.error).toMatchObject({ status: 404 });
  });
});
