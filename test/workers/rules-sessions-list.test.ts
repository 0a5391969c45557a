/**
 * `GET /v1/orgs/{oid}/rule-sessions`: the sessions rules started, newest first, each naming its
 * rule, its detection and its rendered keys, with the session's state now; filtered by rule or
 * detection; only the org's own; bad queries are 400.
 */
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { orgWithSecret, postEvents, processEvent, putRule } from "./rules-helpers.ts";

const detect = { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "mimikatz" };
const agent = {
  action: "start ai agent",
  name: "triage {{ .routing.hostname }}",
  prompt: "Triage {{ .event.COMMAND_LINE }}",
  anthropic_secret: "hive://secret/anthropic",
  idempotent_key: "{{ .routing.event_id }}",
  debounce_key: "triage-{{ .routing.event_id }}",
};

describe("sessions started by rules", () => {
  it("are listed newest first with their rule, detection, keys and state; filters and foreign orgs hold", async () => {
    const org = await orgWithSecret();
    await putRule(org, "mimikatz", { detect, respond: [{ action: "report", name: "mimikatz-seen" }, agent] });
    await putRule(org, "bare", { detect: { ...detect, value: "psexec" }, respond: [agent] });
    const [first] = await postEvents(org, processEvent("mimikatz 1", { event_id: "ev-1" }));
    const [second] = await postEvents(org, processEvent("psexec 2", { event_id: "ev-2" }));
    const list = async (query = "") => call("GET", `/v1/orgs/${org.oid}/rule-sessions${query}`, { headers: org.headers });

    const all = await list();
    expect(all.status).toBe(200);
    expect(all.body.sessions).toEqual([
      {
        session_id: second.sessions[0].id,
        rule: "bare",
        detection_id: null,
        idempotent_key: "ev-2",
        debounce_key: "triage-ev-2",
        created_at: expect.any(String),
        name: "triage ws-1",
        status: expect.stringMatching(/^(starting|running)$/),
        end_reason: null,
      },
      expect.objectContaining({ session_id: first.sessions[0].id, rule: "mimikatz", detection_id: first.detections[0] }),
    ]);
    expect((await list("?rule=mimikatz")).body.sessions.map((s: any) => s.session_id)).toEqual([first.sessions[0].id]);
    expect((await list(`?detection_id=${first.detections[0]}`)).body.sessions.map((s: any) => s.rule)).toEqual(["mimikatz"]);
    expect((await list("?limit=1")).body.sessions).toHaveLength(1);

    // An ended session shows its end.
    expect((await call("DELETE", `/v1/org/sessions/${first.sessions[0].id}`, { headers: org.headers })).status).toBe(200);
    expect((await list("?rule=mimikatz")).body.sessions[0]).toMatchObject({ status: "ended", end_reason: "org_api_requested" });

    // Another org sees none of them, and cannot read this org's list.
    const other = await orgWithSecret();
    expect((await call("GET", `/v1/orgs/${other.oid}/rule-sessions`, { headers: other.headers })).body.sessions).toEqual([]);
    expect((await call("GET", `/v1/orgs/${org.oid}/rule-sessions`, { headers: other.headers })).status).toBe(403);
    for (const bad of ["?limit=0", "?limit=x", "?rule=a%20b", "?extra=1"]) {
      const answer = await list(bad);
      expect(answer.status, bad).toBe(400);
      expect(answer.body).toEqual({ error: expect.any(String), message: expect.any(String) });
    }
  });
});
