// ClaudeStreamMapper, fed with stdout lines recorded from Claude Code 2.1.329 against the
// scripted model server (long fields such as `tools`, `capabilities`, `usage` trimmed).
import { describe, expect, it } from "vitest";
import { AgentEventBody } from "../../schemas/events.ts";
import { RunnerToPlatform } from "../../schemas/runner.ts";
import { flattenToolContent, mapClaudeMessage } from "../../container/runner/stream-mapper.ts";
import { buildClaudeCommand, parseCapabilities } from "../../container/runner/claude-command.ts";
import { EventOutbox } from "../../container/runner/event-outbox.ts";

const recorded = {
  init: `{"type":"system","subtype":"init","cwd":"/tmp/exp/ws-irWgul","session_id":"fbc700a2-480a-47f9-86ce-7fce1409a198","tools":["Task","AskUserQuestion","Bash","CronCreate"],"model":"claude-opus-5-5","permissionMode":"bypassPermissions","apiKeySource":"none","claude_code_version":"2.1.329","output_style":"default","analytics_disabled":true,"uuid":"1e012767-22e3-467b-ba1c-f895085e56ed"}`,
  assistantToolUse: `{"type":"assistant","message":{"id":"msg_07c88821a44b12ddb241","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{"type":"tool_use","id":"toolu_07c88821a44b12ddb2410","name":"Bash","input":{"command":"echo hi > a.txt","description":"Run the scripted command"},"caller":{"type":"direct"}}],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":13336,"output_tokens":1}},"parent_tool_use_id":null,"session_id":"fbc700a2-480a-47f9-86ce-7fce1409a198","uuid":"19fdce5b-d439-491e-826d-131b05467063","timestamp":"2026-11-21T05:53:18.149Z","request_id":"req_model_server_1"}`,
  toolResult: `{"type":"user","message":{"role":"user","content":[{"tool_use_id":"toolu_07c88821a44b12ddb2410","type":"tool_result","content":"(Bash completed with no output)","is_error":false}]},"parent_tool_use_id":null,"session_id":"fbc700a2-480a-47f9-86ce-7fce1409a198","uuid":"b5c258c4-5443-4f66-8e4d-99b5f9eaa9f6","timestamp":"2026-11-21T05:53:18.296Z","tool_use_result":{"stdout":"","stderr":"","interrupted":false,"isImage":false,"noOutputExpected":false}}`,
  assistantText: `{"type":"assistant","message":{"id":"msg_5c548ac05fd13171e11e","type":"message","role":"assistant","model":"claude-opus-5-5","content":[{"type":"text","text":"Ran \`echo hi > a.txt\`.","citations":null}],"stop_reason":null,"usage":{"input_tokens":13421,"output_tokens":1}},"parent_tool_use_id":null,"session_id":"fbc700a2-480a-47f9-86ce-7fce1409a198","uuid":"62dbeced-686e-4100-96ad-16da55760954"}`,
  resultSuccess: `{"duration_api_ms":147,"stop_reason":"end_turn","session_id":"fbc700a2-480a-47f9-86ce-7fce1409a198","total_cost_usd":0.10782800000000001,"usage":{"input_tokens":26757,"output_tokens":40},"permission_denials":[],"terminal_reason":"completed","is_error":false,"num_turns":2,"subtype":"success","result":"Ran \`echo hi > a.txt\`.","type":"result","duration_ms":402,"uuid":"c2cadfcc-fa96-4469-80d1-f7444b27973b","queued_turn_count":0,"result_index":0}`,
  canUseTool: `{"type":"control_request","request_id":"66f91881-e43e-4ca9-a46c-6b7b723b8286","request":{"subtype":"can_use_tool","tool_name":"Bash","display_name":"Bash","input":{"command":"echo hi > d.txt","description":"Run the scripted command"},"description":"Run the scripted command","permission_suggestions":[{"type":"addRules","rules":[{"toolName":"Bash","ruleContent":"echo hi *"}],"behavior":"allow","destination":"localSettings"}],"blocked_path":"/tmp/exp/ws-b7PjcB/d.txt","tool_use_id":"toolu_8d996d9e7b8274373db90"}}`,
  cancel: `{"type":"control_cancel_request","request_id":"66f91881-e43e-4ca9-a46c-6b7b723b8286"}`,
  interruptAck: `{"type":"control_response","response":{"subtype":"success","request_id":"int1","response":{"still_queued":[]}}}`,
  rejectedToolResult: `{"type":"user","message":{"role":"user","content":[{"type":"tool_result","content":"The user doesn't want to proceed with this tool use.","is_error":true,"tool_use_id":"toolu_8d996d9e7b8274373db90"}]},"parent_tool_use_id":null,"session_id":"d7bf0434-b1b0-4535-ac1c-18bac15fafe6"}`,
  interruptedNotice: `{"type":"user","message":{"role":"user","content":[{"type":"text","text":"[Request interrupted by user]"}]},"parent_tool_use_id":null,"session_id":"38ea1442-a838-47ae-9ec2-a7eb0d3f7d54","uuid":"08ff1951-869a-4d6d-be5e-02701dd14129"}`,
  resultInterrupted: `{"duration_api_ms":0,"stop_reason":null,"session_id":"38ea1442-a838-47ae-9ec2-a7eb0d3f7d54","total_cost_usd":0.053468,"usage":{"input_tokens":0,"output_tokens":0},"permission_denials":[],"terminal_reason":"aborted_streaming","is_error":true,"num_turns":2,"subtype":"error_during_execution","errors":["[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=null"],"type":"result","duration_ms":1084}`,
  resultApiError: `{"duration_api_ms":0,"stop_reason":"stop_sequence","session_id":"7ec6d69c-a373-4bf2-a0b6-f07540f774c0","total_cost_usd":0,"usage":{"input_tokens":0,"output_tokens":0},"terminal_reason":"api_error","is_error":true,"num_turns":1,"subtype":"success","api_error":"connection_failed","result":"API Error: Connection refused — a firewall or proxy may be blocking it (ECONNREFUSED)","type":"result"}`,
  resultMaxBudget: `{"type":"result","subtype":"error_max_budget_usd","is_error":true,"num_turns":1,"total_cost_usd":0.04922,"errors":["Reached maximum budget ($0.01)"],"terminal_reason":"budget_exhausted","session_id":"aa5e1b1e-0000-4000-8000-000000000001","usage":{"input_tokens":1,"output_tokens":2}}`,
  internalSystem: `{"type":"system","subtype":"task_progress","session_id":"x","uuid":"y"}`,
};
const line = (name: keyof typeof recorded): unknown => JSON.parse(recorded[name]);

