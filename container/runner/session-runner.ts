// SessionRunner: joins the platform channel and one Claude Code process. It starts Claude Code
// when configured, feeds prompts, relays permission checks both ways, translates output into
// events, and restarts Claude Code with --resume after it died.
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { AgentEventBody } from "../../schemas/events.ts";
import type { PlatformToRunner, RunnerSettings } from "../../schemas/runner.ts";
import { buildClaudeCommand, mcpConfigJson, type ClaudeCapabilities } from "./claude-command.ts";
import { ClaudeProcess, type ClaudeExit } from "./claude-process.ts";
import { controlRequest, controlSuccess, userTurn } from "./claude-protocol.ts";
import type { RunnerConfig } from "./config.ts";
import { WorkspaceTransfers } from "./workspace-transfers.ts";
import type { Logger } from "./log.ts";
import { PlatformChannel, type ControlFrame } from "./platform-channel.ts";
import { PermissionGate } from "./permission-gate.ts";
import { PermissionRelay } from "./permission-relay.ts";
import { hookSettingsJson } from "./permission-hook.ts";
import { mapClaudeMessage, type MapperOutput } from "./stream-mapper.ts";
import { RUNNER_VERSION } from "./version.ts";
import { TurnStart } from "./turn-start.ts";
import { claudeConfigDirOf, WorkspaceArchive } from "./workspace-archive.ts";

type Prompt = { id: string; text: string };
type AgentExited = Extract<ControlFrame, { type: "agent_exited" }>;

/** One Claude Code process with what the runner knows about it. */
type Agent = {
  process: ClaudeProcess;
  resumedFrom: string | undefined;
  /** Set by the first `system/init`; output before it is a startup failure, not a turn. */
  initialised: boolean;
  startupError: string | undefined;
  stopping: boolean;
};

// Prompt ids remembered to drop a prompt delivered twice (after a DO restart, say).
const SEEN_PROMPTS_LIMIT = 1_000;

/** The runner's state machine; `done` resolves when it has shut down. */
export class SessionRunner {
  readonly done: Promise<void>;
  #config: RunnerConfig;
  #log: Logger;
  #channel: PlatformChannel;
  #files: WorkspaceTransfers;
  #archive: WorkspaceArchive;
  /** A turn starting: a checkpoint's upload waits for its first answer (turn-start.ts). */
  #turnStart = new TurnStart();
  #capabilities: Promise<ClaudeCapabilities>;
  #instance = randomUUID();
  #tmpDir: string;
  #settings: RunnerSettings | undefined;
  #agent: Agent | undefined;
  #agentSessionId: string | undefined;
  /** Set when resuming the configured conversation failed (it is gone): never try that id again. */
  #resumeDisabled = false;
  /** The prompt whose turn is running. */
  #current: Prompt | undefined;
  /**
   * Prompts waiting for the running turn to end. The session DO owns the turn queue and sends one
   * prompt per turn (the contract: "The turn queue" in schemas/runner.ts), so this holds only
   * redeliveries and strays. They are held here, not written to Claude Code, because the CLI
   * merges prompts queued on its stdin into one turn (one `result` for several prompts), which
   * would leave no reliable signal for "idle".
   */
  #queue: Prompt[] = [];
  #waitingForSettings: Prompt[] = [];
  #seenPrompts = new Set<string>();
  #permissions: PermissionRelay;
  #gate: PermissionGate;
  #gateUrl: Promise<string>;
  #unsentExit: AgentExited | undefined;
  #interrupts = 0;
  #shuttingDown = false;
  #resolveDone!: () => void;

