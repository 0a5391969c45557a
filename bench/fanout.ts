/**
 * Fan-out benchmark: one producer (the runner) → N consumers (clients), measuring delivered
 * events per second and per-event latency. Run against the platform (runner socket → session
 * Durable Object, which stores each event then broadcasts it), against a bare `ws` relay that
 * only forwards frames, so the ratio shows what storing and ordering cost, and against a durable
 * bare relay that commits each frame to SQLite on disk before forwarding it, so the ratio shows
 * what the platform costs beyond the commit its guarantee needs.
 */
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import WebSocket, { WebSocketServer } from "ws";
import { quantile, sleep } from "./stats.ts";

/** Result of one fan-out run. */
export interface FanoutResult {
  /** Events delivered to all consumers per second, in a burst. */
  eventsPerSecond: number;
  /** Latency in ms of paced events, producer send → consumer receipt, over all consumers. */
  p50: number;
  p99: number;
}

/** Sends events into the path under test. */
export interface Producer {
  /** Sends event number `i` stamped `sentAt`. */
  send(i: number, sentAt: number): void;
  close(): void | Promise<void>;
}

/** Where to connect, and how to read an event back. */
export interface FanoutTarget {
  producer(): Promise<Producer>;
  consumer(): Promise<WebSocket>;
  /** The stamp a consumer reads back from a received frame, or null for other frames. */
  stamp(data: string): number | null;
}

/** Runs the burst and the paced phase against `target` with `consumers` clients. */
export async function measureFanout(target: FanoutTarget, consumers: number, burst: number, paced: number): Promise<FanoutResult> {
  const producer = await target.producer();
  const clients = await Promise.all(Array.from({ length: consumers }, () => target.consumer()));
  let received = 0;
  const latencies: number[] = [];
  let recording = false;
  for (const client of clients) {
    client.on("message", (data) => {
      const sentAt = target.stamp(String(data));
      if (sentAt === null) return;
      received += 1;
      if (recording) latencies.push(performance.now() - sentAt);
    });
  }
  let next = 1;
  const waitFor = async (count: number) => {
    const deadline = Date.now() + 120_000;
    while (received < count) {
      if (Date.now() > deadline) throw new Error(`fan-out stalled at ${received}/${count}`);
      await sleep(2);
    }
  };

  // Burst: everything as fast as the producer can send it.
  const start = performance.now();
  for (let i = 0; i < burst; i++) producer.send(next++, performance.now());
  await waitFor(burst * consumers);
  const eventsPerSecond = burst / ((performance.now() - start) / 1000);

  // Paced: one event every 5 ms, so latency is not dominated by queueing.
  recording = true;
  const before = received;
  for (let i = 0; i < paced; i++) {
    producer.send(next++, performance.now());
    await sleep(5);
  }
  await waitFor(before + paced * consumers);
  await producer.close();
  for (const ws of clients) ws.close();
  return { eventsPerSecond, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99) };
}

/**
 * A bare relay: every frame from the producer path goes to every consumer, untouched. `durable`
 * makes it commit each frame to a SQLite file in the system's temporary directory first, in WAL
 * mode with `synchronous=FULL` (one `fsync` per commit, as workerd's Durable Object storage does
 * on this machine), on the relay's one thread: the least any relay that stores every event
 * before anyone sees it must pay.
 */
export async function startBareRelay(options: { durable?: boolean } = {}): Promise<{ target: FanoutTarget; close(): Promise<void> }> {
  const store = options.durable ? await openFrameStore() : null;
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  const consumers = new Set<WebSocket>();
  wss.on("connection", (ws, req) => {
    if (req.url !== "/produce") consumers.add(ws);
    else
      ws.on("message", (data) => {
        store?.append(String(data));
        for (const consumer of consumers) consumer.send(data);
      });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const open = async (path: string) => {
    const ws = new WebSocket(url + path);
    await once(ws, "open");
    return ws;
  };
  return {
    target: {
      producer: async () => {
        const ws = await open("/produce");
        return {
          send: (i, sentAt) =>
            ws.send(
              JSON.stringify({ type: "assistant", seq: i, payload: { content: [{ type: "text", text: String(sentAt) }], model: "bench" } }),
            ),
          close: () => ws.close(),
        };
      },
      consumer: () => open("/consume"),
      stamp: (data) => Number(JSON.parse(data).payload?.content?.[0]?.text ?? NaN) || null,
    },
    close: async () => {
      wss.close();
      server.close();
      store?.close();
    },
  };
}

/** A SQLite file the durable relay appends frames to, one committed row per frame. */
async function openFrameStore(): Promise<{ append(frame: string): void; close(): void }> {
  const { DatabaseSync } = await import("node:sqlite");
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-relay-"));
  const db = new DatabaseSync(path.join(dir, "frames.sqlite"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; CREATE TABLE frames (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  const insert = db.prepare("INSERT INTO frames (body) VALUES (?)");
  return {
    append: (frame) => void insert.run(frame),
    close: () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
