// The pure parts of the model server: directive parsing and scenario selection from a body.
import type { MessageCreateParams, MessageParam } from "@anthropic-ai/sdk/resources/messages";
import { describe, expect, it } from "vitest";
import { viewConversation } from "../../model-server/conversation.ts";
import { DirectiveError, parseDirective } from "../../model-server/directive.ts";
import { scriptReply } from "../../model-server/scenarios.ts";

const tools = ["Bash", "Write", "Read"].map((name) => ({ name, input_schema: { type: "object" as const } }));

/** A body shaped like Claude Code 2.1's: billing line in `system`, cwd in a system-role message. */
function claudeCodeBody(messages: MessageParam[], extra: Partial<MessageCreateParams> = {}): MessageCreateParams {
  return {
    model: "claude-opus-5-5",
    max_tokens: 32000,
    system: [{ type: "text", text: "x-anthropic-billing-header: cc_version=2.1.329; cc_entrypoint=sdk-cli;" }],
    tools,
    messages: [
      ...messages.slice(0, 1),
      { role: "system", content: "# Environment\n - Primary working directory: /work/space\n - Platform: linux" },
      ...messages.slice(1),
    ],
    ...extra,
  };
}

const user = (...texts: string[]): MessageParam => ({ role: "user", content: texts.map((text) => ({ type: "text", text })) });
const toolCall = (id: string, name = "Bash"): MessageParam => ({ role: "assistant", content: [{ type: "tool_use", id, name, input: {} }] });
const toolResult = (id: string, content: string): MessageParam => ({
  role: "user",
  content: [{ type: "tool_result", tool_use_id: id, content }],
});

describe("parseDirective", () => {
  it("reads bare, double-quoted, single-quoted and flag arguments", () => {
    const d = parseDirective(`do it [[scenario:tool name=Edit note="a \\"b\\"\\nc" input='{"x":[1,2]}' dry]] thanks`);
    expect(d).toEqual({
      name: "tool",
      args: { name: "Edit", note: 'a "b"\nc', input: '{"x":[1,2]}', dry: "true" },
      raw: `[[scenario:tool name=Edit note="a \\"b\\"\\nc" input='{"x":[1,2]}' dry]]`,
    });
  });

  it("returns undefined without a directive and throws on a broken one", () => {
    expect(parseDirective("just a prompt")).toBeUndefined();
    expect(() => parseDirective('[[scenario:text text="open')).toThrow(DirectiveError);
    expect(() => parseDirective("[[scenario:]]")).toThrow(DirectiveError);
  });
});

describe("viewConversation", () => {
  it("ignores system reminders, interrupts and tool results when finding prompts", () => {
    const view = viewConversation(
      claudeCodeBody([
        user("<system-reminder>\ninjected context\n</system-reminder>\n", "first prompt"),
        { role: "assistant", content: "ok" },
        user("[Request interrupted by user]"),
        user("second [[scenario:multi rounds=2]]"),
        toolCall("t1"),
        toolResult("t1", "round-1"),
        user("<system-reminder>a file changed</system-reminder>"),
      ]),
    );
    expect(view.prompts).toEqual(["first prompt", "second [[scenario:multi rounds=2]]"]);
    expect(view.round).toBe(1);
    expect(view.toolResults).toEqual([{ toolUseId: "t1", text: "round-1", isError: false }]);
    expect(view.cwd).toBe("/work/space");
  });
});

describe("scriptReply", () => {
  it("steps through multi rounds statelessly", () => {
    const prompt = user("[[scenario:multi rounds=2]]");
    const step0 = scriptReply(claudeCodeBody([prompt]));
    expect(step0.kind === "message" && step0.blocks.at(-1)).toMatchObject({ type: "tool_use", input: { command: "echo round-1" } });
    const step1 = scriptReply(claudeCodeBody([prompt, toolCall("a"), toolResult("a", "round-1")]));
    expect(step1.kind === "message" && step1.blocks.at(-1)).toMatchObject({ input: { command: "echo round-2" } });
    const done = scriptReply(
      claudeCodeBody([prompt, toolCall("a"), toolResult("a", "round-1"), toolCall("b"), toolResult("b", "round-2")]),
    );
    expect(done).toMatchObject({ kind: "message", blocks: [{ type: "text", text: "Finished 2 rounds: round-1, round-2." }] });
  });

  it("resolves relative write paths against the stated working directory", () => {
    const reply = scriptReply(claudeCodeBody([user('[[scenario:write path=notes/a.txt content="x"]]')]));
    expect(reply).toMatchObject({
      blocks: [{ type: "tool_use", name: "Write", input: { file_path: "/work/space/notes/a.txt", content: "x" } }],
    });
  });

  it("resolves against the current directory of a conversation resumed elsewhere (a fork)", () => {
    const body = claudeCodeBody([user("[[scenario:read path=kept.txt]]")]);
    body.messages.splice(1, 1, {
      role: "system" as "user",
      content:
        "# Environment\n - Primary working directory: /sandboxes/fork/workspace (was /sandboxes/source/workspace)\n - Platform: linux",
    });
    expect(scriptReply(body)).toMatchObject({
      blocks: [{ type: "tool_use", name: "Read", input: { file_path: "/sandboxes/fork/workspace/kept.txt" } }],
    });
  });

  it("answers Claude Code's side requests with plain text, even when they quote a directive", () => {
    const quoted = [user('Write a title for: "[[scenario:bash command=rm]]"')];
    expect(scriptReply(claudeCodeBody(quoted, { max_tokens: 1 }))).toMatchObject({ scenario: "auxiliary", blocks: [{ type: "text" }] });
    expect(scriptReply(claudeCodeBody(quoted, { tools: [] }))).toMatchObject({ scenario: "auxiliary" });
    // The same request with tools offered is a real turn.
    expect(scriptReply(claudeCodeBody(quoted))).toMatchObject({ scenario: "bash" });
  });

  it("defaults to the demo when its tools are offered, else echoes", () => {
    expect(scriptReply(claudeCodeBody([user("hello")]))).toMatchObject({ scenario: "demo" });
    const plain: MessageCreateParams = { model: "m", max_tokens: 100, messages: [user("hello")] };
    expect(scriptReply(plain)).toMatchObject({ scenario: "text", blocks: [{ text: "You said: hello" }] });
  });

  it("explains unknown scenarios and bad tool input instead of failing", () => {
    expect(scriptReply(claudeCodeBody([user("[[scenario:nope]]")]))).toMatchObject({ scenario: "unknown" });
    expect(scriptReply(claudeCodeBody([user("[[scenario:toString]]")]))).toMatchObject({ scenario: "unknown" });
    const bad = scriptReply(claudeCodeBody([user("[[scenario:tool name=Edit input='{oops']]")]));
    expect(bad.kind === "message" && bad.blocks[0]?.type === "text" && bad.blocks[0].text).toContain("not valid JSON");
  });

  it("maps the error scenario to a status", () => {
    expect(scriptReply(claudeCodeBody([user("[[scenario:error status=429]]")]))).toMatchObject({ kind: "error", status: 429 });
  });
});