  constructor(config: RunnerConfig, capabilities: Promise<ClaudeCapabilities>, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.#capabilities = capabilities;
    this.#tmpDir = mkdtempSync(path.join(config.tmpDir, "runner-"));
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
    this.#channel = new PlatformChannel({
      url: config.socketUrl,
      token: config.runnerToken,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      reconnectMaxMs: config.reconnectMaxMs,
      log,
      hello: () => ({
        type: "hello",
        runner_version: RUNNER_VERSION,
        runner_instance: this.#instance,
        // WorkspaceArchive.handle copies the conversation before it returns (below, "archive").
        snapshot_on_receipt: true,
        ...(this.#agentSessionId ? { agent_session_id: this.#agentSessionId } : {}),
      }),
      onFrame: (frame) => this.#onPlatformFrame(frame),
      onConnected: () => this.#resync(),
      onTerminated: () => void this.shutdown(),
    });
    this.#archive = new WorkspaceArchive({
      workspaceDir: config.workspaceDir,
      claudeConfigDir: claudeConfigDirOf(config.agentEnv),
      tmpDir: this.#tmpDir,
      agentUser: config.agentUser,
      idle: () => this.#turnStart.passed(),
      send: (frame) => this.#channel.send(frame),
      log,
    });
    // A checkpoint's tar reads the workspace while the next turn starts: its tool calls wait for it.
    this.#permissions = new PermissionRelay({
      workspaceDir: config.workspaceDir,
      send: (frame) => this.#channel.send(frame),
      snapshotting: () => this.#archive.snapshotsTaken(),
      log,
    });
    this.#gate = new PermissionGate((call, signal) => this.#permissions.askFromHook(call, signal), log);
    this.#gateUrl = this.#gate.start();
    this.#files = new WorkspaceTransfers({ workspaceDir: config.workspaceDir, send: (frame) => this.#channel.send(frame), log });
  }

  /** Connects to the platform. */
  start(): void {
    this.#log.info("runner starting", { session_id: this.#config.sessionId, instance: this.#instance });
    this.#channel.start();
  }

  /** Stops Claude Code, closes the channel and resolves `done`. Idempotent. */
  async shutdown(): Promise<void> {
    if (this.#shuttingDown) return this.done;
    this.#shuttingDown = true;
    this.#log.info("runner shutting down");
    const agent = this.#agent;
    if (agent) {
      agent.stopping = true;
      await agent.process.stop();
    }
    await this.#channel.close();
    this.#gate.close();
    rmSync(this.#tmpDir, { recursive: true, force: true });
    this.#resolveDone();
    return this.done;
  }

  // ----------------------------------------------------------------------------- platform → runner

  #onPlatformFrame(frame: PlatformToRunner): void {
    if (this.#shuttingDown) return;
    switch (frame.type) {
      case "configure":
        return this.#onConfigure(frame.settings);
      case "prompt":
        return this.#onPrompt(frame.prompt_id, frame.text);
      case "interrupt":
        return this.#onInterrupt();
      case "permission_response":
        return this.#onPermissionResponse(frame);
      case "shutdown":
        void this.shutdown();
        return;
      case "fetch_file":
        // It writes into the workspace: not under a checkpoint's tar.
        return void (this.#archive.snapshotsTaken() ?? Promise.resolve()).then(() => this.#files.handle(frame));
      case "send_file":
        return this.#files.handle(frame);
      case "archive":
      case "restore":
        // Hibernation: restore comes before `configure`, so Claude Code starts on the restored files.
        // An archive's snapshot is fixed before this returns, so before the next frame (a prompt
        // the DO sends right behind it: hello's `snapshot_on_receipt`) is read.
        return this.#archive.handle(frame);
      case "ack":
        return; // handled by the channel
    }
  }

  #onConfigure(settings: RunnerSettings): void {
    // Newest settings apply from the next start; a running process keeps its own.
    this.#settings = settings;
    if (!this.#agent) void this.#startAgent();
    const waiting = this.#waitingForSettings.splice(0);
    for (const prompt of waiting) this.#onPrompt(prompt.id, prompt.text, true);
  }

  #onPrompt(id: string, text: string, replay = false): void {
    if (!replay) {
      if (this.#seenPrompts.has(id)) {
        this.#log.info("ignoring duplicate prompt", { prompt_id: id });
        return;
      }
      this.#seenPrompts.add(id);
      if (this.#seenPrompts.size > SEEN_PROMPTS_LIMIT) this.#seenPrompts.delete(this.#seenPrompts.values().next().value!);
    }
    if (!this.#settings) {
      this.#log.warn("prompt before configure; holding it", { prompt_id: id });
      this.#waitingForSettings.push({ id, text });
      return;
    }
    if (this.#current) {
      this.#log.info("turn running; prompt queued", { prompt_id: id });
      this.#queue.push({ id, text });
      return;
    }
    void this.#beginTurn({ id, text });
  }

  /**
   * Hands the prompt to Claude Code and marks the turn running. A running Claude Code gets the
   * prompt first (#writePrompt writes before its first await): the frame to the platform is
   * bookkeeping, and the turn's first answer waits on Claude Code. Its output comes on later
   * ticks, so the frame still precedes every event of the turn.
   */
  async #beginTurn(prompt: Prompt): Promise<void> {
    const wasIdle = this.#current === undefined;
    this.#current = prompt;
    const writing = this.#writePrompt(prompt);
    if (wasIdle) this.#channel.send({ type: "turn_state", state: "running" });
    await writing;
  }

  /** Writes a prompt to Claude Code, starting (or restarting, with --resume) it when none runs. */
  async #writePrompt(prompt: Prompt): Promise<void> {
    const agent = this.#agent ?? (await this.#startAgent());
    if (!agent) return; // shutting down
    this.#log.info("prompt", { prompt_id: prompt.id, chars: prompt.text.length });
    this.#turnStart.begin();
    agent.process.write(userTurn(prompt.text));
  }

  /** The running turn ended: start the next queued prompt, or report idle (which frees the DO to send the next; schemas/runner.ts). */
  #endTurn(): void {
    const next = this.#queue.shift();
    this.#current = next;
    // Still running from the platform's point of view: no idle/running flicker between prompts.
    if (next) void this.#writePrompt(next);
    else this.#channel.send({ type: "turn_state", state: "idle" });
  }

  #onInterrupt(): void {
    const agent = this.#agent;
    if (!agent || !this.#current) {
      this.#log.info("interrupt with no turn running; ignored");
      return;
    }
    const requestId = `interrupt-${++this.#interrupts}`;
    this.#log.info("interrupting turn", { request_id: requestId });
    agent.process.write(controlRequest(requestId, { subtype: "interrupt" }));
  }

  #onPermissionResponse(frame: Extract<PlatformToRunner, { type: "permission_response" }>): void {
    const decision = this.#permissions.answer(frame);
    if (decision && this.#agent) this.#agent.process.write(controlSuccess(frame.request_id, decision));
  }

  /** After every (re)connection: state frames the DO may have missed while the socket was down. */
  #resync(): void {
    if (this.#unsentExit && this.#channel.send(this.#unsentExit)) this.#unsentExit = undefined;
    this.#channel.send({ type: "turn_state", state: this.#current ? "running" : "idle" });
    this.#permissions.resync();
    this.#files.resync();
    this.#archive.resync();
  }

  // ----------------------------------------------------------------------------- Claude Code

  async #startAgent(): Promise<Agent | undefined> {
    const settings = this.#settings;
    if (!settings || this.#shuttingDown) return undefined;
    if (this.#agent) return this.#agent;
    const capabilities = await this.#capabilities;
    const gateUrl = await this.#gateUrl;
    if (this.#agent) return this.#agent; // another caller started it while we awaited
    if (this.#shuttingDown) return undefined;
    const resumeId = this.#agentSessionId ?? (this.#resumeDisabled ? undefined : settings.resume_agent_session_id);
    const mcpJson = mcpConfigJson(settings);
    let mcpConfigPath: string | undefined;
    if (mcpJson) {
      mcpConfigPath = path.join(this.#tmpDir, "mcp.json");
      writeFileSync(mcpConfigPath, mcpJson, { mode: 0o600 });
    }
    const command = buildClaudeCommand(settings, {
      capabilities,
      baseEnv: this.#config.agentEnv,
      // Whether Claude Code itself runs as root, which is not the runner's uid when there is an agent user.
      isRoot: (this.#config.agentUser?.uid ?? process.getuid?.()) === 0,
      ...(resumeId ? { resumeId } : {}),
      ...(mcpConfigPath ? { mcpConfigPath } : {}),
      hookSettings: hookSettingsJson(process.execPath, gateUrl),
    });
    this.#log.info("starting claude", {
      permission_mode: settings.permission_mode,
      resume: resumeId ?? null,
      model: settings.model ?? null,
    });
    // The handlers only ever run asynchronously, after `agent` is assigned below.
    const child = new ClaudeProcess(
      { bin: this.#config.claudeBin, args: command.args, cwd: this.#config.workspaceDir, env: command.env, user: this.#config.agentUser },
      {
        onMessage: (message) => this.#onClaudeMessage(agent, message),
        onExit: (exit) => this.#onClaudeExit(agent, exit),
      },
      this.#log,
    );
    const agent: Agent = { process: child, resumedFrom: resumeId, initialised: false, startupError: undefined, stopping: false };
    this.#agent = agent;
    return agent;
  }

  #onClaudeMessage(agent: Agent, message: unknown): void {
    for (const out of mapClaudeMessage(message)) {
      if (!agent.initialised && !this.#beforeInit(agent, out)) continue;
      this.#apply(agent, out);
    }
  }

  /** Output before `system/init`: a `result` then is a startup failure (bad --resume, ...), not a turn. */
  #beforeInit(agent: Agent, out: MapperOutput): boolean {
    if (out.kind === "event" && out.event.type === "system" && out.event.payload.subtype === "init") {
      agent.initialised = true;
      return true;
    }
    if (out.kind === "event" && out.event.type === "result") {
      agent.startupError = out.event.payload.summary || out.event.payload.subtype;
      this.#log.warn("claude failed before its first turn", { error: agent.startupError });
      return false;
    }
    if (out.kind === "frame" && (out.frame.type === "turn_state" || out.frame.type === "agent_session")) return false;
    return true;
  }

  #apply(agent: Agent, out: MapperOutput): void {
    switch (out.kind) {
      case "event":
        if (out.event.type !== "system") this.#turnStart.settle(); // the model answered
        this.#channel.sendEvent(out.event);
        return;
      case "reply":
        agent.process.write(out.message);
        return;
      case "control_response":
        this.#log.info("claude answered control request", { request_id: out.request_id, subtype: out.subtype });
        return;
      case "frame":
        break;
    }
    const frame = out.frame;
    switch (frame.type) {
      case "agent_session":
        if (frame.agent_session_id === this.#agentSessionId) return;
        this.#agentSessionId = frame.agent_session_id;
        this.#channel.send(frame);
        return;
      case "turn_state":
        this.#turnStart.settle();
        this.#endTurn();
        return;
      case "permission_request":
        this.#permissions.askFromPrompt(frame);
        return;
      case "permission_cancelled":
        this.#permissions.withdraw(frame.request_id);
        return;
    }
  }

  #onClaudeExit(agent: Agent, exit: ClaudeExit): void {
    if (this.#agent === agent) this.#agent = undefined;
    this.#turnStart.settle();
    this.#permissions.cancelAll();
    if (agent.stopping || this.#shuttingDown) {
      this.#log.info("claude stopped", { code: exit.code, signal: exit.signal });
      return;
    }
    const error = exit.spawnError ?? agent.startupError ?? lastLine(exit.stderrTail);
    this.#log.warn("claude exited unexpectedly", { code: exit.code, signal: exit.signal, error: error ?? null });

    // A conversation that cannot be resumed (its transcript is gone) must not block the session
    // forever: say so, and give the prompt that never ran to a fresh conversation.
    if (agent.resumedFrom && !agent.initialised && agent.startupError !== undefined) {
      this.#resumeDisabled = true;
      this.#agentSessionId = undefined;
      this.#channel.sendEvent(resumeFailedNotice(agent.resumedFrom, error));
      if (this.#current) void this.#writePrompt(this.#current);
      else if (this.#settings) void this.#startAgent();
      return;
    }

    const frame: AgentExited = {
      type: "agent_exited",
      code: exit.code,
      signal: exit.signal,
      ...(error ? { error: error.slice(0, 2_000) } : {}),
    };
    if (!this.#channel.send(frame)) this.#unsentExit = frame;
    // The running turn died with the process; a queued prompt restarts it (with --resume).
    if (this.#current) this.#endTurn();
  }
}

function resumeFailedNotice(sessionId: string, error: string | undefined): AgentEventBody {
  return {
    type: "system",
    payload: {
      subtype: "resume_failed",
      message: `Could not resume conversation ${sessionId}${error ? ` (${error})` : ""}; starting a new conversation.`,
    },
  };
}

function lastLine(text: string): string | undefined {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.at(-1);
}
