/**
 * History paging under chaos (issue 14): a session with thousands of stored events is paged with
 * every `limit` from 1 to 1000, each from a random starting point (seeded, the seed printed;
 * CHAOS_SEED repeats a run): every page must be exactly the next slice of the log — nothing
 * missing, nothing doubled — and `next_after_seq` must say where the next one starts, null only
 * on the last. Walking the whole log with the smallest page sizes, page after page, must give
 * back every event once.
 */
import { describe, expect, it } from "vitest";
import { random, runSeed } from "../fakes/seeded-random.ts";
import { call } from "./helpers.ts";
import { createSession, runnerSocket, sendRunnerEvents, userWithKey } from "./session-helpers.ts";

/** Events the runner sends; the session adds a few of its own (status changes). */
const RUNNER_EVENTS = 3_000;
/** Pages read per limit from its random starting point. */
const PAGES_PER_LIMIT = 2;
/** Requests in flight at once (the limits are checked side by side). */
const LANES = 8;

describe("history paging under chaos", () => {
  it("pages a history of thousands of events with every limit, nothing missing or doubled", async () => {
    const next = random(runSeed("CHAOS_SEED", "history chaos"));
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    await sendRunnerEvents(runner, RUNNER_EVENTS, 30_000);
    // Ended, so the log is final: a live session could still add events (its heartbeat
    // deadline would end it in the middle of the walks).
    expect((await call("DELETE", `/v1/sessions/${id}`, { token })).status).toBe(200);
    runner.close();

    const whole = await call("GET", `/v1/sessions/${id}/history`, { token });
    const total: number = whole.body.messages.length;
    expect(total).toBeGreaterThan(RUNNER_EVENTS);
    expect(whole.body.messages.map((m: any) => m.seq)).toEqual(Array.from({ length: total }, (_, i) => i + 1));

    const page = async (after: number, limit: number) => {
      const answer = await call("GET", `/v1/sessions/${id}/history?after_seq=${after}&limit=${limit}`, { token });
      expect(answer.status).toBe(200);
      return answer.body as { messages: { seq: number }[]; next_after_seq: number | null };
    };
    /** Reads up to `pages` pages of `limit` from `start`, checking each against the log. */
    const check = async (limit: number, start: number, pages: number): Promise<number[]> => {
      const seen: number[] = [];
      let after = start;
      for (let n = 0; n < pages; n++) {
        const got = await page(after, limit);
        const expected = Array.from({ length: Math.min(limit, total - after) }, (_, i) => after + i + 1);
        expect(
          got.messages.map((m) => m.seq),
          `limit ${limit} after ${after}`,
        ).toEqual(expected);
        seen.push(...expected);
        const end = after + expected.length >= total;
        expect(got.next_after_seq, `next_after_seq for limit ${limit} after ${after}`).toBe(end ? null : after + expected.length);
        if (got.next_after_seq === null) break;
        after = got.next_after_seq;
      }
      return seen;
    };

    // Every limit, from a random point (now and then the very start or right before the end).
    const limits = Array.from({ length: 1000 }, (_, i) => i + 1);
    const starts = limits.map(() => {
      const r = next();
      return r < 0.05 ? 0 : r < 0.1 ? total - 1 : Math.floor(next() * total);
    });
    for (let i = 0; i < limits.length; i += LANES) {
      await Promise.all(limits.slice(i, i + LANES).map((limit, j) => check(limit, starts[i + j]!, PAGES_PER_LIMIT)));
    }

    // Whole walks, page after page: with limit 1 (the most pages) and a few random limits.
    const walks = [1, ...Array.from({ length: 3 }, () => 2 + Math.floor(next() * 999))];
    for (const limit of walks) {
      expect(await check(limit, 0, Number.POSITIVE_INFINITY), `a whole walk with limit ${limit}`).toHaveLength(total);
    }

    // Past the end there is nothing, and the answer says it is the last page.
    expect(await page(total, 10)).toEqual({ messages: [], next_after_seq: null });
    for (const bad of [0, 1001, -1]) {
      const answer = await call("GET", `/v1/sessions/${id}/history?limit=${bad}`, { token });
      expect(answer.status, `limit ${bad}`).toBe(400);
      expect(answer.body.error).toBeTypeOf("string");
    }
  }, 180_000);
});
