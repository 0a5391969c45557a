/**
 * A debounce key whose session ends before its start is confirmed (DR.md §5.2: "only the
 * newest pending request is kept; it fires when the active session ends"). The Worker claims
 * the key, starts the session, then confirms the id; a session may end in between (a sandbox
 * that dies at once, an org terminating it). The end must not be lost: the key's pending start
 * starts exactly once, when the confirm arrives, and a repeated end or confirm starts nothing
 * more. The claim and confirm are the org rule state object's own RPC, called as the Worker
 * calls them; everything else (the pending event, the end) goes through the real routes.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { orgWithSecret, postEvents, processEvent, putRule, type TestOrg } from "./rules-helpers.ts";
import { runnerSocket } from "./session-helpers.ts";

const detect = { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "mimikatz" };
const agent = {
  action: "start ai agent",
  prompt: "Triage {{ .event.COMMAND_LINE }}",
  anthropic_secret: "hive://secret/anthropic",
  debounce_key: "triage-{{ .routing.sid }}",
};

async function orgSessionIds(org: TestOrg): Promise<string[]> {
  return (await call("GET", "/v1/org/sessions", { headers: org.headers })).body.sessions.map((s: { id: string }) => s.id);
}

/** The first prompt a session's runner receives. */
async function firstPrompt(id: string): Promise<string> {
  const runner = await runnerSocket(id);
  return (await runner.next("prompt")).text;
}

describe("a debounced session that ends before its start is confirmed", () => {
  it("its key's newest pending start starts exactly once, at the confirm; repeated ends and confirms start nothing", async () => {
    const org = await orgWithSecret();
    await putRule(org, "debounced", { detect, respond: [agent] });
    const state = env.ORG_RULE_STATE.get(env.ORG_RULE_STATE.idFromName(org.oid));

    // A Worker claims the key for an event and starts its session (not yet confirmed).
    const claim = await state.claim({ idempotentKey: null, debounceKey: "triage-sensor-1", now: Date.now() });
    expect(claim.outcome).toBe("start");
    const token = (claim as { token: string }).token;
    const started = await call("POST", "/v1/api/sessions", {
      headers: org.headers,
      body: { prompt: "the early one", anthropic_secret: "hive://secret/anthropic" },
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const early: string = started.body.session.id;

    // Two events meet the key while that start is under way: the newer one is kept as pending.
    for (const n of [1, 2]) {
      const [result] = await postEvents(org, processEvent(`mimikatz ${n}`));
      expect(result.sessions).toEqual([
        { rule: "debounced", skipped: true, reason: "debounced", queued: true, message: expect.any(String) },
      ]);
    }

    // The session ends before the Worker confirms it: nothing starts yet (its key is unconfirmed).
    expect((await call("DELETE", `/v1/org/sessions/${early}`, { headers: org.headers })).status).toBe(200);
    expect(await orgSessionIds(org)).toEqual([early]);

    // The confirm arrives: the key passes on at once, to the newest pending start only.
    await state.confirm(token, early);
    const fresh = (await orgSessionIds(org)).filter((id) => id !== early);
    expect(fresh).toHaveLength(1);
    expect(await firstPrompt(fresh[0]!)).toBe("Triage mimikatz 2");

    // A repeated end or confirm of the early session starts nothing more.
    await state.sessionEnded(early);
    await state.confirm(token, early);
    expect((await orgSessionIds(org)).sort()).toEqual([early, fresh[0]!].sort());

    // The pending start holds the key now: the next event waits for it.
    const [next] = await postEvents(org, processEvent("mimikatz 3"));
    expect(next.sessions).toEqual([
      { rule: "debounced", skipped: true, reason: "debounced", session_id: fresh[0], queued: true, message: expect.any(String) },
    ]);
  });

  it("a chain of pending starts: each ended session hands the key to the newest pending start, once", async () => {
    const org = await orgWithSecret();
    await putRule(org, "debounced", { detect, respond: [agent] });
    const state = env.ORG_RULE_STATE.get(env.ORG_RULE_STATE.idFromName(org.oid));

    const [first] = await postEvents(org, processEvent("mimikatz 1"));
    const live: string = first.sessions[0].id;
    const [queued] = await postEvents(org, processEvent("mimikatz 2"));
    expect(queued.sessions[0]).toMatchObject({ reason: "debounced", session_id: live, queued: true });

    // The live session ends: the pending start (mimikatz 2) starts and holds the key.
    expect((await call("DELETE", `/v1/org/sessions/${live}`, { headers: org.headers })).status).toBe(200);
    const second = (await orgSessionIds(org)).filter((id) => id !== live);
    expect(second).toHaveLength(1);
    expect(await firstPrompt(second[0]!)).toBe("Triage mimikatz 2");

    // A third event waits for it; the second session ends; the third starts, once.
    const [third] = await postEvents(org, processEvent("mimikatz 3"));
    expect(third.sessions[0]).toMatchObject({ reason: "debounced", session_id: second[0], queued: true });
    expect((await call("DELETE", `/v1/org/sessions/${second[0]}`, { headers: org.headers })).status).toBe(200);
    const after = (await orgSessionIds(org)).filter((id) => id !== live && id !== second[0]);
    expect(after).toHaveLength(1);
    expect(await firstPrompt(after[0]!)).toBe("Triage mimikatz 3");
    // The ended sessions' ends, told again, start nothing.
    await state.sessionEnded(live);
    await state.sessionEnded(second[0]!);
    expect(await orgSessionIds(org)).toHaveLength(3);
  });
});
