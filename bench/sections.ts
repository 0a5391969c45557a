/**
 * The fan-out and prompt-latency sections of `npm run bench`, each measured against its
 * baseline in the same run and returned as figures (bench/results.ts).
 */
import path from "node:path";
import { startLocalPlatform } from "../scripts/local-platform.ts";
import { RECORDER_TOKEN, startSandboxRecorder } from "../test/fakes/sandbox-host-recorder.ts";
import { measureFanout, startBareRelay, type FanoutTarget } from "./fanout.ts";
import { connectFakeRunner, createSession, openSocket, POOL_REFILL_PAUSE_MS, readyUser, RUNTIME, RUNTIME_LABEL, vars } from "./platform.ts";
import { AT_REST_PAUSE_MS, directPromptLatency, platformPromptLatency, spawnDirectClaude } from "./prompt-latency.ts";
import { figure, type Figure } from "./results.ts";
import { sleep } from "./stats.ts";

/** Clients watching one session in the fan-out benchmark. */
const CLIENTS = 10;
/** Events sent as fast as possible (throughput). */
const BURST_EVENTS = 2_000;
/** Events sent every 5 ms (latency). */
const PACED_EVENTS = 300;
/** Warm turns measured for prompt latency. */
const TURNS = 8;

/** The Claude Code binary both the platform's runner and the direct baselines run. */
export const CLAUDE_BIN = path.resolve(import.meta.dirname, "../node_modules/.bin/claude");

/** A printed section: a title, the column headers and its figures. */
export interface Section {
  title: string;
  columns: [platform: string, baseline: string];
  figures: Figure[];
  /** Decimal places for this section's table. */
  digits?: number;
}

async function fanoutThroughPlatform() {
  const recorder = await startSandboxRecorder();
  const platform = await startLocalPlatform({ vars, runtime: RUNTIME, sandboxHost: { url: recorder.url, token: RECORDER_TOKEN } });
  try {
    const token = await readyUser(platform.baseUrl);
    const sessionId = await createSession(platform.baseUrl, token);
    const wsBase = platform.baseUrl.replace(/^http/, "ws");
    const target: FanoutTarget = {
      // The producer is the runner's own channel (container/runner/platform-channel.ts), so the
      // figures include its batching, numbering and acknowledgements.
      producer: async () => {
        const runner = await connectFakeRunner(platform.baseUrl, recorder.url, sessionId);
        return { send: (_i, sentAt) => runner.send(String(sentAt)), close: () => runner.close() };
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

/** Runs the fan-out against a bare `ws` relay, durable (each frame committed first) or not. */
async function fanoutThroughBareRelay(durable: boolean) {
  const relay = await startBareRelay({ durable });
  try {
    return await measureFanout(relay.target, CLIENTS, BURST_EVENTS, PACED_EVENTS);
  } finally {
    await relay.close();
  }
}

/**
 * Runner → 10 clients through the session DO, vs a bare `ws` relay (issue 13's baseline) and vs
 * the same relay committing each frame to SQLite first (what is left once the commit is paid).
 */
export async function fanoutSection(): Promise<Section[]> {
  const bare = await fanoutThroughBareRelay(false);
  const durable = await fanoutThroughBareRelay(true);
  const through = await fanoutThroughPlatform();
  const title = `Runner → ${CLIENTS} clients (${BURST_EVENTS} events in a burst; ${PACED_EVENTS} paced at 5 ms for latency; ${RUNTIME_LABEL})`;
  return [
    {
      title,
      columns: ["platform (session DO)", "baseline (bare ws relay)"],
      figures: [
        figure("relay_throughput", "events/s delivered to every client", "ev/s", through.eventsPerSecond, bare.eventsPerSecond),
        figure("relay_p50_added_ms", "latency p50", "ms", through.p50, bare.p50),
        figure("relay_p99_added_ms", "latency p99", "ms", through.p99, bare.p99),
      ],
    },
    {
      title: `${title}, against a bare relay that commits each frame to SQLite (WAL, one fsync per commit) before forwarding it`,
      columns: ["platform (session DO)", "baseline (durable bare relay)"],
      figures: [
        figure("relay_durable_throughput", "events/s delivered to every client", "ev/s", through.eventsPerSecond, durable.eventsPerSecond),
        figure("relay_durable_p50_added_ms", "latency p50", "ms", through.p50, durable.p50),
        figure("relay_durable_p99_added_ms", "latency p99", "ms", through.p99, durable.p99),
      ],
    },
  ];
}

/** Prompt → first assistant event on a warm session, vs Claude Code directly. */
export async function promptSection(): Promise<Section> {
  const platform = await startLocalPlatform({ vars, runtime: RUNTIME, scriptedModel: true });
  try {
    const token = await readyUser(platform.baseUrl);
    const sessionId = await createSession(platform.baseUrl, token);
    await sleep(POOL_REFILL_PAUSE_MS);
    const through = await platformPromptLatency(platform.baseUrl, token, sessionId, TURNS);
    // One Claude Code for both direct figures, as one session serves both platform figures: the
    // turns at rest then continue conversations of the same length on both paths.
    const claude = spawnDirectClaude(CLAUDE_BIN, platform.modelServer!.url);
    let direct: number;
    let throughAtRest: number;
    let directAtRest: number;
    try {
      direct = await directPromptLatency(claude, TURNS);
      throughAtRest = await platformPromptLatency(platform.baseUrl, token, sessionId, TURNS, AT_REST_PAUSE_MS);
      directAtRest = await directPromptLatency(claude, TURNS, AT_REST_PAUSE_MS);
    } finally {
      await claude.stop();
    }
    return {
      title: `Prompt → first assistant event (median of ${TURNS} warm turns, scripted model; ${RUNTIME_LABEL})`,
      columns: ["through the platform", "Claude Code directly"],
      figures: [
        figure("first_event", "prompt → first assistant, sent as the last turn ends", "ms", through, direct),
        figure("first_event_at_rest", `prompt → first assistant, sent ${AT_REST_PAUSE_MS} ms after`, "ms", throughAtRest, directAtRest),
      ],
      digits: 0,
    };
  } finally {
    await platform.stop();
  }
}