describe("ClaudeStreamMapper", () => {
  it("maps system/init to a system event and the agent session id", () => {
    const out = mapClaudeMessage(line("init"));
    expect(out).toEqual([
      {
        kind: "event",
        event: {
          type: "system",
          payload: {
            subtype: "init",
            message: "Claude Code started (model claude-opus-5-5)",
            model: "claude-opus-5-5",
            tools: ["Task", "AskUserQuestion", "Bash", "CronCreate"],
            permission_mode: "bypassPermissions",
            claude_code_version: "2.1.329",
          },
        },
      },
      { kind: "frame", frame: { type: "agent_session", agent_session_id: "fbc700a2-480a-47f9-86ce-7fce1409a198" } },
    ]);
  });

  it("splits an assistant message into text and tool_use events", () => {
    expect(mapClaudeMessage(line("assistantToolUse"))).toEqual([
      {
        kind: "event",
        event: {
          type: "tool_use",
          payload: {
            id: "toolu_07c88821a44b12ddb2410",
            name: "Bash",
            input: { command: "echo hi > a.txt", description: "Run the scripted command" },
          },
        },
      },
    ]);
    expect(mapClaudeMessage(line("assistantText"))).toEqual([
      {
        kind: "event",
        event: {
          type: "assistant",
          payload: { content: [{ type: "text", text: "Ran `echo hi > a.txt`.", citations: null }], model: "claude-opus-5-5" },
        },
      },
    ]);
    const mixed = {
      type: "assistant",
      message: {
        model: "m",
        content: [
          { type: "thinking", thinking: "hmm", signature: "s" },
          { type: "text", text: "a" },
          { type: "tool_use", id: "t1", name: "Read", input: { file_path: "/x" } },
          { type: "tool_use", id: "t2", name: "Grep", input: { pattern: "y" } },
        ],
      },
    };
    const out = mapClaudeMessage(mixed);
    expect(out.map((o) => (o.kind === "event" ? o.event.type : o.kind))).toEqual(["assistant", "tool_use", "tool_use"]);
    expect(out[0]).toMatchObject({ event: { payload: { content: [{ type: "thinking" }, { type: "text" }] } } });
  });

  it("maps tool results, flattening text-only content, and drops CLI-internal user text", () => {
    expect(mapClaudeMessage(line("toolResult"))).toEqual([
      {
        kind: "event",
        event: {
          type: "tool_result",
          payload: { tool_use_id: "toolu_07c88821a44b12ddb2410", content: "(Bash completed with no output)", is_error: false },
        },
      },
    ]);
    expect(mapClaudeMessage(line("rejectedToolResult"))).toMatchObject([
      { event: { type: "tool_result", payload: { is_error: true, tool_use_id: "toolu_8d996d9e7b8274373db90" } } },
    ]);
    expect(mapClaudeMessage(line("interruptedNotice"))).toEqual([]);
    expect(
      flattenToolContent([
        { type: "text", text: "a" },
        { type: "text", text: "b" },
      ]),
    ).toBe("a\nb");
    const image = [
      { type: "text", text: "a" },
      { type: "image", source: { type: "base64", data: "xx" } },
    ];
    expect(flattenToolContent(image)).toEqual(image);
    expect(flattenToolContent(undefined)).toBe("");
  });

  it("maps result to a result event, the session id and turn_state idle", () => {
    expect(mapClaudeMessage(line("resultSuccess"))).toEqual([
      {
        kind: "event",
        event: {
          type: "result",
          payload: {
            success: true,
            subtype: "success",
            summary: "Ran `echo hi > a.txt`.",
            num_turns: 2,
            total_cost_usd: 0.10782800000000001,
            usage: { input_tokens: 26757, output_tokens: 40 },
          },
        },
      },
      { kind: "frame", frame: { type: "agent_session", agent_session_id: "fbc700a2-480a-47f9-86ce-7fce1409a198" } },
      { kind: "frame", frame: { type: "turn_state", state: "idle" } },
    ]);
  });

  it("reports failed turns as unsuccessful, whatever their subtype says", () => {
    const interrupted = mapClaudeMessage(line("resultInterrupted"))[0];
    // Claude Code's internal diagnostic of the interruption stays out of the summary clients see.
    expect(interrupted).toMatchObject({ event: { payload: { success: false, subtype: "error_during_execution", summary: "" } } });
    // The CLI reports an unreachable API as subtype "success" with is_error true.
    const apiError = mapClaudeMessage(line("resultApiError"))[0];
    expect(apiError).toMatchObject({ event: { payload: { success: false, subtype: "success" } } });
    const budget = mapClaudeMessage(line("resultMaxBudget"))[0];
    expect(budget).toMatchObject({
      event: { payload: { success: false, subtype: "error_max_budget_usd", summary: "Reached maximum budget ($0.01)" } },
    });
  });

  it("turns can_use_tool into a permission_request and a cancel into permission_cancelled", () => {
    expect(mapClaudeMessage(line("canUseTool"))).toEqual([
      {
        kind: "frame",
        frame: {
          type: "permission_request",
          request_id: "66f91881-e43e-4ca9-a46c-6b7b723b8286",
          tool_name: "Bash",
          input: { command: "echo hi > d.txt", description: "Run the scripted command" },
          tool_use_id: "toolu_8d996d9e7b8274373db90",
        },
      },
    ]);
    expect(mapClaudeMessage(line("cancel"))).toEqual([
      { kind: "frame", frame: { type: "permission_cancelled", request_id: "66f91881-e43e-4ca9-a46c-6b7b723b8286" } },
    ]);
  });

  it("answers other control requests itself", () => {
    expect(
      mapClaudeMessage({
        type: "control_request",
        request_id: "r1",
        request: { subtype: "elicitation", mcp_server_name: "x", message: "?" },
      }),
    ).toEqual([
      {
        kind: "reply",
        message: { type: "control_response", response: { subtype: "success", request_id: "r1", response: { action: "decline" } } },
      },
    ]);
    expect(mapClaudeMessage({ type: "control_request", request_id: "r2", request: { subtype: "hook_callback" } })).toEqual([
      {
        kind: "reply",
        message: {
          type: "control_response",
          response: { subtype: "error", request_id: "r2", error: "unsupported control request: hook_callback" },
        },
      },
    ]);
  });

  it("notes control responses and ignores internal or unknown output", () => {
    expect(mapClaudeMessage(line("interruptAck"))).toEqual([{ kind: "control_response", request_id: "int1", subtype: "success" }]);
    expect(mapClaudeMessage(line("internalSystem"))).toEqual([]);
    expect(mapClaudeMessage({ type: "stream_event", event: {} })).toEqual([]);
    expect(mapClaudeMessage("garbage")).toEqual([]);
  });

  it("produces only events and frames the runner channel schema accepts", () => {
    let rseq = 0;
    for (const name of Object.keys(recorded) as (keyof typeof recorded)[]) {
      for (const out of mapClaudeMessage(line(name))) {
        if (out.kind === "event") {
          expect(AgentEventBody.safeParse(out.event).success).toBe(true);
          expect(RunnerToPlatform.safeParse({ type: "event", rseq: ++rseq, event: out.event }).success).toBe(true);
        }
        if (out.kind === "frame") expect(RunnerToPlatform.safeParse(out.frame).success).toBe(true);
      }
    }
  });
});

