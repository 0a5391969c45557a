/**
 * Running a matched rule's actions without side effects (DR.md §5, §8 replay): the detection a
 * `report` builds (Q7/Q8), the `start ai agent` prompt with its `data` block (Q20/Q21), `.detect`
 * for agents (Q25), `one_shot` defaulting to true, and a render failure failing only its action (Q26).
 */
import { describe, expect, it } from "vitest";
import { compileRule, type PlannedAction } from "../../../rules/rule/index.ts";

const NOW = Date.UTC(2026, 11, 3, 12);

function run(body: unknown, input: unknown): { matched: boolean; actions: PlannedAction[] } {
  const c = compileRule(body);
  if (!c.ok) throw new Error(c.message);
  let n = 0;
  return c.rule.run(input, { now: NOW }, { ruleName: "triage-mimikatz", now: NOW, newId: () => `det-${++n}` });
}

const event = {
  routing: { event_type: "NEW_PROCESS", hostname: "ws-1", sid: "s-1", event_id: "e-1" },
  event: { COMMAND_LINE: "mimikatz.exe sekurlsa", USER_NAME: "bob", PID: 42 },
};
const detect = { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "mimikatz" };
const agent = {
  action: "start ai agent",
  prompt: "Triage {{ .detect.cat }} on {{ .routing.hostname }}.{{ if .event.USER_NAME }} User: {{ .event.USER_NAME }}{{ end }}",
  anthropic_secret: "hive://secret/anthropic",
  idempotent_key: "{{ .routing.event_id }}",
  debounce_key: "triage-{{ .routing.sid }}",
  data: { host: "{{ .routing.hostname }}", cmd: "event.COMMAND_LINE", pid: "event.PID", missing: "event.NOPE", note: "literal" },
  profile: { permission_mode: "bypassPermissions", max_turns: 30 },
};

describe("rendered actions", () => {
  it("no match, no actions", () => {
    expect(run({ detect, respond: [agent] }, { ...event, event: { COMMAND_LINE: "notepad" } })).toEqual({ matched: false, actions: [] });
  });

  it("report then start ai agent: the agent sees the reported detection (the DR.md §5.2 example)", () => {
    const r = run(
      {
        detect,
        respond: [
          {
            action: "report",
            name: "mimikatz on {{ .routing.hostname }}",
            priority: 3,
            metadata: { user: "{{ .event.USER_NAME }}", cat: "{{ .cat }}", via: "{{ .detect.event.PID }}" },
          },
          agent,
        ],
      },
      event,
    );
    expect(r.matched).toBe(true);
    const [report, start] = r.actions;
    expect(report).toMatchObject({
      action: "report",
      name: "mimikatz on ws-1",
      priority: 3,
      metadata: { user: "bob", cat: "mimikatz on ws-1", via: "42" },
      publish: true,
    });
    expect(report && "detection" in report ? report.detection : null).toEqual({
      cat: "mimikatz on ws-1",
      detect: { event: event.event, routing: event.routing },
      routing: event.routing,
      detect_id: "det-1",
      priority: 3,
      detect_mtd: { user: "bob", cat: "mimikatz on ws-1", via: "42" },
      detect_data: null,
      source_rule: "triage-mimikatz",
      gen_time: NOW,
      publish: true,
    });
    expect(start).toMatchObject({
      action: "start ai agent",
      name: null,
      idempotent_key: "e-1",
      debounce_key: "triage-s-1",
      one_shot: true,
      profile: { permission_mode: "bypassPermissions", max_turns: 30 },
      anthropic_secret: "hive://secret/anthropic",
      detection_reported: true,
    });
    expect(start && "prompt" in start ? start.prompt : "").toBe(
      'Triage mimikatz on ws-1 on ws-1. User: bob\n\n```json\n{\n  "host": "ws-1",\n  "cmd": "mimikatz.exe sekurlsa",\n  "pid": 42,\n  "missing": null,\n  "note": "literal"\n}\n```',
    );
    expect(start && "detection" in start ? start.detection.detect_id : "").toBe("det-1");
  });

  it("without an earlier report, .detect is built with the rule's name (Q25)", () => {
    const [start] = run({ detect, respond: [{ ...agent, data: undefined, name: "triage {{ .detect.cat }}" }] }, event).actions;
    expect(start).toMatchObject({
      prompt: "Triage triage-mimikatz on ws-1. User: bob",
      name: "triage triage-mimikatz",
      detection_reported: false,
    });
  });

  it("one_shot: false is kept; LC credentials go to the environment", () => {
    const [start] = run(
      { detect, respond: [{ ...agent, lc_api_key_secret: "hive://secret/lc", profile: { one_shot: false, environment: { A: "1" } } }] },
      event,
    ).actions;
    expect(start).toMatchObject({ one_shot: false, profile: { one_shot: false, environment: { A: "1", LC_API_KEY: "hive://secret/lc" } } });
  });

  it("a template failing at render time fails only its action (Q26)", () => {
    const r = run(
      {
        detect,
        respond: [
          { action: "report", name: "{{ index .event.COMMAND_LINE 99 }}" },
          { ...agent, data: undefined },
        ],
      },
      event,
    );
    expect(r.actions[0]).toMatchObject({ action: "report", failed: true });
    expect(r.actions[0] && "error" in r.actions[0] ? r.actions[0].error : "").toMatch(/^respond\[0\]\.name: template: 1:\d+: executing/);
    expect(r.actions[1]).toMatchObject({ action: "start ai agent", prompt: "Triage triage-mimikatz on ws-1. User: bob" });
  });

  it("add var / del var render their value; del var without value means every value", () => {
    const r = run(
      {
        detect,
        respond: [
          { action: "add var", name: "users", value: "{{ .event.USER_NAME }}", ttl: 60 },
          { action: "del var", name: "old" },
        ],
      },
      event,
    );
    expect(r.actions).toEqual([
      { action: "add var", name: "users", value: "bob", ttl: 60 },
      { action: "del var", name: "old", value: null, ttl: null },
    ]);
  });

  it("a detection-target rule sees the detection's event and routing", () => {
    const detection = { cat: "mimikatz", routing: event.routing, detect: { event: event.event, routing: event.routing } };
    const r = run(
      {
        detect: { target: "detection", event: "mimikatz", op: "is", path: "routing/hostname", value: "ws-1" },
        respond: [{ action: "report", name: "chained {{ .event.USER_NAME }} {{ .detect.event.PID }}" }],
      },
      detection,
    );
    expect(r.actions[0]).toMatchObject({ action: "report", name: "chained bob 42" });
  });
});
