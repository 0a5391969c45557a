/**
 * History paging over REST on a session with thousands of events: with every page size, the
 * pages together hold every stored event exactly once, in order, and the last page says so;
 * without a limit, one answer holds them all.
 */
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { createSession, runnerSocket, sendRunnerEvents, userWithKey } from "./session-helpers.ts";

/** Events the runner sends; the session adds a few of its own (status changes). */
const RUNNER_EVENTS = 2_400;

describe("history paging", () => {
  it("pages through thousands of events with every limit, nothing missing or doubled", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    await sendRunnerEvents(runner, RUNNER_EVENTS, 20_000);

    const pages = async (limit: number): Promise<number[]> => {
      const seqs: number[] = [];
      let after = 0;
      for (;;) {
        const page = await call("GET", `/v1/sessions/${id}/history?after_seq=${after}&limit=${limit}`, { token });
        expect(page.status).toBe(200);
        expect(page.body.messages.length).toBeLessThanOrEqual(limit);
        seqs.push(...page.body.messages.map((m: any) => m.seq));
        if (page.body.next_after_seq === null) return seqs;
        expect(page.body.messages).toHaveLength(limit);
        after = page.body.next_after_seq;
      }
    };
    const everything = await pages(1000);
    expect(everything.length).toBeGreaterThan(RUNNER_EVENTS);
    expect(everything).toEqual(everything.map((_, i) => i + 1));
    for (const limit of [999, 333, 64]) expect(await pages(limit), `limit ${limit}`).toEqual(everything);

    // Without limit (the product's client never pages): every event in one answer, the last page said.
    const whole = await call("GET", `/v1/sessions/${id}/history`, { token });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("content-type")).toContain("application/json");
    expect(whole.body.messages.map((m: any) => m.seq)).toEqual(everything);
    expect(whole.body.next_after_seq).toBeNull();
    const rest = await call("GET", `/v1/sessions/${id}/history?after_seq=2000`, { token });
    expect(rest.body.messages.map((m: any) => m.seq)).toEqual(everything.slice(2000));
    runner.close();
  });
});
