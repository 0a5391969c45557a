/**
 * The client core (client-core/) on its own, against real local servers: a `ws` WebSocket server
 * that plays a session's event log (resume with `after_seq`, duplicates, dropped sockets, close
 * codes, heartbeats) and a node:http server that plays the REST API (error bodies, retries).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer, type WebSocket as ServerSocket } from "ws";
import { CLOSE, FINAL_CLOSE_CODES } from "../../client-core/close-codes.ts";
import { AiSessionsError } from "../../client-core/errors.ts";
import { RestTransport } from "../../client-core/rest.ts";
import { SeqTracker } from "../../client-core/seq-tracker.ts";
import { SessionSocket, type CloseInfo, type WebSocketConstructor } from "../../client-core/session-socket.ts";
import { frameJson, type WireFrame } from "../../client-core/wire.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const event = (seq: number, type = "session_status"): WireFrame => ({
  type,
  seq,
  timestamp: new Date().toISOString(),
  session_id: "s1",
  payload: { n: seq },
});

/** Resolves when `check` holds (polled), or fails naming what never happened. */
async function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A `ws` server standing in for the session socket route; the test scripts each connection. */
async function sessionServer(onConnection: (socket: ServerSocket, afterSeq: string | null, index: number) => void) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  const connections: { afterSeq: string | null; received: unknown[] }[] = [];
  wss.on("connection", (socket, request) => {
    const afterSeq = new URL(request.url ?? "/", "http://x").searchParams.get("after_seq");
    const record = { afterSeq, received: [] as unknown[] };
    connections.push(record);
    socket.on("message", (data) => record.received.push(JSON.parse(String(data))));
    onConnection(socket, afterSeq, connections.length - 1);
  });
  cleanups.push(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  const { port } = wss.address() as AddressInfo;
  return {
    connections,
    url: (afterSeq: number | null) => `ws://127.0.0.1:${port}/v1/ws/sessions/s1${afterSeq === null ? "" : `?after_seq=${afterSeq}`}`,
  };
}

/** Opens a core socket on `url`, recording delivered seqs and the final close. */
function openSocket(url: (afterSeq: number | null) => string, extra: { heartbeatMs?: number } = {}, onClose?: (info: CloseInfo) => void) {
  const delivered: (number | null)[] = [];
  const replayed: boolean[] = [];
  const socket = new SessionSocket({
    sessionId: "s1",
    url,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    reconnect: { minDelayMs: 5, maxDelayMs: 20 },
    listener: {
      frame: (frame, context) => {
        if (frame.seq === null) return;
        delivered.push(frame.seq);
        replayed.push(context.replayed);
      },
      close: onClose,
    },
    ...extra,
  });
  cleanups.push(() => socket.close());
  return { socket, delivered, replayed };
}

const send = (socket: ServerSocket, frame: WireFrame) => socket.send(JSON.stringify(frame));
const history = (...seqs: number[]): WireFrame => ({
  type: "history",
  seq: null,
  timestamp: new Date().toISOString(),
  session_id: "s1",
  payload: { messages: seqs.map((seq) => event(seq)) },
});

describe("seq tracking", () => {
  it("delivers the next seq, drops repeats, flags gaps, and remembers the last one seen", () => {
    const seq = new SeqTracker(4);
    expect(seq.check(5)).toBe("deliver");
    seq.advance(5);
    expect(seq.last).toBe(5);
    expect(seq.check(5)).toBe("duplicate");
    expect(seq.check(2)).toBe("duplicate");
    expect(seq.check(7)).toBe("gap");
    expect(new SeqTracker().check(42)).toBe("deliver");
  });

  it("hands on each event once when the server repeats events, inside history and live", async () => {
    const server = await sessionServer((socket) => {
      send(socket, history(1, 2, 2, 3));
      send(socket, event(3));
      send(socket, event(2));
      send(socket, event(4));
    });
    const { socket, delivered, replayed } = openSocket(server.url);
    await until(() => delivered.length === 4, "four events");
    expect(delivered).toEqual([1, 2, 3, 4]);
    expect(replayed).toEqual([true, true, true, false]);
    expect(socket.lastSeq).toBe(4);
    expect(socket.stats.duplicatesDropped).toBe(3);
  });
});

