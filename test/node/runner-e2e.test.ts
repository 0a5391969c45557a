// The runner end to end: the real runner process, the real Claude Code binary, the scripted
// model server, and a fake session DO on a real WebSocket.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentEventBody } from "../../schemas/events.ts";
import type { RunnerToPlatform } from "../../schemas/runner.ts";
import { startModelServer, type ModelServer } from "../../model-server/server.ts";
import { AGENT_PLACEHOLDER_TOKEN } from "../../container/runner/gateway-proxy.ts";
import { cleanupTempDirs, settingsFor, startFakePlatform, startRunner, type FakePlatform, type RunnerHandle } from "./runner-harness.ts";

const RUNNER_TOKEN = "runner-token-e2e-0123456789";
const GATEWAY_TOKEN = "gateway-session-token-e2e";

let model: ModelServer;
beforeAll(async () => {
  model = await startModelServer();
});
afterAll(async () => {
  await model?.close();
  await cleanupTempDirs();
});

/** Index of the next frame, to look only at what arrives after this point. */
const mark = (p: FakePlatform): number => p.frames.length;

/** Waits for the end of the turn started after `from` (turn_state running, then idle); returns the frame index after it. */
function turnEnd(p: FakePlatform, from: number, timeoutMs = 30_000): Promise<number> {
  return p.waitFor(
    "turn_state running, then idle",
    () => {
      const isState = (f: RunnerToPlatform, state: string): boolean => f.type === "turn_state" && f.state === state;
      const start = p.frames.findIndex((f, idx) => idx >= from && isState(f, "running"));
      if (start < 0) return undefined;
      const end = p.frames.findIndex((f, idx) => idx > start && isState(f, "idle"));
      return end >= 0 ? end + 1 : undefined;
    },
    timeoutMs,
  );
}

/** Events that arrived as frames in [from, to), deduplicated by rseq. */
function eventsBetween(p: FakePlatform, from: number, to = p.frames.length): { rseq: number; event: AgentEventBody }[] {
  const seen = new Map<number, AgentEventBody>();
  for (const f of p.frames.slice(from, to)) if (f.type === "event" && !seen.has(f.rseq)) seen.set(f.rseq, f.event);
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([rseq, event]) => ({ rseq, event }));
}

function framesOf<T extends RunnerToPlatform["type"]>(p: FakePlatform, type: T, from = 0): Extract<RunnerToPlatform, { type: T }>[] {
  return p.frames.slice(from).filter((f): f is Extract<RunnerToPlatform, { type: T }> => f.type === type);
}

function resultOf(events: { event: AgentEventBody }[]): Extract<AgentEventBody, { type: "result" }>["payload"] | undefined {
  const r = events.find((e) => e.event.type === "result");
  return r?.event.type === "result" ? r.event.payload : undefined;
}

function assistantText(events: { event: AgentEventBody }[]): string {
  return events
    .flatMap((e) => (e.event.type === "assistant" ? e.event.payload.content : []))
    .map((b) => (b.type === "text" ? String(b["text"]) : ""))
    .join("\n");
}

