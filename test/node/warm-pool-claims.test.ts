// The warm pool's rules for claims, on sandboxes that only record what is done to them (the real
// backends are warm-pool.test.ts's and e2e/container-warm.test.ts's): a sandbox that does not
// fit a session stays in the pool and the session starts cold; a claim that fails discards its
// sandbox, which never serves anyone, and the pool starts another.
import { describe, expect, it } from "vitest";
import { WarmPool, type WarmSandbox } from "../../sandbox-host/warm-pool.ts";

class RecordingSandbox implements WarmSandbox {
  running = true;
  exited = new Promise<void>(() => undefined);
  claims: string[] = [];
  discarded = false;
  #claim: (sessionId: string) => Promise<boolean>;
  #fits: (sessionId: string) => boolean;
  constructor(claim: (sessionId: string) => Promise<boolean>, fits: (sessionId: string) => boolean = () => true) {
    this.#claim = claim;
    this.#fits = fits;
  }
  claim(sessionId: string): Promise<boolean> {
    this.claims.push(sessionId);
    return this.#claim(sessionId);
  }
  fits(sessionId: string): boolean {
    return this.#fits(sessionId);
  }
  async discardWarm(): Promise<void> {
    this.running = false;
    this.discarded = true;
  }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe("warm pool claims", () => {
  it("a session the ready sandbox does not fit gets none (it starts cold); the sandbox stays for the next", async () => {
    const sandbox = new RecordingSandbox(
      async () => true,
      (id) => id !== "woken",
    );
    const pool = new WarmPool({ size: 1, start: async () => sandbox, report: () => undefined });
    pool.fill();
    await until(() => pool.ready === 1);
    expect(await pool.claim("woken", {})).toBeUndefined();
    expect(pool.ready).toBe(1);
    expect(sandbox.claims).toEqual([]);
    expect(sandbox.discarded).toBe(false);
    expect(await pool.claim("fresh", {})).toBe(sandbox);
    expect(sandbox.claims).toEqual(["fresh"]);
    await pool.close();
  });

  it("a claim that fails discards its sandbox, which serves nobody, and the pool starts another", async () => {
    const started: RecordingSandbox[] = [];
    const pool = new WarmPool({
      size: 1,
      retryDelayMs: 10,
      report: () => undefined,
      start: async () => {
        const first = started.length === 0;
        const sandbox = new RecordingSandbox(async () => {
          if (first) throw new Error("the claim broke half-way");
          return true;
        });
        started.push(sandbox);
        return sandbox;
      },
    });
    pool.fill();
    await until(() => pool.ready === 1);
    expect(await pool.claim("a", {})).toBeUndefined();
    expect(started[0]!.discarded).toBe(true);
    await until(() => pool.ready === 1);
    const next = await pool.claim("b", {});
    expect(next).toBe(started[1]);
    expect(started[0]!.claims).toEqual(["a"]);
    await pool.close();
  });
});