describe("resuming socket", () => {
  it("resumes after a dropped connection from the last seen seq, sending what was queued while away", async () => {
    const server = await sessionServer((socket, afterSeq, index) => {
      if (index === 0) {
        send(socket, history(1, 2, 3));
        // The network dies: no close frame, the client sees 1006.
        setTimeout(() => socket.terminate(), 20);
        return;
      }
      // The server replays from after_seq, including one the client already has (an overlap).
      const from = Number(afterSeq);
      for (const seq of [from, from + 1, from + 2]) send(socket, event(seq));
    });
    // Prompted the moment the connection is lost (polling the state could miss the short gap).
    let sentWhileAway = false;
    const { socket, delivered } = openSocket(server.url, {}, (info) => {
      if (sentWhileAway) return;
      sentWhileAway = true;
      expect(info.willReconnect).toBe(true);
      expect(socket.state).not.toBe("open");
      socket.prompt("sent while away");
    });
    await until(() => delivered.length === 3, "the history");
    await until(() => sentWhileAway, "the drop");
    await until(() => delivered.length === 5, "the resumed events");
    expect(server.connections.map((c) => c.afterSeq)).toEqual([null, "3"]);
    expect(delivered).toEqual([1, 2, 3, 4, 5]);
    await until(() => server.connections[1]!.received.length > 0, "the queued prompt");
    expect(server.connections[1]!.received).toEqual([{ type: "prompt", payload: { text: "sent while away" } }]);
    expect(socket.stats.opens).toBe(2);
  });

  it("drops a connection that skips a seq and resumes from the last delivered one", async () => {
    const server = await sessionServer((socket, afterSeq, index) => {
      if (index === 0) {
        send(socket, history(1));
        send(socket, event(3)); // 2 is missing
        return;
      }
      for (let seq = Number(afterSeq) + 1; seq <= 3; seq++) send(socket, event(seq));
    });
    const { socket, delivered } = openSocket(server.url);
    await until(() => delivered.length === 3, "events 1 to 3");
    expect(delivered).toEqual([1, 2, 3]);
    expect(server.connections.map((c) => c.afterSeq)).toEqual([null, "1"]);
    expect(socket.stats.gaps).toBe(1);
  });

  it("drops the connection while the device is offline and resumes from the last seq once it is back", async () => {
    const server = await sessionServer((socket, afterSeq) => {
      if (afterSeq === null) send(socket, history(1, 2));
      else send(socket, event(Number(afterSeq) + 1));
    });
    let online = true;
    let notify: (online: boolean) => void = () => undefined;
    const network = { online: () => online, watch: (listener: (online: boolean) => void) => ((notify = listener), () => undefined) };
    const delivered: (number | null)[] = [];
    const socket = new SessionSocket({
      sessionId: "s1",
      url: server.url,
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      network,
      listener: { frame: (frame) => frame.seq !== null && delivered.push(frame.seq) },
    });
    cleanups.push(() => socket.close());
    await until(() => delivered.length === 2, "the history");
    online = false;
    notify(false);
    expect(socket.state).toBe("offline");
    expect(socket.isOpen).toBe(false);
    socket.prompt("typed offline");
    online = true;
    notify(true);
    await until(() => delivered.length === 3, "the event after the resume");
    expect(server.connections.map((c) => c.afterSeq)).toEqual([null, "2"]);
    await until(() => server.connections[1]!.received.length > 0, "the queued prompt");
    expect(server.connections[1]!.received).toEqual([{ type: "prompt", payload: { text: "typed offline" } }]);
  });

  it("sends heartbeats while the connection is idle", async () => {
    const server = await sessionServer((socket) => send(socket, history()));
    openSocket(server.url, { heartbeatMs: 30 });
    await until(() => (server.connections[0]?.received.length ?? 0) >= 2, "two heartbeats");
    expect(server.connections[0]!.received.slice(0, 2)).toEqual([{ type: "heartbeat" }, { type: "heartbeat" }]);
  });

  it.each([
    [CLOSE.auth, 401, "unauthorized"],
    [CLOSE.wrongUser, 403, "forbidden"],
    [CLOSE.notFound, 404, "not_found"],
  ])("does not reconnect after close %i, and reports it as a %i error", async (code, status, errorCode) => {
    const server = await sessionServer((socket) => socket.close(code, "refused"));
    const { socket } = openSocket(server.url);
    const info: CloseInfo = await socket.closed;
    expect(info).toMatchObject({ code, willReconnect: false, error: { status, code: errorCode } });
    expect(socket.state).toBe("closed");
    expect(server.connections).toHaveLength(1);
    expect(() => socket.prompt("too late")).toThrow(AiSessionsError);
  });

  it("ends at the session's end (4100) without an error, but reconnects after a server failure (4500)", async () => {
    expect(FINAL_CLOSE_CODES.has(CLOSE.ended)).toBe(true);
    expect(FINAL_CLOSE_CODES.has(CLOSE.internal)).toBe(false);
    const server = await sessionServer((socket, _afterSeq, index) => {
      if (index === 0) {
        send(socket, history(1));
        setTimeout(() => socket.close(CLOSE.internal, "internal"), 20);
        return;
      }
      send(socket, event(2, "session_end"));
      socket.close(CLOSE.ended, "session ended");
    });
    const { socket, delivered } = openSocket(server.url);
    const info = await socket.closed;
    expect(info).toMatchObject({ code: CLOSE.ended, willReconnect: false });
    expect(info.error).toBeUndefined();
    expect(delivered).toEqual([1, 2]);
    expect(server.connections.map((c) => c.afterSeq)).toEqual([null, "1"]);
  });
});

