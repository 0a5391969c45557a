/**
 * The SDK's request core and socket logic without a platform: retry policy, Retry-After, error
 * mapping, schema drift detection, seq de-duplication and reconnect decisions, driven by a fake
 * fetch and a fake WebSocket.
 */
import { describe, expect, it } from "vitest";
import { AiSessionsError, createClient, createSessionWebSocket, type WebSocketLike } from "../../sdk/index.ts";
import { parseRetryAfter } from "../../client-core/retry.ts";
import { SeqTracker } from "../../client-core/seq-tracker.ts";

const BASE = "http://platform.test";
const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
const STATUS = { has_credentials: true, credential_type: "api_key", created_at: "2026-01-01T00:00:00.000Z", simulated_model: false };

/** A fetch that answers from a script, recording each call. */
function scriptedFetch(...answers: (Response | Error)[]) {
  const calls: { url: string; method: string; at: number }[] = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), method: init?.method ?? "GET", at: Date.now() });
    const next = answers.shift();
    if (!next) throw new Error("no scripted answer left");
    if (next instanceof Error) throw next;
    return next;
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

describe("REST core", () => {
  it("retries an idempotent GET after a network error and a 503, then validates the answer", async () => {
    const { fetch, calls } = scriptedFetch(
      new TypeError("fetch failed"),
      json(503, { error: "unavailable", message: "try later" }),
      json(200, STATUS),
    );
    const client = createClient({ baseUrl: `${BASE}/`, token: "t", fetch, retry: { retries: 3, minDelayMs: 1 } });
    expect(await client.auth.credentialStatus()).toEqual(STATUS);
    expect(calls.map((c) => c.url)).toEqual(Array(3).fill(`${BASE}/v1/auth/claude/status`));
  });

  it("does not retry a non-idempotent POST, and surfaces the server's error code", async () => {
    const { fetch, calls } = scriptedFetch(json(503, { error: "unavailable", message: "try later" }), json(200, {}));
    const client = createClient({ baseUrl: BASE, token: "t", fetch, retry: { retries: 3, minDelayMs: 1 } });
    const error = await client.auth.startOAuth().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AiSessionsError);
    expect(error).toMatchObject({ status: 503, code: "unavailable", message: "try later", retryAfter: null });
    expect(calls).toHaveLength(1);
  });

  it("waits what Retry-After asks on a 429 before retrying", async () => {
    const { fetch, calls } = scriptedFetch(
      json(429, { error: "rate_limited", message: "slow down" }, { "retry-after": "1" }),
      json(200, STATUS),
    );
    const client = createClient({ baseUrl: BASE, token: "t", fetch, retry: { retries: 1, minDelayMs: 1 } });
    await client.auth.credentialStatus();
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it("throws at once when Retry-After is longer than the caller allows", async () => {
    const { fetch, calls } = scriptedFetch(json(429, { error: "rate_limited", message: "slow down" }, { "retry-after": "60" }));
    const client = createClient({ baseUrl: BASE, token: "t", fetch, retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5_000 } });
    await expect(client.sessions.list()).rejects.toMatchObject({ status: 429, code: "rate_limited", retryAfter: 60 });
    expect(calls).toHaveLength(1);
  });

  it("reports an answer that drifted from the schema as invalid_response", async () => {
    const { fetch } = scriptedFetch(json(200, { has_credentials: "yes" }));
    const client = createClient({ baseUrl: BASE, token: "t", fetch });
    await expect(client.auth.credentialStatus()).rejects.toMatchObject({ status: 200, code: "invalid_response" });
  });

  it("maps a non-JSON error page to http_<status>, and sends the bearer token from a function", async () => {
    let seen = "";
    const fetch = (async (_url: string, init: RequestInit) => {
      seen = new Headers(init.headers).get("authorization") ?? "";
      return new Response("<html>bad gateway</html>", { status: 502 });
    }) as unknown as typeof globalThis.fetch;
    const client = createClient({ baseUrl: BASE, token: async () => "fresh", fetch, retry: { retries: 0 } });
    await expect(client.health()).rejects.toMatchObject({ status: 502, code: "http_502" });
    expect(seen).toBe("Bearer fresh");
  });

  it("asks the fork preflight for a profile, and never repeats a fork (a retry could make a second one)", async () => {
    const preflight = {
      source_session_id: "s1",
      source_session_type: "user",
      source_status: "ended",
      source_name: null,
      source_lifetime_days: 3,
      default_fork_name: "Fork of s1",
      source_mcp_servers: [],
      missing_mcps: [],
      is_forkable: true,
      is_forkable_reason: "",
      history_available: true,
    };
    const { fetch, calls } = scriptedFetch(json(200, preflight), new TypeError("fetch failed"));
    const client = createClient({ baseUrl: BASE, token: "t", fetch, retry: { retries: 3, minDelayMs: 1 } });
    expect(await client.sessions.forkPreflight("s1", "p1")).toEqual(preflight);
    expect(calls[0]!.url).toBe(`${BASE}/v1/sessions/s1/fork-preflight?profile_id=p1`);
    await expect(client.sessions.fork("s1", { acknowledge_missing_tools: ["vt"] })).rejects.toMatchObject({ code: "network_error" });
    expect(calls.map((c) => c.method)).toEqual(["GET", "POST"]);
  });

  it("walks cursor pages lazily", async () => {
    const summary = (id: string) => ({
      id,
      name: null,
      status: "ended",
      ui_state: "Ended",
      needs_attention: false,
      dormant: false,
      created_at: "2026-01-01T00:00:00.000Z",
      started_at: "2026-01-01T00:00:01.000Z",
      terminated_at: null,
      end_reason: null,
      allowed_tools: [],
      denied_tools: [],
      exit_code: null,
      region: "local",
      lc_auth_type: "jwt",
    });
    const { fetch, calls } = scriptedFetch(
      json(200, { sessions: [summary("a"), summary("b")], next_cursor: "c1" }),
      json(200, { sessions: [summary("c")], next_cursor: null }),
    );
    const client = createClient({ baseUrl: BASE, token: "t", fetch });
    const ids: string[] = [];
    for await (const session of client.sessions.all({ status: "ended", limit: 2 })) ids.push(session.id);
    expect(ids).toEqual(["a", "b", "c"]);
    expect(new URL(calls[1]!.url).searchParams.get("cursor")).toBe("c1");
    expect(new URL(calls[1]!.url).searchParams.get("status")).toBe("ended");
  });

  it("parses Retry-After as seconds or an HTTP date", () => {
    expect(parseRetryAfter("3")).toBe(3);
    expect(parseRetryAfter(new Date(Date.now() + 5_000).toUTCString())).toBeGreaterThanOrEqual(4);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter("soon")).toBeNull();
  });
});

