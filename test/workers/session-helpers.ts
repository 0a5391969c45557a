/** Test helpers for sessions: a user with a credential, client sockets, and a simulated runner. */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { call, registeredUser } from "./helpers.ts";

/** A registered user with a stored API key, ready to create sessions. */
export async function userWithKey(): Promise<{ sub: string; token: string }> {
  const { user, token } = await registeredUser();
  const stored = await call("POST", "/v1/auth/claude/apikey", { token, body: { api_key: "sk-ant-api03-session-tests-0123456789" } });
  expect(stored.status).toBe(200);
  return { sub: user.sub, token };
}

/** Creates a session and returns its id. */
export async function createSession(token: string, body: Record<string, unknown> = {}): Promise<string> {
  const created = await call("POST", "/v1/sessions", { token, body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.session.id as string;
}

/** What the sandbox of `sessionId` was started with, per the recorder. */
export async function recordedSandbox(
  sessionId: string,
): Promise<{ env: Record<string, string>; starts: number; stops: number; running: boolean }> {
  // The sandbox starts in the background after creation answers; wait for it.
  for (let i = 0; i < 100; i++) {
    const response = await fetch(`${env.TEST_SANDBOX_RECORDER_URL}/_recorded/${sessionId}`);
    if (response.ok) return response.json();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`sandbox of ${sessionId} was never started`);
}

/** A WebSocket with a queue of received JSON frames. */
export class TestSocket {
  readonly frames: any[] = [];
  closeCode: number | null = null;
  private waiters: (() => void)[] = [];
  readonly ws: WebSocket;

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.accept();
    ws.addEventListener("message", (event) => {
      this.frames.push(JSON.parse(event.data as string));
      this.wake();
    });
    ws.addEventListener("close", (event) => {
      this.closeCode = event.code;
      this.wake();
    });
  }

  private wake() {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Waits until `predicate` holds for the frames received so far. */
  async until(predicate: (frames: any[]) => boolean, what = "frames", timeoutMs = 5_000): Promise<any[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames).slice(0, 1500)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.frames;
  }

  /** Waits for the first frame of `type` after index `from`. */
  async next(type: string, from = 0): Promise<any> {
    const frames = await this.until((f) => f.slice(from).some((x) => x.type === type), `a '${type}' frame`);
    return frames.slice(from).find((x) => x.type === type);
  }

  async closed(): Promise<number> {
    await this.until(() => this.closeCode !== null, "close");
    return this.closeCode!;
  }

  close(): void {
    try {
      this.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }
}

/** Opens a WebSocket to the Worker under test; returns the upgrade answer when it is refused. */
export async function openSocket(path: string, headers: Record<string, string> = {}): Promise<TestSocket | Response> {
  const response = await exports.default.fetch(
    new Request(`http://platform.test${path}`, { headers: { upgrade: "websocket", ...headers } }),
  );
  if (!response.webSocket) return response;
  return new TestSocket(response.webSocket);
}

/** Opens a client socket for `token` (via `?token=`, as browsers do). */
export async function clientSocket(sessionId: string, token: string, query = ""): Promise<TestSocket> {
  const socket = await openSocket(`/v1/ws/sessions/${sessionId}?token=${token}${query ? `&${query}` : ""}`);
  if (!(socket instanceof TestSocket)) throw new Error(`client upgrade refused: ${socket.status} ${await socket.text()}`);
  return socket;
}

/** Connects as the session's runner with the token its sandbox was given, and says hello (with `hello`'s extra fields). */
export async function runnerSocket(sessionId: string, instance = "runner-1", hello: Record<string, unknown> = {}): Promise<TestSocket> {
  const sandbox = await recordedSandbox(sessionId);
  const socket = await openSocket(`/v1/runner/sessions/${sessionId}/ws`, { authorization: `Bearer ${sandbox.env.RUNNER_TOKEN}` });
  if (!(socket instanceof TestSocket)) throw new Error(`runner upgrade refused: ${socket.status} ${await socket.text()}`);
  socket.send({ type: "hello", runner_version: "test", runner_instance: instance, ...hello });
  await socket.next("configure");
  return socket;
}

/**
 * Has the session's runner send `count` assistant text events ("event <i>"), a hundred to a
 * frame, and waits until the session has stored (acknowledged) the last one.
 */
export async function sendRunnerEvents(runner: TestSocket, count: number, timeoutMs: number): Promise<void> {
  const perFrame = 100;
  const text = (i: number) => ({ type: "assistant", payload: { content: [{ type: "text", text: `event ${i}` }], model: "m" } });
  for (let first = 1; first <= count; first += perFrame) {
    const size = Math.min(perFrame, count - first + 1);
    runner.send({
      type: "events",
      items: Array.from({ length: size }, (_, i) => ({ type: "event", rseq: first + i, event: text(first + i) })),
    });
  }
  await runner.until((f) => f.some((x) => x.type === "ack" && x.rseq === count), "the last ack", timeoutMs);
}

/**
 * Changes the session's stored state inside its Durable Object, e.g. to move a timestamp into
 * the past so a deadline is due, then lets `runDurableObjectAlarm` fire it: the timers' real
 * code runs, only the clock is skipped.
 */
export async function backdate(
  sessionId: string,
  mutate: (state: import("../../durable-objects/session/session-state.ts").SessionState) => void,
): Promise<void> {
  const { runInDurableObject } = await import("cloudflare:test");
  const stub = env.SESSION.get(env.SESSION.idFromName(sessionId));
  await runInDurableObject(stub, async (instance) => {
    const internals = instance as unknown as {
      state: import("../../durable-objects/session/session-state.ts").SessionState;
      commit(): void;
      scheduleAlarm(): Promise<void>;
    };
    mutate(internals.state);
    internals.commit();
    await internals.scheduleAlarm();
  });
}

/** Runs the session's alarm now (its due deadlines fire). */
export async function fireAlarm(sessionId: string): Promise<boolean> {
  const { runDurableObjectAlarm } = await import("cloudflare:test");
  return runDurableObjectAlarm(env.SESSION.get(env.SESSION.idFromName(sessionId)));
}