describe("ClaudeCommand", () => {
  const settings = {
    permission_mode: "default" as const,
    allowed_tools: ["Read", "Bash(npm run:*)"],
    disallowed_tools: ["WebFetch"],
    model: "claude-x",
    max_turns: 5,
    max_budget_usd: 1.5,
    environment: { FOO: "bar", ANTHROPIC_BASE_URL: "https://evil.example", ANTHROPIC_API_KEY: "sk-ant-user" },
    mcp_servers: {},
  };

  const HOOK = '{"hooks":{}}';

  it("builds the stream-json command line with one argv entry per tool pattern", () => {
    const { args } = buildClaudeCommand(settings, {
      capabilities: { maxBudgetUsd: true },
      baseEnv: {},
      isRoot: false,
      hookSettings: HOOK,
      resumeId: "fbc700a2-480a-47f9-86ce-7fce1409a198",
      mcpConfigPath: "/tmp/mcp.json",
    });
    expect(args).toEqual([
      "-p",
      "--input-format",
      "stream-json",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-prompt-tool",
      "stdio",
      "--permission-mode",
      "default",
      // The platform's hook decides every call; no settings file or .mcp.json the agent can write is read.
      "--settings",
      HOOK,
      "--setting-sources",
      "",
      "--strict-mcp-config",
      "--allowedTools",
      "Read",
      "Bash(npm run:*)",
      "--disallowedTools",
      "WebFetch",
      "--model",
      "claude-x",
      "--max-turns",
      "5",
      "--max-budget-usd",
      "1.5",
      "--mcp-config",
      "/tmp/mcp.json",
      "--resume",
      "fbc700a2-480a-47f9-86ce-7fce1409a198",
    ]);
    const older = buildClaudeCommand(settings, { capabilities: { maxBudgetUsd: false }, baseEnv: {}, isRoot: false, hookSettings: HOOK });
    expect(older.args).not.toContain("--max-budget-usd");
  });

  it("never puts a resume id that is not a Claude Code session id into argv", () => {
    for (const resumeId of ["--settings=/workspace/evil.json", "-x", "abc", "fbc700a2-480a-47f9-86ce-7fce1409a198 --x"]) {
      const { args } = buildClaudeCommand(settings, {
        capabilities: { maxBudgetUsd: true },
        baseEnv: {},
        isRoot: false,
        hookSettings: HOOK,
        resumeId,
      });
      expect(args, resumeId).not.toContain("--resume");
      expect(args, resumeId).not.toContain(resumeId);
    }
  });

  it("keeps the platform's gateway variables over the profile's and marks root sandboxes", () => {
    const { env } = buildClaudeCommand(settings, {
      capabilities: { maxBudgetUsd: true },
      baseEnv: { PATH: "/bin", ANTHROPIC_BASE_URL: "http://gateway", ANTHROPIC_AUTH_TOKEN: "session-token" },
      isRoot: true,
      hookSettings: HOOK,
    });
    expect(env).toEqual({
      PATH: "/bin",
      FOO: "bar",
      ANTHROPIC_BASE_URL: "http://gateway",
      ANTHROPIC_AUTH_TOKEN: "session-token",
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
      IS_SANDBOX: "1",
    });
  });

  it("reads --max-budget-usd support from --help", () => {
    const help = "  --output-format <format>  Output format\n  --model <model>";
    expect(parseCapabilities(`${help}\n  --max-budget-usd <amount>  Maximum dollar amount`)).toEqual({ maxBudgetUsd: true });
    expect(parseCapabilities(help)).toEqual({ maxBudgetUsd: false });
  });

  it("never leaves the limit out on a probe that did not answer as Claude Code's --help", () => {
    // Failed (undefined), empty, or not Claude Code's: the flag is passed on, and holds or stops the start.
    for (const answer of [undefined, "", "The current directory no longer exists (it was deleted or moved)."]) {
      expect(parseCapabilities(answer), String(answer)).toEqual({ maxBudgetUsd: true });
    }
  });
});

describe("EventOutbox", () => {
  it("numbers events from 1 and forgets them on cumulative acks", () => {
    const box = new EventOutbox();
    const ev = { type: "user" as const, payload: { content: "x" } };
    expect([box.push(ev).rseq, box.push(ev).rseq, box.push(ev).rseq]).toEqual([1, 2, 3]);
    box.ack(2);
    expect(box.unacked().map((f) => f.rseq)).toEqual([3]);
    box.ack(1); // stale
    box.ack(99); // from a previous runner life: ignored
    expect(box.unacked().map((f) => f.rseq)).toEqual([3]);
    box.ack(3);
    expect(box.unacked()).toEqual([]);
    expect(box.push(ev).rseq).toBe(4);
  });
});
