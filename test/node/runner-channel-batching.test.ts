/**
 * The runner channel's batching under a slow session (container/runner/platform-channel.ts): events
 * that become ready while a frame waits for its acknowledgement travel together once it comes, as
 * one frame (one commit at the session), and go anyway if it never comes. A real `ws` server on
 * loopback plays the session's side.
 */
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { WebSocketServer } from "ws";
import { PlatformChannel } from "../../container/runner/platform-channel.ts";
import { createLogger } from "../../container/runner/log.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A session stand-in recording the event frames it gets; it acknowledges only when told to. */
async function fakeSession() {
  const server = new WebSocketServer({ port: 0, host: "127.0.0.1" });
  await once(server, "listening");
  const frames: { type: string; rseqs: number[] }[] = [];
  let socket: WebSocket | null = null;
  server.on("connection", (ws) => {
    socket = ws;
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data));
      if (frame.type === "event") frames.push({ type: "event", rseqs: [frame.rseq] });
      if (frame.type === "events") frames.push({ type: "events", rseqs: frame.items.map((i: { rseq: number }) => i.rseq) });
    });
  });
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    frames,
    ack: (rseq: number) => socket!.send(JSON.stringify({ type: "ack", rseq })),
    until: async (predicate: () => boolean) => {
      const deadline = Date.now() + 10_000;
      while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(frames)}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}

async function connect(url: string): Promise<PlatformChannel> {
  let connected!: () => void;
  const ready = new Promise<void>((resolve) => (connected = resolve));
  const channel = new PlatformChannel({
    url,
    token: "t",
    heartbeatIntervalMs: 60_000,
    reconnectMaxMs: 1_000,
    hello: () => ({ type: "hello", runner_version: "test", runner_instance: "test" }),
    onFrame: () => {},
    onConnected: () => connected(),
    onTerminated: () => {},
    log: createLogger("test", "error"),
  });
  channel.start();
  await ready;
  cleanups.push(() => channel.close());
  return channel;
}

const text = (t: string) => ({ type: "assistant" as const, payload: { content: [{ type: "text" as const, text: t }], model: "m" } });
const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe("the runner channel's batching", () => {
  it("sends events that became ready while a frame awaited its acknowledgement as one frame once it is acknowledged", async () => {
    const session = await fakeSession();
    const channel = await connect(session.url);
    channel.sendEvent(text("one"));
    await session.until(() => session.frames.length === 1);
    // Three events, each ready in its own turn of the event loop, before the first is acknowledged.
    for (const t of ["two", "three", "four"]) {
      channel.sendEvent(text(t));
      await nextTick();
    }
    await new Promise((r) => setTimeout(r, 100)); // time for frames to cross loopback, had they been sent
    session.ack(1);
    await session.until(() => session.frames.length >= 2);
    expect(session.frames).toEqual([
      { type: "event", rseqs: [1] },
      { type: "events", rseqs: [2, 3, 4] },
    ]);
    // Acknowledged before the next event: that one goes at once, alone.
    session.ack(4);
    await session.until(() => channel.outbox.unacked().length === 0);
    channel.sendEvent(text("five"));
    await session.until(() => session.frames.length === 3);
    expect(session.frames[2]).toEqual({ type: "event", rseqs: [5] });
  });

  it("sends held events anyway when the acknowledgement never comes", async () => {
    const session = await fakeSession();
    const channel = await connect(session.url);
    channel.sendEvent(text("one"));
    await session.until(() => session.frames.length === 1);
    channel.sendEvent(text("two"));
    await nextTick();
    channel.sendEvent(text("three"));
    // Held for ACK_WAIT_MAX_MS, then sent without the acknowledgement; all three stay unacknowledged.
    await session.until(() => session.frames.length === 2);
    expect(session.frames[1]).toEqual({ type: "events", rseqs: [2, 3] });
    expect(channel.outbox.unacked().map((f) => f.rseq)).toEqual([1, 2, 3]);
  });
});
