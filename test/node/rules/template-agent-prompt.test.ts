/**
 * The prompt a `start ai agent` action starts its session with: the rendered prompt (record
 * prompt, blank line, rule prompt in definition mode), then the rendered `data` as one
 * fenced JSON block, `"\n\n```json\n" + JSON.stringify(data, null, 2) + "\n```"`.
 */
import { describe, expect, it } from "vitest";
import { compileAgentPrompt, renderAgentPrompt, type AgentPromptParams, type AgentTemplateData } from "../../../rules/template/index.ts";

const event = { FILE_PATH: "C:\\Windows\\System32\\cmd.exe", COMMAND_LINE: "cmd.exe /c whoami", USER_NAME: "alice", PID: 4242 };
const routing = { hostname: "kiosk-7", sid: "s-1", event_id: "e-9", event_type: "NEW_PROCESS", event_time: 1657925305984, tags: ["edr"] };
/** The detection of the `report` before the agent action: its `detect` holds the event. */
const detection = { cat: "odd-shell", detect: { event, routing }, routing, detect_id: "d-77", priority: 3, detect_mtd: { owner: "soc" } };
const data: AgentTemplateData = { event, routing, detect: detection };

function prompt(params: AgentPromptParams, templateData: AgentTemplateData = data): string {
  const r = renderAgentPrompt(params, templateData);
  if (!r.ok) throw new Error(r.message);
  return r.prompt;
}

describe("renderAgentPrompt", () => {
  it("renders the documented inline example with its data block", () => {
    const params = {
      prompt: "Triage {{ .detect.cat }} on {{ .routing.hostname }}.{{ if .event.USER_NAME }} User: {{ .event.USER_NAME }}{{ end }}",
      data: { host: "{{ .routing.hostname }}", cmd: "{{ .event.COMMAND_LINE }}" },
    };
    expect(prompt(params)).toBe(
      'Triage odd-shell on kiosk-7. User: alice\n\n```json\n{\n  "host": "kiosk-7",\n  "cmd": "cmd.exe /c whoami"\n}\n```',
    );
  });

  it("appends the data keys in the order written, selectors keeping their JSON types", () => {
    const r = renderAgentPrompt(
      {
        prompt: "Look.",
        data: {
          pid: "event.PID",
          when: "routing.event_time",
          tags: "routing.tags",
          parent: "event.PARENT.FILE_PATH",
          trigger_rule: "credential-dumping-suspect",
          detection_name: "{{ .detect.cat }}",
          id: "detect.detect_id",
          owner: "detect.detect_mtd.owner",
        },
      },
      data,
    );
    expect(r).toEqual({
      ok: true,
      prompt:
        "Look.\n\n```json\n" +
        '{\n  "pid": 4242,\n  "when": 1657925305984,\n  "tags": [\n    "edr"\n  ],\n  "parent": null,\n' +
        '  "trigger_rule": "credential-dumping-suspect",\n  "detection_name": "odd-shell",\n  "id": "d-77",\n  "owner": "soc"\n}\n```',
      data: {
        pid: 4242,
        when: 1657925305984,
        tags: ["edr"],
        parent: null,
        trigger_rule: "credential-dumping-suspect",
        detection_name: "odd-shell",
        id: "d-77",
        owner: "soc",
      },
    });
  });

  it("sees the event both as .event and as .detect.detect.event", () => {
    expect(
      prompt({ prompt: "{{ .event.FILE_PATH | base }} = {{ .detect.detect.event.FILE_PATH | base }}; prio {{ .detect.priority }}" }),
    ).toBe("cmd.exe = cmd.exe; prio 3");
  });

  it("joins the record's and the rule's prompts with a blank line (definition mode)", () => {
    const record = "You are a detection investigator.\nInvestigate {{ .detect.cat }}.\n";
    const rule = "{{- /* trims only inside its own part */ -}}\nFocus on credential theft on {{ .routing.hostname }}.";
    expect(prompt({ prompt: [record, rule], data: { sid: "routing.sid" } })).toBe(
      "You are a detection investigator.\nInvestigate odd-shell.\n\n\nFocus on credential theft on kiosk-7." +
        '\n\n```json\n{\n  "sid": "s-1"\n}\n```',
    );
  });

  it.each([
    [{ prompt: ["Core prompt.", undefined] }, "Core prompt."],
    [{ prompt: ["Core prompt.", ""] }, "Core prompt."],
    [{ prompt: [null, "Rule prompt."] }, "Rule prompt."],
    [{ prompt: "Only.", data: {} }, "Only."],
    [{ prompt: "Only.", data: null }, "Only."],
    [{ data: { a: "{{ 1 }}" } }, '\n\n```json\n{\n  "a": "1"\n}\n```'],
  ] as [AgentPromptParams, string][])("adds nothing for absent parts: %j", (params, want) => {
    expect(prompt(params)).toBe(want);
  });

  it("returns a missing field as empty text in the prompt", () => {
    expect(prompt({ prompt: "User: [{{ .event.NOPE }}]" })).toBe("User: []");
  });
});

describe("errors name the offending value", () => {
  it("rejects the documented `.event.PARENT/FILE_PATH` in data at compile time", () => {
    const r = compileAgentPrompt({ prompt: "x", data: { parent_process: "{{ .event.PARENT/FILE_PATH }}" } });
    expect(r).toEqual({ ok: false, path: "data/parent_process", message: "data/parent_process: template: 1:17: bad character U+002F '/'" });
  });

  it.each([
    [{ prompt: "{{ if .x }}" }, "prompt", "prompt: template: 1:4: unexpected EOF: missing {{end}} for {{if}}"],
    [{ prompt: ["fine", "{{ nope }}"] }, "prompt/1", 'prompt/1: template: 1:4: function "nope" not defined'],
  ] as [AgentPromptParams, string, string][])("parse error in %j", (params, path, message) => {
    expect(compileAgentPrompt(params)).toEqual({ ok: false, path, message });
    expect(renderAgentPrompt(params, data)).toEqual({ ok: false, path, message });
  });

  it("reports a render failure with its path and renders nothing else", () => {
    expect(renderAgentPrompt({ prompt: "{{ index .routing.tags 3 }}" }, data)).toEqual({
      ok: false,
      path: "prompt",
      message: "prompt: template: 1:4: executing at <index .routing.tags 3>: error calling index: index out of range: 3",
    });
    expect(renderAgentPrompt({ prompt: "ok", data: { bad: "{{ .event.FILE_PATH.x }}" } }, data)).toEqual({
      ok: false,
      path: "data/bad",
      message: "data/bad: template: 1:4: executing at <.event.FILE_PATH.x>: can't evaluate field x in type string",
    });
  });

  it("compiles once and renders per detection", () => {
    const c = compileAgentPrompt({ prompt: "Host {{ .routing.hostname }}", data: { id: "detect.detect_id" } });
    if (!c.ok) throw new Error(c.message);
    const a = renderAgentPrompt(c.compiled, { ...data, routing: { hostname: "a" }, detect: { detect_id: "1" } });
    const b = renderAgentPrompt(c.compiled, { ...data, routing: { hostname: "b" }, detect: { detect_id: "2" } });
    expect([a.ok && a.prompt, b.ok && b.prompt]).toEqual([
      'Host a\n\n```json\n{\n  "id": "1"\n}\n```',
      'Host b\n\n```json\n{\n  "id": "2"\n}\n```',
    ]);
  });
});