/** Pids of the direct children of `pid` (the runner's Claude Code process). */
function childPids(pid: number): number[] {
  try {
    return execFileSync("ps", ["-o", "pid=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((s) => Number(s.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

describe("runner end to end, bypassPermissions", () => {
  const sessionId = "sess_runner_bypass";
  let platform: FakePlatform;
  let runner: RunnerHandle;
  let promptNo = 0;
  const prompt = (text: string): void => platform.send({ type: "prompt", prompt_id: `p${++promptNo}`, text });

  beforeAll(async () => {
    platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("bypassPermissions") });
    runner = await startRunner({
      platformUrl: platform.url,
      sessionId,
      token: RUNNER_TOKEN,
      modelUrl: model.url,
      gatewayToken: GATEWAY_TOKEN,
    });
  });
  afterAll(async () => {
    await runner?.stop();
    await platform?.close();
  });

  it("says hello, is configured, and streams a bash turn as events numbered 1..n", async () => {
    const hello = await platform.waitFor("hello", () => framesOf(platform, "hello")[0]);
    expect(hello.runner_version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(hello.runner_instance).toBeTruthy();
    expect(hello.agent_session_id).toBeUndefined();

    const from = mark(platform);
    const sentAt = Date.now();
    prompt('[[scenario:bash command="echo hi > a.txt"]]');
    await platform.waitFor("first event", () => eventsBetween(platform, from).length > 0);
    const firstEventMs = Date.now() - sentAt;
    const end = await turnEnd(platform, from);
    const turnMs = Date.now() - sentAt;
    console.info(`first event after ${firstEventMs} ms, turn done after ${turnMs} ms (cold start)`);

    const events = eventsBetween(platform, from, end);
    expect(events.map((e) => e.rseq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.event.type)).toEqual(["system", "tool_use", "tool_result", "assistant", "result"]);
    const [init, toolUse, toolResult] = events.map((e) => e.event);
    expect(init).toMatchObject({ type: "system", payload: { subtype: "init", permission_mode: "bypassPermissions" } });
    expect(toolUse).toMatchObject({ type: "tool_use", payload: { name: "Bash", input: { command: "echo hi > a.txt" } } });
    expect(toolResult).toMatchObject({ type: "tool_result", payload: { is_error: false } });
    expect(resultOf(events)).toMatchObject({ success: true, subtype: "success", num_turns: 2 });
    expect(readFileSync(path.join(runner.workspace, "a.txt"), "utf8")).toBe("hi\n");

    // Frame order around the turn: running first, the agent session id, idle last.
    // Every tool call reaches the platform, through the PreToolUse hook, even in bypassPermissions.
    const asked = framesOf(platform, "permission_request", from);
    expect(asked.map((f) => [f.tool_name, f.input["command"], f.workspace_dir])).toEqual([["Bash", "echo hi > a.txt", runner.workspace]]);
    const turnFrames = platform.frames
      .slice(from, end)
      .filter((f) => f.type !== "event" && f.type !== "heartbeat" && f.type !== "permission_request")
      .map((f) => (f.type === "turn_state" ? `turn_state:${f.state}` : f.type));
    // (A turn_state idle may precede: the runner resyncs its state right after hello.)
    expect(turnFrames.slice(-3)).toEqual(["turn_state:running", "agent_session", "turn_state:idle"]);
    const session = framesOf(platform, "agent_session")[0];
    expect(session?.agent_session_id).toMatch(/^[0-9a-f-]{36}$/);

    // The gateway token reaches the model server unchanged.
    expect(model.requests.length).toBeGreaterThan(0);
    expect(model.requests.at(-1)?.apiKey).toBe(GATEWAY_TOKEN);
    expect(platform.invalid).toEqual([]);
  });

  it("keeps one conversation across prompts", async () => {
    // This test's own two turns, whatever ran before it on the shared runner.
    const first = mark(platform);
    prompt("Remember the word heliotrope.");
    const firstEnd = await turnEnd(platform, first);
    const lastRseq = eventsBetween(platform, 0, firstEnd).at(-1)!.rseq;
    const from = mark(platform);
    const sentAt = Date.now();
    prompt("[[scenario:recall]]");
    const end = await turnEnd(platform, from);
    console.info(`warm turn done after ${Date.now() - sentAt} ms`);
    // A running Claude Code gets the prompt before the platform hears the turn is running; the
    // platform still hears it before any of the turn's events.
    const running = platform.frames.findIndex((f, i) => i >= from && f.type === "turn_state" && f.state === "running");
    const firstEvent = platform.frames.findIndex((f, i) => i >= from && f.type === "event");
    expect(running).toBeGreaterThanOrEqual(from);
    expect(running).toBeLessThan(firstEvent);
    const events = eventsBetween(platform, from, end);
    expect(assistantText(events)).toMatch(/\d\) Remember the word heliotrope\. \d\) \[\[scenario:recall\]\]/);
    // The numbering continues across turns: one sequence per runner, no restart at 1.
    expect(events[0]!.rseq).toBe(lastRseq + 1);
    expect(runner.logs().match(/starting claude/g)).toHaveLength(1);
  });

  it("shows the agent neither the runner token nor the gateway token: it reaches the model through the runner's loopback proxy", async () => {
    const from = mark(platform);
    prompt('[[scenario:bash command="env > env.txt"]]');
    await turnEnd(platform, from);
    const env = readFileSync(path.join(runner.workspace, "env.txt"), "utf8");
    expect(env).not.toContain(RUNNER_TOKEN);
    expect(env).not.toContain(GATEWAY_TOKEN);
    expect(env).not.toContain("GATEWAY_URL=");
    expect(env).toMatch(/^ANTHROPIC_BASE_URL=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(env).toContain(`ANTHROPIC_AUTH_TOKEN=${AGENT_PLACEHOLDER_TOKEN}`);
    // The model still got the gateway token: the proxy added it.
    expect(model.requests.at(-1)?.apiKey).toBe(GATEWAY_TOKEN);
    expect(env).toContain("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1");
  });

  it("interrupts a slow turn; the same process takes the next prompt", async () => {
    const from = mark(platform);
    prompt("[[scenario:slow chunks=20 delay=200]]");
    await platform.waitFor("init of the slow turn", () => eventsBetween(platform, from).some((e) => e.event.type === "system"));
    await new Promise((r) => setTimeout(r, 600));
    const interruptedAt = Date.now();
    platform.send({ type: "interrupt" });
    const end = await turnEnd(platform, from, 10_000);
    const stopMs = Date.now() - interruptedAt;
    console.info(`interrupt ended the turn after ${stopMs} ms`);
    expect(stopMs).toBeLessThan(3_000); // the scripted stream alone would take 4 s
    const result = resultOf(eventsBetween(platform, from, end));
    expect(result).toMatchObject({ success: false, subtype: "error_during_execution" });

    const next = mark(platform);
    prompt("[[scenario:recall]]");
    const nextEnd = await turnEnd(platform, next);
    const events = eventsBetween(platform, next, nextEnd);
    expect(resultOf(events)).toMatchObject({ success: true });
    expect(assistantText(events)).toContain("[[scenario:slow chunks=20 delay=200]]");
    expect(runner.logs().match(/starting claude/g)).toHaveLength(1);
  });

  it("runs prompts that arrive during a turn one after another, each with its own result", async () => {
    const from = mark(platform);
    prompt("[[scenario:slow chunks=4 delay=150]]");
    await platform.waitFor("init of the slow turn", () => eventsBetween(platform, from).some((e) => e.event.type === "system"));
    prompt("[[scenario:text text=second]]");
    prompt("[[scenario:text text=third]]");
    await platform.waitFor("three results", () =>
      eventsBetween(platform, from).filter((e) => e.event.type === "result").length === 3 ? true : undefined,
    );
    await platform.waitFor("idle", () => platform.frames.slice(from).some((f) => f.type === "turn_state" && f.state === "idle"));
    const states = framesOf(platform, "turn_state", from).map((f) => f.state);
    expect(states).toEqual(["running", "idle"]); // one busy stretch, no idle between queued prompts
    const texts = assistantText(eventsBetween(platform, from));
    expect(texts.indexOf("second")).toBeLessThan(texts.indexOf("third"));
    expect(texts).toContain("chunk 4/4");
  });

  it("survives a dropped socket: reconnects, resends unacked events, none lost or doubled", async () => {
    platform.autoAck = false;
    const connectionsBefore = platform.connections;
    const duplicatesBefore = platform.duplicates;
    const from = mark(platform);
    prompt("[[scenario:slow chunks=8 delay=150]]");
    await platform.waitFor("init of the turn", () => eventsBetween(platform, from).some((e) => e.event.type === "system"));

    // The DO goes away mid-turn and stays unreachable until the turn has finished.
    platform.unavailable = true;
    platform.dropSocket();
    await new Promise((r) => setTimeout(r, 2_500));
    platform.unavailable = false;

    await platform.waitFor("reconnection", () => platform.connections > connectionsBefore);
    await turnEnd(platform, from);
    await platform.waitFor("the turn's result", () => resultOf(eventsBetween(platform, from)));
    expect(platform.duplicates).toBeGreaterThan(duplicatesBefore); // the init event came twice
    const hellos = framesOf(platform, "hello", from);
    expect(hellos.length).toBeGreaterThan(0);
    expect(hellos[0]!.agent_session_id).toBe(framesOf(platform, "agent_session")[0]!.agent_session_id);
    expect(new Set(hellos.map((h) => h.runner_instance)).size).toBe(1);

    // Acknowledge everything; a later drop must not resend what was acked.
    platform.ackAll();
    platform.autoAck = true;
    await new Promise((r) => setTimeout(r, 200));
    const dupes = platform.duplicates;
    const connections = platform.connections;
    platform.dropSocket();
    await platform.waitFor("second reconnection", () => platform.connections > connections);
    await new Promise((r) => setTimeout(r, 300));
    expect(platform.duplicates).toBe(dupes);

    // Every rseq from 1 to the newest is stored exactly once, in order, with no gap.
    const stored = platform.storedEvents();
    expect(stored.map((e) => e.rseq)).toEqual(stored.map((_, i) => i + 1));
    const received = framesOf(platform, "event").map((f) => f.rseq);
    expect(new Set(received)).toEqual(new Set(stored.map((e) => e.rseq)));
    expect(framesOf(platform, "heartbeat").length).toBeGreaterThan(0);
  });

  it("reports a dead Claude Code and resumes the conversation on the next prompt", async () => {
    const pids = childPids(runner.child.pid!);
    expect(pids).toHaveLength(1);
    const sessionBefore = framesOf(platform, "agent_session").at(-1)!.agent_session_id;
    const from = mark(platform);
    process.kill(pids[0]!, "SIGKILL");
    const exited = await platform.waitFor("agent_exited", () => framesOf(platform, "agent_exited", from)[0]);
    expect(exited).toMatchObject({ code: null, signal: "SIGKILL" });

    const next = mark(platform);
    prompt("[[scenario:recall]]");
    const end = await turnEnd(platform, next);
    const events = eventsBetween(platform, next, end);
    expect(resultOf(events)).toMatchObject({ success: true });
    // The earlier prompts are still in the conversation: it was resumed, not restarted.
    expect(assistantText(events)).toContain('1) [[scenario:bash command="echo hi > a.txt"]]');
    expect(runner.logs()).toContain(`"resume":"${sessionBefore}"`);
  });

  it("stops Claude Code and exits 0 on shutdown", async () => {
    const pids = childPids(runner.child.pid!);
    platform.send({ type: "shutdown" });
    expect(await runner.exited).toBe(0);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    expect(runner.logs()).not.toContain(RUNNER_TOKEN);
    expect(runner.logs()).not.toContain(GATEWAY_TOKEN);
  });
});

describe("runner end to end, default permission mode", () => {
  const sessionId = "sess_runner_default";
  let platform: FakePlatform;
  let runner: RunnerHandle;
  let promptNo = 0;
  const prompt = (text: string): void => platform.send({ type: "prompt", prompt_id: `d${++promptNo}`, text });

  beforeAll(async () => {
    platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings: settingsFor("default") });
    runner = await startRunner({
      platformUrl: platform.url,
      sessionId,
      token: RUNNER_TOKEN,
      modelUrl: model.url,
      gatewayToken: GATEWAY_TOKEN,
    });
    await platform.waitFor("hello", () => framesOf(platform, "hello")[0]);
  });
  afterAll(async () => {
    await runner?.stop();
    await platform?.close();
  });

  it("asks the platform before a tool call; a deny leaves the file unwritten", async () => {
    const from = mark(platform);
    prompt('[[scenario:bash command="echo hi > denied.txt"]]');
    const request = await platform.waitFor("permission_request", () => framesOf(platform, "permission_request", from)[0]);
    expect(request).toMatchObject({ tool_name: "Bash", input: { command: "echo hi > denied.txt" } });
    expect(request.tool_use_id).toMatch(/^toolu_/);
    platform.send({ type: "permission_response", request_id: request.request_id, behavior: "deny", message: "Not today." });
    const end = await turnEnd(platform, from);
    const events = eventsBetween(platform, from, end);
    const toolResult = events.find((e) => e.event.type === "tool_result")?.event;
    // The platform's answer travels through the PreToolUse hook, which Claude Code names in the result.
    expect(toolResult).toMatchObject({ payload: { tool_use_id: request.tool_use_id, is_error: true } });
    expect(JSON.stringify(toolResult?.payload)).toContain("Not today.");
    expect(existsSync(path.join(runner.workspace, "denied.txt"))).toBe(false);
  });

  it("an allow with updated input runs the updated call", async () => {
    const from = mark(platform);
    prompt('[[scenario:write path=allowed.txt content="original"]]');
    const request = await platform.waitFor("permission_request", () => framesOf(platform, "permission_request", from)[0]);
    expect(request.tool_name).toBe("Write");
    platform.send({
      type: "permission_response",
      request_id: request.request_id,
      behavior: "allow",
      updated_input: { ...request.input, content: "changed by the user" },
    });
    await turnEnd(platform, from);
    expect(readFileSync(path.join(runner.workspace, "allowed.txt"), "utf8")).toBe("changed by the user");
  });

  it("an interrupt while an approval is pending withdraws the request", async () => {
    const from = mark(platform);
    prompt('[[scenario:bash command="echo hi > never.txt"]]');
    const request = await platform.waitFor("permission_request", () => framesOf(platform, "permission_request", from)[0]);
    platform.send({ type: "interrupt" });
    const cancelled = await platform.waitFor("permission_cancelled", () => framesOf(platform, "permission_cancelled", from)[0]);
    expect(cancelled.request_id).toBe(request.request_id);
    await turnEnd(platform, from);
    // A late answer to the withdrawn request is ignored, and the session goes on.
    platform.send({ type: "permission_response", request_id: request.request_id, behavior: "allow" });
    const next = mark(platform);
    prompt("[[scenario:text text=still-here]]");
    const end = await turnEnd(platform, next);
    expect(assistantText(eventsBetween(platform, next, end))).toContain("still-here");
    expect(existsSync(path.join(runner.workspace, "never.txt"))).toBe(false);
    expect(platform.invalid).toEqual([]);
  });
});

