/**
 * Events in (DR.md §8): evaluated against enabled rules; reports stored and fed once to
 * detection-target rules; `start ai agent` starting one unattended org session whose first
 * prompt is the rendered template with its data block; idempotent and debounce keys holding
 * under racing events; batches and NDJSON with malformed items; detections listed.
 */
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { orgWithSecret, postEvents, processEvent, putRule } from "./rules-helpers.ts";
import { recordedSandbox, runnerSocket } from "./session-helpers.ts";

const detect = { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "mimikatz" };
const agent = {
  action: "start ai agent",
  prompt: "Triage {{ .detect.cat }} on {{ .routing.hostname }}.{{ if .event.USER_NAME }} User: {{ .event.USER_NAME }}{{ end }}",
  anthropic_secret: "hive://secret/anthropic",
  data: { host: "{{ .routing.hostname }}", cmd: "event.COMMAND_LINE" },
  profile: { max_turns: 5 },
};

/** The ids of the org's sessions, live or ended. */
async function orgSessionIds(org: { headers: Record<string, string> }): Promise<string[]> {
  return (await call("GET", "/v1/org/sessions", { headers: org.headers })).body.sessions.map((s: { id: string }) => s.id);
}

describe("events against rules", () => {
  it("a matching event reports and starts exactly one unattended one-shot org session with the rendered prompt", async () => {
    const org = await orgWithSecret();
    await putRule(org, "mimikatz", {
      detect,
      respond: [
        { action: "report", name: "mimikatz-seen", priority: 5 },
        { ...agent, idempotent_key: "{{ .routing.event_id }}", name: "triage {{ .routing.hostname }}" },
      ],
    });
    await putRule(org, "disabled", { detect, respond: [{ action: "report", name: "never" }], enabled: false });
    const [result] = await postEvents(org, processEvent("mimikatz.exe sekurlsa", { event_id: "ev-1" }));
    expect(result.matched_rules).toEqual(["mimikatz"]);
    expect(result.detections).toHaveLength(1);
    expect(result.failed_actions).toEqual([]);
    expect(result.sessions).toEqual([{ rule: "mimikatz", id: expect.any(String) }]);
    const id = result.sessions[0].id;

    const session = (await call("GET", `/v1/org/sessions/${id}`, { headers: org.headers })).body.session;
    expect(session).toMatchObject({ name: "triage ws-1", profile: { one_shot: true, max_turns: 5 } });
    expect(JSON.stringify((await recordedSandbox(id)).env)).not.toContain("sk-ant-");
    const runner = await runnerSocket(id);
    expect((await runner.next("prompt")).text).toBe(
      'Triage mimikatz-seen on ws-1. User: bob\n\n```json\n{\n  "host": "ws-1",\n  "cmd": "mimikatz.exe sekurlsa"\n}\n```',
    );

    // The detection is listed, and names its rule.
    const listed = (await call("GET", `/v1/orgs/${org.oid}/detections`, { headers: org.headers })).body;
    expect(listed.detections).toEqual([
      expect.objectContaining({
        detect_id: result.detections[0],
        cat: "mimikatz-seen",
        source_rule: "mimikatz",
        priority: 5,
        routing: expect.objectContaining({ hostname: "ws-1" }),
      }),
    ]);

    // The same idempotent key within 24 h starts none and names the existing session.
    const [dup] = await postEvents(org, processEvent("mimikatz.exe again", { event_id: "ev-1" }));
    expect(dup.sessions).toEqual([{ rule: "mimikatz", skipped: true, reason: "idempotent_key", session_id: id }]);
    // A non-matching event starts none.
    const [none] = await postEvents(org, processEvent("notepad.exe"));
    expect(none).toEqual({ matched_rules: [], detections: [], sessions: [], failed_actions: [] });
    expect((await call("GET", "/v1/org/sessions", { headers: org.headers })).body.sessions.map((s: any) => s.id)).toEqual([id]);
  });

  it("two racing events with one debounce key start one session; the newest pending one starts when it ends", async () => {
    const org = await orgWithSecret();
    await putRule(org, "debounced", { detect, respond: [{ ...agent, debounce_key: "triage-{{ .routing.sid }}" }] });
    const [a, b] = await Promise.all([postEvents(org, processEvent("mimikatz 1")), postEvents(org, processEvent("mimikatz 2"))]);
    const outcomes = [...a, ...b].map((r) => r.sessions[0]);
    const started = outcomes.filter((o) => o.id);
    const skipped = outcomes.filter((o) => o.skipped);
    expect(started).toHaveLength(1);
    expect(skipped).toEqual([expect.objectContaining({ rule: "debounced", skipped: true, reason: "debounced", queued: true })]);
    const live = started[0].id;
    // Another sensor has its own key.
    const [other] = await postEvents(org, processEvent("mimikatz 3", { sid: "sensor-2" }));
    expect(other.sessions[0].id).toEqual(expect.any(String));
    // While the session lives the key stays taken; this newer event replaces the pending one.
    const [held] = await postEvents(org, processEvent("mimikatz 4"));
    expect(held.sessions).toEqual([
      { rule: "debounced", skipped: true, reason: "debounced", session_id: live, queued: true, message: expect.any(String) },
    ]);
    const before = await orgSessionIds(org);
    expect(before).toHaveLength(2);

    // The live session ends: the newest pending start (mimikatz 4) starts, and only it.
    expect((await call("DELETE", `/v1/org/sessions/${live}`, { headers: org.headers })).status).toBe(200);
    const fresh = (await orgSessionIds(org)).filter((id) => !before.includes(id));
    expect(fresh).toHaveLength(1);
    const runner = await runnerSocket(fresh[0]!);
    expect((await runner.next("prompt")).text).toContain('"cmd": "mimikatz 4"');
    // It holds the key now: the next event waits for it in turn.
    const [next] = await postEvents(org, processEvent("mimikatz 5"));
    expect(next.sessions).toEqual([expect.objectContaining({ reason: "debounced", session_id: fresh[0], queued: true })]);
  });

  it("a debounce key whose session ended with nothing pending is free for the next event", async () => {
    const org = await orgWithSecret();
    await putRule(org, "debounced", { detect, respond: [{ ...agent, debounce_key: "triage-{{ .routing.sid }}" }] });
    const [first] = await postEvents(org, processEvent("mimikatz 1"));
    const live = first.sessions[0].id;
    expect((await call("DELETE", `/v1/org/sessions/${live}`, { headers: org.headers })).status).toBe(200);
    expect(await orgSessionIds(org)).toEqual([live]);
    const [after] = await postEvents(org, processEvent("mimikatz 2"));
    expect(after.sessions).toEqual([{ rule: "debounced", id: expect.any(String) }]);
    expect(after.sessions[0].id).not.toBe(live);
  });

  it("racing events with one idempotent key start one session", async () => {
    const org = await orgWithSecret();
    await putRule(org, "idem", { detect, respond: [{ ...agent, idempotent_key: "{{ .routing.hostname }}" }] });
    const all = await Promise.all([1, 2, 3].map((n) => postEvents(org, processEvent(`mimikatz ${n}`))));
    const outcomes = all.flat().map((r) => r.sessions[0]);
    expect(outcomes.filter((o) => o.id)).toHaveLength(1);
    expect(outcomes.filter((o) => o.reason === "idempotent_key")).toHaveLength(2);
  });

  it("a detection-target rule fires once on the first rule's report, and its own report is not fed back", async () => {
    const org = await orgWithSecret();
    await putRule(org, "first", { detect, respond: [{ action: "report", name: "mimikatz-seen" }] });
    await putRule(org, "chained", {
      detect: { target: "detection", event: "mimikatz-seen", op: "is", path: "routing/hostname", value: "ws-1" },
      respond: [{ action: "report", name: "mimikatz-seen" }],
    });
    const [result] = await postEvents(org, processEvent("mimikatz"));
    expect(result.matched_rules).toEqual(["first", "chained"]);
    expect(result.detections).toHaveLength(2);
    const listed = (await call("GET", `/v1/orgs/${org.oid}/detections?cat=mimikatz-seen`, { headers: org.headers })).body.detections;
    expect(listed.map((d: any) => d.source_rule).sort()).toEqual(["chained", "first"]);
  });

  it("a template failing at run time fails its action; the others still run", async () => {
    const org = await orgWithSecret();
    await putRule(org, "partial", {
      detect,
      respond: [
        { action: "report", name: "{{ index .event.COMMAND_LINE 500 }}" },
        { action: "report", name: "ok" },
      ],
    });
    const [result] = await postEvents(org, processEvent("mimikatz"));
    expect(result.detections).toHaveLength(1);
    expect(result.failed_actions).toEqual([
      { rule: "partial", action: "report", error: expect.stringMatching(/^respond\[0\]\.name: template: /) },
    ]);
  });

  it("a session that cannot start (unknown secret) is reported as failed", async () => {
    const org = await orgWithSecret();
    await putRule(org, "nosecret", { detect, respond: [{ ...agent, anthropic_secret: "hive://secret/missing" }] });
    const [result] = await postEvents(org, processEvent("mimikatz"));
    expect(result.sessions).toEqual([
      { rule: "nosecret", skipped: true, reason: "failed", message: expect.stringContaining("secret_not_found") },
    ]);
  });
});

