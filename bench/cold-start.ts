/**
 * Cold start: create a session with its first prompt → its first assistant event, through the
 * whole platform (Worker, session DO, the local sandbox host handing over a runner from its warm
 * pool, Claude Code, model gateway, scripted model), against spawning the same Claude Code binary directly in a fresh
 * home and timing its first assistant line. Both cold; the median of a few sessions each.
 */
import WebSocket from "ws";
import { startLocalPlatform } from "../scripts/local-platform.ts";
import { POOL_REFILL_PAUSE_MS, readyUser, RUNTIME, RUNTIME_LABEL, vars } from "./platform.ts";
import { directColdStart, PROMPT } from "./prompt-latency.ts";
import { figure } from "./results.ts";
import { CLAUDE_BIN, type Section } from "./sections.ts";
import { quantile, sleep } from "./stats.ts";

/** Sessions (and direct spawns) measured; few, as each starts a runner and Claude Code. */
const SAMPLES = 3;

/** Ms from POST /v1/sessions (with its first prompt) to the first assistant event a client sees. */
export async function platformColdStart(baseUrl: string, token: string): Promise<{ ms: number; sessionId: string }> {
  const startedAt = performance.now();
  const created = await fetch(`${baseUrl}/v1/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ permission_mode: "bypassPermissions", initial_prompt: PROMPT }),
  });
  if (created.status !== 201) throw new Error(`create session answered ${created.status}: ${await created.text()}`);
  const sessionId = ((await created.json()) as { session: { id: string } }).session.id;
  const ms = await firstAssistantAfter(baseUrl, token, sessionId, startedAt);
  return { ms, sessionId };
}

/**
 * Opens the session's socket and resolves with ms from `since` to the first assistant event,
 * whether it comes in the `history` frame (it was stored before the socket opened: the time it
 * was seen is then an upper bound) or live.
 */
export async function firstAssistantAfter(
  baseUrl: string,
  token: string,
  sessionId: string,
  since: number,
  afterSeq?: number,
): Promise<number> {
  const query = afterSeq === undefined ? "" : `&after_seq=${afterSeq}`;
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/ws/sessions/${sessionId}?token=${token}${query}`);
  let seenAt: number | null = null;
  ws.on("message", (data) => {
    if (seenAt !== null) return;
    const frame = JSON.parse(String(data));
    const messages: any[] = frame.type === "history" ? frame.payload.messages : [frame];
    if (messages.some((m) => m.type === "assistant")) seenAt = performance.now();
  });
  const deadline = Date.now() + 120_000;
  try {
    while (seenAt === null) {
      if (Date.now() > deadline) throw new Error(`session ${sessionId} sent no assistant event`);
      await sleep(1);
    }
    return seenAt - since;
  } finally {
    ws.close();
  }
}

async function terminate(baseUrl: string, token: string, sessionId: string): Promise<void> {
  await fetch(`${baseUrl}/v1/sessions/${sessionId}`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
}

/** Median cold start through the platform and directly; both are also returned for `wake`. */
export async function measureColdStart(): Promise<{ platform: number; direct: number }> {
  const platform = await startLocalPlatform({ vars, runtime: RUNTIME, scriptedModel: true });
  try {
    const token = await readyUser(platform.baseUrl);
    const through: number[] = [];
    const direct: number[] = [];
    // Interleaved, so load on the shared machine weighs on both alike.
    for (let i = 0; i < SAMPLES; i++) {
      const { ms, sessionId } = await platformColdStart(platform.baseUrl, token);
      through.push(ms);
      await terminate(platform.baseUrl, token, sessionId);
      // The pool's replacement must be ready for the next sample (as for a person's next session),
      // and must not start during the baseline's spawn.
      await sleep(POOL_REFILL_PAUSE_MS);
      direct.push(await directColdStart(CLAUDE_BIN, platform.modelServer!.url));
    }
    return { platform: quantile(through, 0.5), direct: quantile(direct, 0.5) };
  } finally {
    await platform.stop();
  }
}

let measured: Promise<{ platform: number; direct: number }> | null = null;

/** The cold start figures of this run, measured once (the `wake` section's baseline too). */
export function coldStartOfThisRun(): Promise<{ platform: number; direct: number }> {
  measured ??= measureColdStart();
  return measured;
}

/** Create session → first assistant event, vs Claude Code started directly (cold). */
export async function coldStartSection(): Promise<Section> {
  const { platform, direct } = await coldStartOfThisRun();
  return {
    title: `Create session → first assistant event (median of ${SAMPLES}, cold, scripted model; ${RUNTIME_LABEL})`,
    columns: ["through the platform", "Claude Code started directly"],
    figures: [figure("cold_start", "create session → first assistant", "ms", platform, direct)],
    digits: 0,
  };
}
