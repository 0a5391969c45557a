// The scripted behaviours: pure functions from a request body to the next assistant reply.
// A prompt picks one with `[[scenario:NAME key=value ...]]`; the step within a scenario is the
// number of tool calls already made since that prompt, so no state is kept between requests.
import path from "node:path";
import type { MessageCreateParams } from "@anthropic-ai/sdk/resources/messages";
import { isAuxiliaryRequest, viewConversation, type ConversationView, type ToolResult } from "./conversation.ts";
import { DirectiveError, parseDirective, withoutDirective, type Directive } from "./directive.ts";
import type { ScriptedBlock } from "./message.ts";

/** One scenario step's answer: an assistant message (optionally streamed slowly) or an HTTP error. */
export type Step =
  | { kind: "message"; blocks: ScriptedBlock[]; slow?: { chunks: number; delayMs: number } }
  | { kind: "error"; status: number; message: string };

/** What the server should answer, with the name of the scenario that decided it. */
export type ScriptedReply = Step & { scenario: string };

/** What a scenario step gets to look at. */
export type ScenarioContext = ConversationView & {
  directive: Directive | undefined;
  /** The directive's arguments ({} without one). */
  args: Record<string, string>;
  request: MessageCreateParams;
};

type Scenario = (ctx: ScenarioContext) => Step;

const text = (t: string): ScriptedBlock => ({ type: "text", text: t });
const toolUse = (name: string, input: Record<string, unknown>): ScriptedBlock => ({ type: "tool_use", name, input });
const say = (t: string): Step => ({ kind: "message", blocks: [text(t)] });
const act = (...blocks: ScriptedBlock[]): Step => ({ kind: "message", blocks });

/** The latest tool result as a quotable string. */
function lastResult(ctx: ScenarioContext): ToolResult {
  return ctx.toolResults.at(-1) ?? { toolUseId: "", text: "(no tool result received)", isError: true };
}

function fenced(output: string): string {
  return "```\n" + output.replace(/\n+$/, "") + "\n```";
}

/** Describes a tool result for a final message, saying so when the tool failed or was denied. */
function quoteResult(result: ToolResult): string {
  return (result.isError ? "The tool reported an error:\n" : "The tool returned:\n") + fenced(result.text);
}

/** Claude Code's file tools want absolute paths: resolve relative ones against its stated cwd. */
function absolute(ctx: ScenarioContext, file: string): string {
  if (path.isAbsolute(file) || !ctx.cwd) return file;
  return path.resolve(ctx.cwd, file);
}

function intArg(ctx: ScenarioContext, key: string, fallback: number): number {
  const value = Number.parseInt(ctx.args[key] ?? "", 10);
  return Number.isFinite(value) && value >= 0 ? value : fallback;
}

