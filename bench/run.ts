/**
 * `npm run bench`: the platform's hot paths, each beside a baseline measured in the same run,
 * so the ratios hold on a noisy machine.
 *   1. Fan-out: runner → session Durable Object → 10 clients, vs a bare `ws` relay.
 *   2. Prompt → first assistant event through the platform, vs Claude Code run directly.
 *   3. The D&R detect engine over a realistic rule set, vs JSON.parse of the same events.
 */
import path from "node:path";
import WebSocket from "ws";
import { startLocalPlatform } from "../scripts/local-platform.ts";
import { RECORDER_TOKEN, startSandboxRecorder } from "../test/fakes/sandbox-host-recorder.ts";
import { E2E_API_KEY, E2E_JWT_SECRET, e2eToken } from "../test/node/e2e/platform-harness.ts";
import { PlatformChannel } from "../container/runner/platform-channel.ts";
import { createLogger } from "../container/runner/log.ts";
import { measureFanout, startBareRelay, type FanoutTarget } from "./fanout.ts";
import { directPromptLatency, platformPromptLatency } from "./prompt-latency.ts";
import { row, sleep } from "./stats.ts";
import { measureRulesEngine } from "./rules-engine.ts";

/** Clients watching one session in the fan-out benchmark. */
const CLIENTS = 10;
/** Events sent as fast as possible (throughput). */
const BURST_EVENTS = 2_000;
/** Events sent every 5 ms (latency). */
const PACED_EVENTS = 300;
/** Warm turns measured for prompt latency. */
const TURNS = 8;

/** The runner channel's logger: errors only, so the benchmark's output stays a table. */
const silentLog = createLogger("bench-runner", "error");

const vars = { JWT_SECRET: E2E_JWT_SECRET, CREDENTIALS_KEY: `bench:${Buffer.alloc(32, 3).toString("base64")}`, ALLOWED_EMAIL_DOMAINS: "example.com" };

async function readyUser(baseUrl: string): Promise<string> {
  const token = await e2eToken();
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  await fetch(`${baseUrl}/v1/register`, { method: "POST", headers });
  await fetch(`${baseUrl}/v1/auth/claude/apikey`, { method: "POST", headers, body: JSON.stringify({ api_key: E2E_API_KEY }) });
  return token;
}

async function createSession(baseUrl: string, token: string): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ permission_mode: "bypassPermissions" }),
  });
  const body = (await response.json()) as { session: { id: string } };
  return body.session.id;
}

async function openSocket(url: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { headers });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  return ws;
}

async function fanoutThroughPlatform(): Promise<Awaited<ReturnType<typeof measureFanout>>> {
  const recorder = await startSandboxRecorder();
  const platform = await startLocalPlatform({ vars, sandboxHost: { url: recorder.url, token: RECORDER_TOKEN } });
  try {
    const token = await readyUser(platform.baseUrl);
    const sessionId = await createSession(platform.baseUrl, token);
    let env: Record<string, string> | null = null;
    while (!env) {
      const answer = await fetch(`${recorder.url}/_recorded/${sessionId}`);
      if (answer.ok) env = ((await answer.json()) as { env: Record<string, string> }).env;
      else await sleep(20);
    }
    const wsBase = platform.baseUrl.replace(/^http/, "ws");
    const target: FanoutTarget = {
      // The producer is the runner's own channel (container/runner/platform-channel.ts), so the
      // figures include its batching, numbering and acknowledgements.
      producer: async () => {
        let connected!: () => void;
        const ready = new Promise<void>((resolve) => (connected = resolve));
        const channel = new PlatformChannel({
          url: `${wsBase}/v1/runner/sessions/${sessionId}/ws`,
          token: env!.RUNNER_TOKEN!,
          heartbeatIntervalMs: 10_000,
          reconnectMaxMs: 1_000,
          hello: () => ({ type: "hello", runner_version: "bench", runner_instance: "bench" }),
          onFrame: () => {},
          onConnected: () => connected(),
          onTerminated: () => {},
          log: silentLog,
        });
        channel.start();
        await ready;
        return {
          send: (_i, sentAt) => channel.sendEvent({ type: "assistant", payload: { content: [{ type: "text", text: String(sentAt) }], model: "bench" } }),
          close: () => channel.close(),
        };
      },
      consumer: () => openSocket(`${wsBase}/v1/ws/sessions/${sessionId}?token=${token}&after_seq=1000000`),
      stamp: (data) => {
        const frame = JSON.parse(data);
        return frame.type === "assistant" ? Number(frame.payload.content[0].text) : null;
      },
    };
    return await measureFanout(target, CLIENTS, BURST_EVENTS, PACED_EVENTS);
  } finally {
    await platform.stop();
    await recorder.close();
  }
}

async function promptLatencies(): Promise<{ platform: number; direct: number }> {
  const platform = await startLocalPlatform({ vars, scriptedModel: true });
  try {
    const token = await readyUser(platform.baseUrl);
    const sessionId = await createSession(platform.baseUrl, token);
    const through = await platformPromptLatency(platform.baseUrl, token, sessionId, TURNS);
    const direct = await directPromptLatency(path.resolve(import.meta.dirname, "../node_modules/.bin/claude"), platform.modelServer!.url, TURNS);
    return { platform: through, direct };
  } finally {
    await platform.stop();
  }
}

console.log(`Benchmarks (${new Date().toISOString()}, ${process.version})\n`);
/** `BENCH_ONLY=fanout` or `BENCH_ONLY=prompt` runs one part (both by default). */
const only = process.env.BENCH_ONLY;
const relay = await startBareRelay();
const baseline = await measureFanout(relay.target, CLIENTS, BURST_EVENTS, PACED_EVENTS);
await relay.close();
const through = only === "prompt" ? baseline : await fanoutThroughPlatform();
const prompt = only === "fanout" ? { platform: NaN, direct: NaN } : await promptLatencies();

console.log(`1. Runner → ${CLIENTS} clients (${BURST_EVENTS} events in a burst; ${PACED_EVENTS} paced at 5 ms for latency)\n`);
console.log("| figure | platform (session DO) | baseline (bare ws relay) | ratio |");
console.log("|---|---|---|---|");
console.log(row("events/s delivered to every client", through.eventsPerSecond, baseline.eventsPerSecond, "ev/s", 0));
console.log(row("latency p50", through.p50, baseline.p50, "ms"));
console.log(row("latency p99", through.p99, baseline.p99, "ms"));
console.log(`\n2. Prompt → first assistant event (median of ${TURNS} warm turns, scripted model)\n`);
console.log("| figure | through the platform | Claude Code directly | ratio |");
console.log("|---|---|---|---|");
console.log(row("prompt → first assistant", prompt.platform, prompt.direct, "ms", 0));
const engine = measureRulesEngine();
console.log(`\n3. D&R detect engine: ${engine.rules} rules, ${engine.events} events of ~${engine.bytesPerEvent} bytes (goal: time per event ≤ JSON.parse's)\n`);
console.log("| figure | rules engine | JSON.parse of the same events | ratio |");
console.log("|---|---|---|---|");
console.log(row("µs per event", 1e6 / engine.engineEventsPerSecond, 1e6 / engine.parseEventsPerSecond, "µs"));
process.exit(0);