describe("seq tracking", () => {
  it("delivers the next seq, drops repeats, flags gaps", () => {
    const seq = new SeqTracker(4);
    expect(seq.check(5)).toBe("deliver");
    seq.advance(5);
    expect(seq.check(5)).toBe("duplicate");
    expect(seq.check(3)).toBe("duplicate");
    expect(seq.check(7)).toBe("gap");
    expect(new SeqTracker().check(42)).toBe("deliver");
  });
});

/** A WebSocket double: the test plays the server. */
class FakeSocket implements WebSocketLike {
  static all: FakeSocket[] = [];
  readyState = 0;
  readonly url: string;
  readonly sent: string[] = [];
  readonly #listeners = new Map<string, ((event: any) => void)[]>();

  constructor(url: string) {
    this.url = url;
    FakeSocket.all.push(this);
  }
  addEventListener(type: string, listener: (event: any) => void): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  send(data: string): void {
    this.sent.push(data);
  }
  close(code = 1000, reason = ""): void {
    this.serverClose(code, reason);
  }
  emit(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) listener(event);
  }
  open(): void {
    this.readyState = 1;
    this.emit("open", {});
  }
  frame(type: string, seq: number | null, payload: unknown): void {
    this.emit("message", { data: JSON.stringify({ type, seq, payload, timestamp: new Date().toISOString(), session_id: "s1" }) });
  }
  serverClose(code: number, reason = ""): void {
    this.readyState = 3;
    this.emit("close", { code, reason });
  }
}