/** Every scenario by name; see README.md for their arguments. */
export const SCENARIOS: Record<string, Scenario> = {
  text: (ctx) => say(ctx.args.text ?? `You said: ${withoutDirective(ctx.latestPrompt, ctx.directive) || "(nothing)"}`),

  bash: (ctx) => {
    const command = ctx.args.command ?? "echo hello from bash";
    if (ctx.round === 0) return act(toolUse("Bash", { command, description: "Run the scripted command" }));
    return say(`Ran \`${command}\`. ${quoteResult(lastResult(ctx))}`);
  },

  write: (ctx) => {
    const file = absolute(ctx, ctx.args.path ?? "hello.txt");
    const content = ctx.args.content ?? "Hello from the scripted model server.\n";
    if (ctx.round === 0) return act(toolUse("Write", { file_path: file, content }));
    const result = lastResult(ctx);
    return say(result.isError ? `Could not write ${file}. ${quoteResult(result)}` : `Wrote ${content.length} characters to ${file}.`);
  },

  read: (ctx) => {
    const file = absolute(ctx, ctx.args.path ?? "README.md");
    if (ctx.round === 0) return act(toolUse("Read", { file_path: file }));
    return say(`Contents of ${file}:\n${fenced(lastResult(ctx).text)}`);
  },

  multi: (ctx) => {
    const rounds = intArg(ctx, "rounds", 3);
    if (ctx.round < rounds) {
      const n = ctx.round + 1;
      return act(text(`Round ${n} of ${rounds}.`), toolUse("Bash", { command: `echo round-${n}`, description: `Print round ${n}` }));
    }
    const outputs = ctx.toolResults.map((r) => r.text.trim()).join(", ");
    return say(`Finished ${rounds} rounds: ${outputs || "(none)"}.`);
  },

  slow: (ctx) => {
    const chunks = Math.max(1, intArg(ctx, "chunks", 5));
    const delayMs = intArg(ctx, "delay", 200);
    const body = Array.from({ length: chunks }, (_, i) => `chunk ${i + 1}/${chunks} `)
      .join("")
      .trimEnd();
    return { kind: "message", blocks: [text(body)], slow: { chunks, delayMs } };
  },

  error: (ctx) => {
    const status = intArg(ctx, "status", 500) || 500;
    return { kind: "error", status, message: ctx.args.message ?? `Scripted error (HTTP ${status})` };
  },

  recall: (ctx) => {
    const listed = ctx.prompts.map((p, i) => `${i + 1}) ${p.replace(/\s+/g, " ").trim()}`).join(" ");
    return say(`Prompts so far: ${listed}`);
  },

  ask: (ctx) => {
    const question = ctx.args.question ?? "Which option do you prefer?";
    const labels = (ctx.args.options ?? "yes|no")
      .split("|")
      .map((o) => o.trim())
      .filter(Boolean);
    if (ctx.round === 0) {
      // AskUserQuestion's schema (Claude Code 2.1): 1-4 questions, each with a short header,
      // 2-4 options of {label, description}, and multiSelect.
      const options = labels.map((label) => ({ label, description: `Choose ${label}` }));
      return act(toolUse("AskUserQuestion", { questions: [{ question, header: "Question", options, multiSelect: false }] }));
    }
    const result = lastResult(ctx);
    return say(result.isError ? `No answer to "${question}". ${quoteResult(result)}` : `You answered: ${result.text}`);
  },

  tool: (ctx) => {
    const name = ctx.args.name;
    if (!name) return say('The tool scenario needs a tool name: [[scenario:tool name=Edit input=\'{"...": "..."}\']]');
    let input: unknown;
    try {
      input = JSON.parse(ctx.args.input ?? "{}");
    } catch (error) {
      return say(`The tool scenario's input is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) return say("The tool scenario's input must be a JSON object.");
    if (ctx.round === 0) return act(toolUse(name, input as Record<string, unknown>));
    return say(`${name} finished. ${quoteResult(lastResult(ctx))}`);
  },

  demo: (ctx) => {
    const report = absolute(ctx, "report.md");
    if (ctx.round === 0) {
      return act(
        text("Hi! I'm the offline demo model. Let me look around the workspace first."),
        toolUse("Bash", { command: "ls -la", description: "List the files in the workspace" }),
      );
    }
    const listing = ctx.toolResults[0]?.text ?? "";
    // `ls -la` prints a "total" line, then one line per entry including . and ..
    const entries = listing.split("\n").filter((line) => line.trim() && !line.startsWith("total ")).length;
    if (ctx.round === 1) {
      const content = [
        "# Workspace report",
        "",
        `Written by the offline demo model. \`ls -la\` listed ${entries} entries (including \`.\` and \`..\`):`,
        "",
        fenced(listing),
        "",
      ].join("\n");
      return act(text("Now I'll write a short report."), toolUse("Write", { file_path: report, content }));
    }
    return say(
      [
        "## Demo complete",
        "",
        `- Listed the workspace with \`ls -la\` (${entries} entries).`,
        `- Wrote a summary to \`${report}\`.`,
        "",
        "These replies come from the project's scripted model server, so no API key was needed.",
        'Try a directive in your next prompt, e.g. `[[scenario:bash command="date"]]` or `[[scenario:recall]]`.',
      ].join("\n"),
    );
  },
};

/** Decides the next reply for a request body (see README.md for the rules). */
export function scriptReply(body: MessageCreateParams): ScriptedReply {
  if (isAuxiliaryRequest(body)) return { kind: "message", scenario: "auxiliary", blocks: [text("OK")] };
  const view = viewConversation(body);
  let directive: Directive | undefined;
  try {
    directive = parseDirective(view.latestPrompt);
  } catch (error) {
    if (!(error instanceof DirectiveError)) throw error;
    return { kind: "message", scenario: "invalid", blocks: [text(`model server: ${error.message}`)] };
  }
  // Without a directive a real prompt gets the demo when its tools are offered, else an echo.
  const fallback = view.toolNames.includes("Bash") && view.toolNames.includes("Write") ? "demo" : "text";
  const name = directive?.name ?? fallback;
  // hasOwn: a directive like [[scenario:toString]] must not reach Object.prototype.
  const scenario = Object.hasOwn(SCENARIOS, name) ? SCENARIOS[name] : undefined;
  if (!scenario) {
    const known = Object.keys(SCENARIOS).join(", ");
    return { kind: "message", scenario: "unknown", blocks: [text(`model server: unknown scenario "${name}". Known: ${known}.`)] };
  }
  return { ...scenario({ ...view, directive, args: directive?.args ?? {}, request: body }), scenario: name };
}