/** A node:http server answering from a script, recording each request. */
async function restServer(...answers: ((res: ServerResponse) => void)[]) {
  const calls: { method: string; url: string; authorization: string | undefined }[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    calls.push({ method: req.method ?? "", url: req.url ?? "", authorization: req.headers.authorization });
    req.resume();
    const answer = answers.shift();
    if (!answer) return res.writeHead(500).end("no scripted answer left");
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { calls, baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const reply =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (res: ServerResponse) =>
    res.writeHead(status, { "content-type": "application/json", ...headers }).end(typeof body === "string" ? body : JSON.stringify(body));

describe("REST transport", () => {
  it("retries an idempotent call after a 503 and answers the JSON, with the bearer token", async () => {
    const server = await restServer(reply(503, { error: "unavailable", message: "try later" }), reply(200, { ok: true }));
    const rest = new RestTransport({ baseUrl: `${server.baseUrl}/`, token: async () => "jwt", retry: { retries: 2, minDelayMs: 1 } });
    expect(await rest.request({ method: "GET", path: "/v1/sessions", query: { limit: 5, cursor: undefined }, idempotent: true })).toEqual({
      ok: true,
    });
    expect(server.calls).toEqual(Array(2).fill({ method: "GET", url: "/v1/sessions?limit=5", authorization: "Bearer jwt" }));
  });

  it("never repeats a call that is not idempotent, and surfaces the server's error code and message", async () => {
    const server = await restServer(reply(503, { error: "unavailable", message: "try later" }), reply(200, {}));
    const rest = new RestTransport({ baseUrl: server.baseUrl, token: "jwt", retry: { retries: 3, minDelayMs: 1 } });
    const error = await rest.request({ method: "POST", path: "/v1/auth/claude/start", idempotent: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AiSessionsError);
    expect(error).toMatchObject({ status: 503, code: "unavailable", message: "try later" });
    expect(server.calls).toHaveLength(1);
  });

  it("does not retry a client error (4xx other than 429)", async () => {
    const server = await restServer(reply(400, { error: "invalid_request", message: "bad limit" }), reply(200, {}));
    const rest = new RestTransport({ baseUrl: server.baseUrl, token: "jwt", retry: { retries: 3, minDelayMs: 1 } });
    await expect(rest.request({ method: "GET", path: "/v1/sessions", idempotent: true })).rejects.toMatchObject({
      status: 400,
      code: "invalid_request",
    });
    expect(server.calls).toHaveLength(1);
  });

  it("waits what Retry-After asks instead of its own backoff", async () => {
    // The backoff alone would wait a minute, past the test's timeout; Retry-After: 0 asks for none.
    const server = await restServer(
      reply(429, { error: "rate_limited", message: "slow down" }, { "retry-after": "0" }),
      reply(200, { ok: true }),
    );
    const rest = new RestTransport({
      baseUrl: server.baseUrl,
      token: "jwt",
      retry: { retries: 1, minDelayMs: 60_000, maxDelayMs: 120_000 },
    });
    expect(await rest.request({ method: "GET", path: "/v1/profiles", idempotent: true })).toEqual({ ok: true });
    expect(server.calls).toHaveLength(2);
  });

  it("throws at once when Retry-After asks for longer than the caller allows", async () => {
    const server = await restServer(reply(429, { error: "rate_limited", message: "slow down" }, { "retry-after": "60" }));
    const rest = new RestTransport({ baseUrl: server.baseUrl, token: "jwt", retry: { retries: 2, minDelayMs: 1, maxDelayMs: 5_000 } });
    await expect(rest.request({ method: "GET", path: "/v1/profiles", idempotent: true })).rejects.toMatchObject({
      status: 429,
      code: "rate_limited",
      retryAfter: 60,
    });
    expect(server.calls).toHaveLength(1);
  });

  it("describes a non-JSON error page by its status, and a refused connection as network_error (retried when idempotent)", async () => {
    const server = await restServer((res) => res.writeHead(502, { "content-type": "text/html" }).end("<html>bad gateway</html>"));
    const rest = new RestTransport({ baseUrl: server.baseUrl, token: "jwt", retry: { retries: 0 } });
    await expect(rest.request({ method: "GET", path: "/healthz", idempotent: true })).rejects.toMatchObject({
      status: 502,
      code: "http_502",
      message: "HTTP 502: <html>bad gateway</html>",
    });

    let attempts = 0;
    const refused = (async () => {
      attempts++;
      throw new TypeError("fetch failed");
    }) as typeof fetch;
    const offline = new RestTransport({ baseUrl: server.baseUrl, token: "jwt", fetch: refused, retry: { retries: 2, minDelayMs: 1 } });
    await expect(offline.request({ method: "GET", path: "/healthz", idempotent: true })).rejects.toMatchObject({
      status: 0,
      code: "network_error",
    });
    expect(attempts).toBe(3);
  });

  it("hands a 2xx answer to the caller's parser, whose refusal is not retried", async () => {
    const server = await restServer(reply(200, { has_credentials: "yes" }), reply(200, {}));
    const rest = new RestTransport({ baseUrl: server.baseUrl, token: "jwt", retry: { retries: 3, minDelayMs: 1 } });
    const parse = (json: unknown, answer: { status: number; path: string }) => {
      if (typeof (json as { has_credentials?: unknown }).has_credentials !== "boolean")
        throw new AiSessionsError(answer.status, "invalid_response", `${answer.path}: drifted`);
      return json;
    };
    await expect(rest.request({ method: "GET", path: "/v1/auth/claude/status", idempotent: true, parse })).rejects.toMatchObject({
      code: "invalid_response",
      message: "/v1/auth/claude/status: drifted",
    });
    expect(server.calls).toHaveLength(1);
  });
});

describe("frame encoding", () => {
  it("escapes U+FFFD so the server can tell it from bytes that were not UTF-8", () => {
    const text = frameJson({ type: "prompt", payload: { text: "a\uFFFDb" } });
    expect(text).not.toContain("\uFFFD");
    expect(JSON.parse(text).payload.text).toBe("a\uFFFDb");
  });
});

describe("socket URLs that need the network (tickets)", () => {
  it("retries when getting the URL fails for network reasons, and gives up on a refusal", async () => {
    const server = await sessionServer((socket) => send(socket, history(1)));
    let calls = 0;
    const retried = new SessionSocket({
      sessionId: "s1",
      url: async (afterSeq) => {
        calls++;
        if (calls <= 2) throw new AiSessionsError(0, "network_error", "fetch failed");
        return server.url(afterSeq);
      },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      reconnect: { minDelayMs: 5, maxDelayMs: 20 },
    });
    cleanups.push(() => retried.close());
    await retried.opened;
    expect(calls).toBe(3);
    expect(server.connections).toHaveLength(1);

    const refused = new SessionSocket({
      sessionId: "s1",
      url: async () => {
        throw new AiSessionsError(401, "unauthorized", "token refused");
      },
      WebSocket: WebSocket as unknown as WebSocketConstructor,
      reconnect: { minDelayMs: 5, maxDelayMs: 20 },
    });
    cleanups.push(() => refused.close());
    expect(await refused.closed).toMatchObject({ code: CLOSE.auth, willReconnect: false });
  });
});