const status = (ui: string) => ({ status: "running", ui_state: ui, needs_attention: false, dormant: false });
const until = async (check: () => boolean, what: string) => {
  const deadline = Date.now() + 3_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** A fetch that answers `POST /v1/ws-ticket` with numbered tickets and hands other calls to `inner`. */
function withTickets(inner: typeof fetch = (() => Promise.reject(new Error("unexpected call"))) as typeof fetch): typeof fetch {
  let issued = 0;
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    if (!String(input).endsWith("/v1/ws-ticket")) return inner(input, init);
    return Response.json({ ticket: `wst_${++issued}`, expires_at: new Date(Date.now() + 30_000).toISOString() });
  }) as typeof fetch;
}

describe("session socket", () => {
  it("resumes after an unexpected close with after_seq, dropping replayed duplicates; queued prompts go out on reconnect", async () => {
    FakeSocket.all = [];
    const seen: (number | null)[] = [];
    const reconnects: (number | null)[] = [];
    // Each connection asks for a fresh single-use ticket; the token itself never goes in a URL.
    let tickets = 0;
    const ticketFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      expect(String(input)).toBe("https://platform.test/v1/ws-ticket");
      expect(new Headers(init?.headers).get("authorization")).toBe("Bearer jwt");
      expect(JSON.parse(String(init?.body))).toEqual({ session_id: "s1" });
      return Response.json({ ticket: `wst_${++tickets}`, expires_at: new Date(Date.now() + 30_000).toISOString() });
    }) as typeof fetch;
    const socket = createSessionWebSocket({
      baseUrl: "https://platform.test",
      token: "jwt",
      sessionId: "s1",
      fetch: ticketFetch,
      WebSocket: FakeSocket,
      reconnect: { minDelayMs: 1, maxDelayMs: 5 },
      handlers: { session_status: (_p, ctx) => seen.push(ctx.seq), reconnecting: (info) => reconnects.push(info.afterSeq) },
    });
    await until(() => FakeSocket.all.length === 1, "first socket");
    const first = FakeSocket.all[0]!;
    expect(first.url).toBe("wss://platform.test/v1/ws/sessions/s1?ticket=wst_1");
    first.open();
    first.emit("message", {
      data: JSON.stringify({
        type: "history",
        seq: null,
        payload: {
          messages: [{ type: "session_status", seq: 1, payload: status("Running"), timestamp: new Date().toISOString(), session_id: "s1" }],
        },
        timestamp: new Date().toISOString(),
        session_id: "s1",
      }),
    });
    first.frame("session_status", 2, status("Waiting"));
    first.serverClose(1006);
    socket.prompt("while away");
    await until(() => FakeSocket.all.length === 2, "reconnect");
    const second = FakeSocket.all[1]!;
    expect(new URL(second.url).searchParams.get("after_seq")).toBe("2");
    expect(new URL(second.url).searchParams.get("ticket")).toBe("wst_2");
    second.open();
    expect(second.sent.map((s) => JSON.parse(s))).toEqual([{ type: "prompt", payload: { text: "while away" } }]);
    second.frame("session_status", 2, status("Waiting")); // a repeat: dropped
    second.frame("session_status", 3, status("Running"));
    expect(seen).toEqual([1, 2, 3]);
    expect(reconnects).toEqual([2]);
    socket.close();
    expect((await socket.closed).code).toBe(1000);
  });

  it("drops a connection that skips a seq and resumes from the last delivered one", async () => {
    FakeSocket.all = [];
    const seen: (number | null)[] = [];
    const socket = createSessionWebSocket({
      baseUrl: BASE,
      token: "jwt",
      sessionId: "s1",
      afterSeq: 10,
      fetch: withTickets(),
      WebSocket: FakeSocket,
      reconnect: { minDelayMs: 1, maxDelayMs: 5 },
      handlers: { any: (_f, ctx) => seen.push(ctx.seq) },
    });
    await until(() => FakeSocket.all.length === 1, "first socket");
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.frame("session_status", 11, status("Running"));
    FakeSocket.all[0]!.frame("session_status", 13, status("Running"));
    await until(() => FakeSocket.all.length === 2, "resume after the gap");
    expect(new URL(FakeSocket.all[1]!.url).searchParams.get("after_seq")).toBe("11");
    FakeSocket.all[1]!.open();
    FakeSocket.all[1]!.frame("session_status", 12, status("Running"));
    FakeSocket.all[1]!.frame("session_status", 13, status("Waiting"));
    expect(seen).toEqual([11, 12, 13]);
    socket.close();
  });

  it("does not reconnect after 4100 (ended), and passes unknown event types to `any` only", async () => {
    FakeSocket.all = [];
    const types: string[] = [];
    const socket = createSessionWebSocket({
      baseUrl: BASE,
      token: "jwt",
      sessionId: "s1",
      afterSeq: 0,
      fetch: withTickets(),
      WebSocket: FakeSocket,
      reconnect: { minDelayMs: 1 },
      handlers: { any: (f) => types.push(f.type) },
    });
    await until(() => FakeSocket.all.length === 1, "socket");
    FakeSocket.all[0]!.open();
    FakeSocket.all[0]!.frame("brand_new_event", 1, { anything: true });
    FakeSocket.all[0]!.frame("session_end", 2, { reason: "user_requested", detail: null });
    FakeSocket.all[0]!.serverClose(4100, "session ended");
    const closed = await socket.closed;
    expect(closed).toMatchObject({ code: 4100, willReconnect: false });
    expect(closed.error).toBeUndefined();
    expect(types).toEqual(["brand_new_event", "session_end"]);
    await new Promise((r) => setTimeout(r, 30));
    expect(FakeSocket.all).toHaveLength(1);
    expect(() => socket.prompt("too late")).toThrow(AiSessionsError);
  });

  it("treats a refused upgrade (an error without a close event, as Node 22 reports it) as final after asking REST why", async () => {
    FakeSocket.all = [];
    const { fetch, calls } = scriptedFetch(json(404, { error: "not_found", message: "session not found" }));
    const socket = createSessionWebSocket({
      baseUrl: BASE,
      token: "jwt",
      sessionId: "gone",
      WebSocket: FakeSocket,
      fetch: withTickets(fetch),
      reconnect: { minDelayMs: 1 },
    });
    await until(() => FakeSocket.all.length === 1, "socket");
    FakeSocket.all[0]!.readyState = 3;
    FakeSocket.all[0]!.emit("error", {});
    const closed = await socket.closed;
    expect(closed).toMatchObject({ code: 4004, willReconnect: false, error: { status: 404, code: "not_found" } });
    await expect(socket.opened).rejects.toMatchObject({ code: "not_found" });
    expect(calls.map((c) => c.url)).toEqual([`${BASE}/v1/sessions/gone`]);
    expect(FakeSocket.all).toHaveLength(1);
  });

  it("validates client frames locally", () => {
    FakeSocket.all = [];
    const socket = createSessionWebSocket({ baseUrl: BASE, token: "jwt", sessionId: "s1", fetch: withTickets(), WebSocket: FakeSocket });
    expect(() => socket.prompt("   ")).toThrow(expect.objectContaining({ code: "invalid_message" }));
    socket.close();
  });
});

describe("socket tickets", () => {
  it("falls back to ?token= when the platform has no ticket route", async () => {
    FakeSocket.all = [];
    const noTickets = (async () => Response.json({ error: "not_found", message: "no such route" }, { status: 404 })) as typeof fetch;
    const socket = createSessionWebSocket({ baseUrl: BASE, token: "jwt", sessionId: "s1", fetch: noTickets, WebSocket: FakeSocket });
    await until(() => FakeSocket.all.length === 1, "socket");
    expect(new URL(FakeSocket.all[0]!.url).searchParams.get("token")).toBe("jwt");
    expect(new URL(FakeSocket.all[0]!.url).searchParams.has("ticket")).toBe(false);
    socket.close();
  });
});