describe("runner resuming a conversation that is gone", () => {
  it("says so and continues in a fresh conversation", async () => {
    const sessionId = "sess_runner_lost_resume";
    const settings = { ...settingsFor("bypassPermissions"), resume_agent_session_id: "3f1ac1c4-8c0e-4a8f-9d0e-000000000000" };
    const platform = await startFakePlatform({ sessionId, token: RUNNER_TOKEN, settings });
    const runner = await startRunner({
      platformUrl: platform.url,
      sessionId,
      token: RUNNER_TOKEN,
      modelUrl: model.url,
      gatewayToken: GATEWAY_TOKEN,
    });
    try {
      await platform.waitFor("hello", () => framesOf(platform, "hello")[0]);
      platform.send({ type: "prompt", prompt_id: "r1", text: "[[scenario:recall]]" });
      const end = await turnEnd(platform, 0);
      const events = eventsBetween(platform, 0, end);
      expect(events[0]?.event).toMatchObject({ type: "system", payload: { subtype: "resume_failed" } });
      expect(resultOf(events)).toMatchObject({ success: true });
      expect(assistantText(events)).toContain("1) [[scenario:recall]]");
      expect(framesOf(platform, "agent_exited")).toEqual([]);
      expect(runner.logs()).toContain('"resume":null');
    } finally {
      await runner.stop();
      await platform.close();
    }
  });
});

describe("runner authentication", () => {
  it("keeps retrying with backoff while its token is refused", async () => {
    const sessionId = "sess_runner_badtoken";
    const platform = await startFakePlatform({ sessionId, token: "the-right-token", settings: settingsFor("default") });
    const runner = await startRunner({
      platformUrl: platform.url,
      sessionId,
      token: "a-wrong-token",
      modelUrl: model.url,
      gatewayToken: GATEWAY_TOKEN,
    });
    try {
      await platform.waitFor("two refused upgrades", () => platform.rejectedUpgrades >= 2, 10_000);
      expect(platform.connections).toBe(0);
      expect(runner.child.exitCode).toBeNull();
      expect(runner.logs()).not.toContain("a-wrong-token");
    } finally {
      await runner.stop();
      await platform.close();
    }
  });
});