describe("batches, NDJSON and malformed input", () => {
  it("a batch answers per event; a malformed event does not lose the others", async () => {
    const org = await orgWithSecret();
    await putRule(org, "r", { detect, respond: [{ action: "report", name: "x" }] });
    const results = await postEvents(org, {
      events: [processEvent("mimikatz"), { routing: "nope" }, 7, processEvent("calc"), processEvent("mimikatz")],
    });
    expect(results.map((r) => r.detections.length)).toEqual([1, 0, 0, 0, 1]);
    expect(results[1].error).toMatch(/^invalid event/);
    expect(results[2].error).toMatch(/^invalid event/);
  });

  it("NDJSON is read line by line; bad lines are answered, good ones evaluated", async () => {
    const org = await orgWithSecret();
    await putRule(org, "r", { detect, respond: [{ action: "report", name: "x" }] });
    const body = [
      JSON.stringify(processEvent("mimikatz")),
      "{not json",
      "",
      JSON.stringify(processEvent("calc")),
      JSON.stringify(processEvent("mimikatz")),
    ].join("\n");
    const results = await postEvents(org, body, "application/x-ndjson");
    expect(results.map((r) => r.error ?? r.detections.length)).toEqual([1, "line 2: not valid JSON", 0, 1]);
  });

  it("limits and junk: clear 4xx", async () => {
    const org = await orgWithSecret();
    const tooMany = await call("POST", `/v1/orgs/${org.oid}/events`, {
      headers: org.headers,
      body: { events: Array.from({ length: 1001 }, () => processEvent("x")) },
    });
    expect([tooMany.status, tooMany.body.error]).toEqual([413, "too_many_events"]);
    for (const junk of ["not json", "[]", "null", '{"events": 3}', '{"events": [], "more": 1}', '{"routing": 1}']) {
      const answer = await call("POST", `/v1/orgs/${org.oid}/events`, { headers: org.headers, body: junk });
      expect(answer.status, junk).toBe(400);
      expect(answer.body).toEqual({ error: expect.any(String), message: expect.any(String) });
    }
    expect((await call("GET", `/v1/orgs/${org.oid}/detections?cursor=%%%`, { headers: org.headers })).status).toBe(400);
    expect((await call("GET", `/v1/orgs/${org.oid}/detections?limit=0`, { headers: org.headers })).status).toBe(400);
  });

  it("detections page newest first with a cursor", async () => {
    const org = await orgWithSecret();
    await putRule(org, "r", { detect, respond: [{ action: "report", name: "{{ .event.COMMAND_LINE }}" }] });
    for (const n of [1, 2, 3]) await postEvents(org, processEvent(`mimikatz ${n}`));
    const first = (await call("GET", `/v1/orgs/${org.oid}/detections?limit=2`, { headers: org.headers })).body;
    expect(first.detections.map((d: any) => d.cat)).toEqual(["mimikatz 3", "mimikatz 2"]);
    const second = (await call("GET", `/v1/orgs/${org.oid}/detections?limit=2&cursor=${first.next_cursor}`, { headers: org.headers })).body;
    expect([second.detections.map((d: any) => d.cat), second.next_cursor]).toEqual([["mimikatz 1"], null]);
  });
});

describe("compiled rules follow their stored version", () => {
  it("a replaced, disabled, or deleted and recreated rule is evaluated as stored now", async () => {
    const org = await orgWithSecret();
    const report = (name: string) => [{ action: "report", name }];
    await putRule(org, "r", { detect, respond: report("v1") });
    const cats = async () => {
      const [result] = await postEvents(org, processEvent("mimikatz"));
      if (result.detections.length === 0) return [];
      return (await call("GET", `/v1/orgs/${org.oid}/detections?limit=1`, { headers: org.headers })).body.detections.map((d: any) => d.cat);
    };
    expect(await cats()).toEqual(["v1"]);
    // Deleted and created again: version 1 again, with another body.
    await call("DELETE", `/v1/orgs/${org.oid}/rules/r`, { headers: org.headers });
    expect((await putRule(org, "r", { detect, respond: report("v1 again") })).version).toBe(1);
    expect(await cats()).toEqual(["v1 again"]);
    await putRule(org, "r", { detect, respond: report("v2") });
    expect(await cats()).toEqual(["v2"]);
    await putRule(org, "r", { detect, respond: report("v2"), enabled: false });
    expect(await cats()).toEqual([]);
  });
});
