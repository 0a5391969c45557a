/**
 * Chaos end to end (issue 14), on the real platform with a real agent: clients that keep dropping
 * (half of them abruptly, without a closing handshake) and resuming with `after_seq` across a long
 * turn must see every stored event exactly once, in order; and a runner killed mid-turn must take
 * its agent with it (no model call after the kill) and end the session at once with the reason
 * that says so. The randomness is seeded and the seed printed (CHAOS_SEED repeats a run). The
 * platform restarted mid-turn is platform-restart.test.ts; paging through thousands of events
 * with every limit is test/workers/history-chaos.test.ts.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { random, runSeed } from "../../fakes/seeded-random.ts";
import { Client, api, bootE2E, hasResult, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform;
let token: string;

beforeAll(async () => ({ platform, token } = await bootE2E()), 120_000);
afterAll(async () => platform?.stop());

const next = random(runSeed("CHAOS_SEED", "chaos"));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function newSession(): Promise<string> {
  const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.session.id;
}

/** The seqs a client received so far: the history frame's, then every stored event's. */
function seqsOf(frames: any[]): number[] {
  return frames.flatMap((f) => (f.type === "history" ? f.payload.messages.map((m: any) => m.seq) : f.seq === null ? [] : [f.seq]));
}

/**
 * A client that drops its connection every 20–300 ms and resumes after the last seq it saw, until
 * `target()` gives a seq and it has seen that far. Returns every seq it received, in order.
 */
async function flakyReader(id: string, target: () => number | null): Promise<{ seqs: number[]; drops: number }> {
  const seqs: number[] = [];
  let drops = 0;
  let client = await Client.connect(platform.baseUrl, token, id);
  for (;;) {
    await sleep(20 + next() * 280);
    const goal = target();
    if (goal !== null && Math.max(0, ...seqs, ...seqsOf(client.frames)) >= goal) break;
    if (next() < 0.5) client.kill();
    else {
      client.close();
      await client.until(() => client.closeCode !== null, "the close handshake", 10_000);
    }
    seqs.push(...seqsOf(client.frames));
    drops++;
    client = await Client.connect(platform.baseUrl, token, id, `&after_seq=${seqs.at(-1) ?? 0}`);
  }
  seqs.push(...seqsOf(client.frames));
  client.close();
  return { seqs, drops };
}

/** Pids of the processes of a session's sandbox (every one carries the sandbox's marker). */
function sandboxPids(id: string): number[] {
  const marker = `AI_SESSIONS_SANDBOX=${path.join(platform.sandbox.root, id)}`;
  return readdirSync("/proc")
    .map(Number)
    .filter((pid) => {
      if (!Number.isInteger(pid) || pid <= 1) return false;
      try {
        return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(marker);
      } catch {
        return false;
      }
    });
}

function parentOf(pid: number): number {
  try {
    return Number(
      readFileSync(`/proc/${pid}/stat`, "utf8")
        .replace(/^.*\) /, "")
        .split(" ")[1],
    );
  } catch {
    return 0;
  }
}

describe("chaos", () => {
  it("clients dropping and resuming at random across a long turn see every event exactly once", async () => {
    const id = await newSession();
    const observer = await Client.connect(platform.baseUrl, token, id);
    await observer.until((f) => f.some((x) => x.type === "history"), "history");
    observer.send({ type: "prompt", payload: { text: "[[scenario:multi rounds=30]]" } });

    // Once the turn is over, the readers must get as far as the stored history goes.
    let last: number | null = null;
    const finished = observer.until(hasResult(), "the long turn", 180_000).then(async () => {
      const history = await api(platform.baseUrl, token, "GET", `/v1/sessions/${id}/history`);
      last = history.body.messages.at(-1).seq;
      return history.body.messages.map((m: any) => m.seq) as number[];
    });
    const readers = await Promise.all(Array.from({ length: 4 }, () => flakyReader(id, () => last)));
    const stored = await finished;
    console.log(`chaos: ${readers.map((r) => r.drops).join(" + ")} drops over ${stored.length} events`);

    expect(stored).toEqual(stored.map((_, i) => i + 1));
    expect(stored.length).toBeGreaterThan(90); // 30 rounds of text, tool call and result
    for (const reader of readers) {
      expect(reader.drops).toBeGreaterThan(5);
      // Nothing missing, nothing doubled, nothing out of order.
      expect(reader.seqs.slice(0, stored.length)).toEqual(stored);
      expect(reader.seqs).toEqual(reader.seqs.map((_, i) => i + 1));
    }
    observer.close();
  }, 240_000);

  it("a runner killed mid-turn takes its agent along: no model call after the kill, the session ends saying so", async () => {
    const id = await newSession();
    const client = await Client.connect(platform.baseUrl, token, id);
    await client.until((f) => f.some((x) => x.type === "history"), "history");
    const model = platform.modelServer!;
    client.send({ type: "prompt", payload: { text: "[[scenario:slow chunks=300 delay=100]]" } });
    // Kill while the agent waits on a long model answer, so no call of its own is under way.
    for (let i = 0; !model.requests.some((r) => r.scenario === "slow"); i++) {
      if (i > 2_400) throw new Error("the slow model call never started");
      await sleep(25);
    }
    // The runner is the parent of the agent's processes (one from the warm pool carries its
    // first, warm directory as marker: sandbox-host/local-sandbox.ts `claim`).
    const runner = sandboxPids(id)
      .flatMap((pid) => [pid, parentOf(pid)])
      .find((pid) => pid > 1 && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("runner/main.ts"));
    expect(runner).toBeDefined();
    process.kill(runner!, "SIGKILL");
    const calls = model.requests.length;

    const end = (await client.until((f) => f.some((x) => x.type === "session_end"), "session_end", 45_000)).find(
      (x) => x.type === "session_end",
    );
    expect(end.payload).toEqual({ reason: "job_completed", exit_code: null, detail: "the runner was killed by SIGKILL" });
    expect(client.frames.some((x) => x.type === "result")).toBe(false);
    // Nothing of the sandbox lives on to call the model, and nothing did since the kill.
    expect(sandboxPids(id)).toEqual([]);
    expect(model.requests.length).toBe(calls);
    client.close();
  }, 120_000);
});
