/**
 * Prompt → first `assistant` event: through the whole platform (client socket → session DO →
 * runner → Claude Code → model gateway → scripted model, and back), and running the same
 * Claude Code binary directly against the same scripted model. Warm turns only: the first
 * turn of each, which includes process start-up, is not measured.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import WebSocket from "ws";
import { quantile, sleep } from "./stats.ts";

/** The prompt both paths send: a short plain-text answer from the scripted model. */
export const PROMPT = "[[scenario:text text=pong]]";

/**
 * A pause before each prompt, for the figure of a session at rest: after a turn the session
 * checkpoints the workspace and the conversation (an archive to R2: hibernation.ts `checkpoint`),
 * and a prompt sent at once starts while that archive is packed and uploaded in the background;
 * one sent after this pause finds it done. Both paths pause alike.
 */
export const AT_REST_PAUSE_MS = 1_000;

/** Median ms from prompt to first assistant event over `turns` warm turns, through the platform. */
export async function platformPromptLatency(
  baseUrl: string,
  token: string,
  sessionId: string,
  turns: number,
  pauseMs = 0,
): Promise<number> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, "ws")}/v1/ws/sessions/${sessionId}?token=${token}`);
  const frames: any[] = [];
  ws.on("message", (data) => frames.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const samples: number[] = [];
  for (let turn = 0; turn <= turns; turn++) {
    if (turn > 0) await sleep(pauseMs);
    const from = frames.length;
    const sentAt = performance.now();
    ws.send(JSON.stringify({ type: "prompt", payload: { text: PROMPT } }));
    let firstAssistant: number | null = null;
    const deadline = Date.now() + 60_000;
    for (;;) {
      const fresh = frames.slice(from);
      if (firstAssistant === null && fresh.some((f) => f.type === "assistant")) firstAssistant = performance.now();
      if (fresh.some((f) => f.type === "session_status" && f.payload.ui_state === "Waiting") && fresh.some((f) => f.type === "result"))
        break;
      if (Date.now() > deadline) throw new Error("platform turn did not finish");
      await sleep(1);
    }
    if (turn > 0 && firstAssistant !== null) samples.push(firstAssistant - sentAt);
  }
  ws.close();
  return quantile(samples, 0.5);
}

/** Claude Code run directly in a fresh home against `modelUrl`, reading stream-json turns. */
export interface DirectClaude {
  /** Writes one user turn. */
  prompt(text: string): void;
  /** Waits for the turn started at line `from` to finish; returns when its first assistant line came. */
  turn(from: number): Promise<number | null>;
  /** Lines read so far. */
  readonly lineCount: number;
  /** Ends Claude Code and, once it has exited (it writes its config until then), removes its home. */
  stop(): Promise<void>;
}

/** Spawns Claude Code the way the runner does (stream-json in and out), cold: fresh home and config. */
export function spawnDirectClaude(claudeBin: string, modelUrl: string): DirectClaude {
  const dir = mkdtempSync(path.join(os.tmpdir(), "bench-claude-"));
  const child = spawn(
    claudeBin,
    ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--permission-mode", "bypassPermissions"],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: dir,
        CLAUDE_CONFIG_DIR: path.join(dir, ".claude"),
        ANTHROPIC_BASE_URL: modelUrl,
        ANTHROPIC_API_KEY: "sk-ant-bench-direct",
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        CLAUDE_CODE_MAX_RETRIES: "0",
        IS_SANDBOX: "1",
      },
      stdio: ["pipe", "pipe", "ignore"],
    },
  );
  const lines: any[] = [];
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      lines.push(JSON.parse(line));
    } catch {
      // not JSON
    }
  });
  return {
    prompt: (text) =>
      child.stdin!.write(JSON.stringify({ type: "user", message: { role: "user", content: [{ type: "text", text }] } }) + "\n"),
    turn: async (from) => {
      let firstAssistant: number | null = null;
      const deadline = Date.now() + 60_000;
      for (;;) {
        const fresh = lines.slice(from);
        if (firstAssistant === null && fresh.some((l) => l.type === "assistant")) firstAssistant = performance.now();
        if (fresh.some((l) => l.type === "result")) return firstAssistant;
        if (Date.now() > deadline) throw new Error("direct turn did not finish");
        await sleep(1);
      }
    },
    get lineCount() {
      return lines.length;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
    },
  };
}

/**
 * Median ms from writing a user turn to `claude`'s first assistant line, run directly. Like the
 * platform's figures, which measure one session one set of turns after the other, the caller
 * passes the same process to each set, so both paths answer with conversations of one length.
 */
export async function directPromptLatency(claude: DirectClaude, turns: number, pauseMs = 0): Promise<number> {
  const samples: number[] = [];
  for (let turn = 0; turn <= turns; turn++) {
    if (turn > 0) await sleep(pauseMs);
    const from = claude.lineCount;
    const sentAt = performance.now();
    claude.prompt(PROMPT);
    const firstAssistant = await claude.turn(from);
    if (turn > 0 && firstAssistant !== null) samples.push(firstAssistant - sentAt);
  }
  return quantile(samples, 0.5);
}

/** Ms from spawning Claude Code (cold) to the first assistant line of its first turn. */
export async function directColdStart(claudeBin: string, modelUrl: string): Promise<number> {
  const startedAt = performance.now();
  const claude = spawnDirectClaude(claudeBin, modelUrl);
  try {
    claude.prompt(PROMPT);
    const firstAssistant = await claude.turn(0);
    if (firstAssistant === null) throw new Error("direct first turn had no assistant line");
    return firstAssistant - startedAt;
  } finally {
    await claude.stop();
  }
}
