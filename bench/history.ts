/**
 * History of a long session: a fake runner (the runner's own channel) pushes 50,000 events into
 * one session, then we time the first byte of GET /v1/sessions/{id}/history?limit=1000 and of
 * the `history` frame a client gets on connect. No baseline: the goal is an absolute figure.
 */
import http from "node:http";
import WebSocket from "ws";
import { startLocalPlatform } from "../scripts/local-platform.ts";
import { RECORDER_TOKEN, startSandboxRecorder } from "../test/fakes/sandbox-host-recorder.ts";
import { connectFakeRunner, createSession, readyUser, vars } from "./platform.ts";
import { figure } from "./results.ts";
import type { Section } from "./sections.ts";
import { quantile, sleep } from "./stats.ts";

/** Events the fake runner stores before history is read. */
const EVENTS = 50_000;
/** Events in flight (sent, not yet acknowledged) at most while filling, so the socket is not flooded. */
const IN_FLIGHT = 2_000;
/** Reads timed of each kind. */
const SAMPLES = 5;

/** Ms from sending GET `url` to the first byte of its body. */
function restFirstByte(url: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const req = http.get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      if (res.statusCode !== 200) reject(new Error(`history answered ${res.statusCode}`));
      res.once("data", () => resolve(performance.now() - startedAt));
      res.resume();
    });
    req.once("error", reject);
  });
}

/** Ms from opening the client socket to the first byte of its first frame (the `history` frame). */
function frameFirstByte(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const startedAt = performance.now();
    const ws = new WebSocket(url);
    ws.once("message", (data) => {
      const at = performance.now();
      ws.close();
      const type = JSON.parse(String(data)).type;
      if (type !== "history") reject(new Error(`first frame was ${type}, not history`));
      else resolve(at - startedAt);
    });
    ws.once("error", reject);
  });
}

/** Time to first byte of a 1,000-event history page and of the `history` frame, 50,000 events stored. */
export async function historySection(): Promise<Section> {
  const recorder = await startSandboxRecorder();
  const platform = await startLocalPlatform({ vars, sandboxHost: { url: recorder.url, token: RECORDER_TOKEN } });
  try {
    const token = await readyUser(platform.baseUrl);
    const sessionId = await createSession(platform.baseUrl, token);
    const runner = await connectFakeRunner(platform.baseUrl, recorder.url, sessionId);
    const fillStart = performance.now();
    const deadline = Date.now() + 600_000;
    for (let i = 0; i < EVENTS; i++) {
      while (runner.unacked() >= IN_FLIGHT) {
        if (Date.now() > deadline) throw new Error(`filling history stalled at ${i} events`);
        await sleep(5);
      }
      runner.send(`event ${i} ${"x".repeat(100)}`);
    }
    while (runner.unacked() > 0) {
      if (Date.now() > deadline) throw new Error("the last events were never acknowledged");
      await sleep(10);
    }
    const fillSeconds = (performance.now() - fillStart) / 1000;
    await runner.close();
    // The session really holds them all: the page after the first 49,000 events is full.
    const tail = await fetch(`${platform.baseUrl}/v1/sessions/${sessionId}/history?after_seq=${EVENTS - 1_000}&limit=1000`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const tailMessages = ((await tail.json()) as { messages?: unknown[] }).messages ?? [];
    if (tailMessages.length < 1_000) throw new Error(`history after seq ${EVENTS - 1_000} held ${tailMessages.length} events, not 1,000`);

    const rest: number[] = [];
    const frame: number[] = [];
    const wsUrl = `${platform.baseUrl.replace(/^http/, "ws")}/v1/ws/sessions/${sessionId}?token=${token}`;
    for (let i = 0; i < SAMPLES; i++) {
      rest.push(await restFirstByte(`${platform.baseUrl}/v1/sessions/${sessionId}/history?limit=1000`, token));
      frame.push(await frameFirstByte(wsUrl));
    }
    const restMs = quantile(rest, 0.5);
    const frameMs = quantile(frame, 0.5);
    return {
      title: `History of a session holding ${EVENTS.toLocaleString("en")} events (stored in ${fillSeconds.toFixed(0)} s; median of ${SAMPLES} reads)`,
      columns: ["platform", "baseline"],
      figures: [
        figure("history_first_byte_ms", "first byte of GET history?limit=1000", "ms", restMs, null),
        figure("history_frame_first_byte_ms", "first byte of the history frame on connect", "ms", frameMs, null),
      ],
    };
  } finally {
    await platform.stop();
    await recorder.close();
  }
}
