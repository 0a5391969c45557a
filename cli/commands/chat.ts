/** `chat` and `session attach`: talk to a session (or watch one) in the terminal. */
import { intOption, expectPositionals, stringOption, UsageError } from "../args.ts";
import { runSessionView } from "../chat/session-view.ts";
import type { Command } from "../command.ts";
import { PROGRAM } from "../help.ts";
import { permissionModeName } from "../../client-core/permission-modes.ts";
import { EXIT } from "../output.ts";
import { ensureRegistered } from "../registration.ts";
import { SESSION_OPTIONS, sessionBody } from "./sessions.ts";

const chat: Command = {
  path: ["chat"],
  args: "[PROMPT...] [--profile ID] [--mode acceptEdits|plan|bypassPermissions] [--name N] [--model M]",
  summary: "Start a new session and chat with it (registers you if needed).",
  options: SESSION_OPTIONS,
  async run(ctx, { values, positionals }) {
    const status = await ensureRegistered(ctx.client);
    if (!status.has_credentials) {
      ctx.out.error(`no Claude credential stored: run \`${PROGRAM} auth claude set-key\` (or \`auth claude login\`) first`, {
        error: "no_credentials",
      });
      return EXIT.failure;
    }
    const session = await ctx.client.sessions.create(sessionBody(values));
    const { style } = ctx;
    ctx.io.stdout.write(
      `${style.bold(`Session ${session.id}`)} ${style.dim(
        `· ${permissionModeName(session.profile.permission_mode)}${session.profile.model ? ` · ${session.profile.model}` : ""}${session.usage.simulated ? " · simulated model (offline demo): costs are invented" : ""}`,
      )}\n`,
    );
    const initialPrompt = positionals.join(" ").trim();
    return runSessionView(ctx, { sessionId: session.id, interactive: true, ...(initialPrompt ? { initialPrompt } : {}) });
  },
};

const attach: Command = {
  path: ["session", "attach"],
  args: "--id ID [--interactive] [--after-seq N]",
  summary: "Watch a session's events live (read-only; --interactive to prompt and approve). --json: one event per line.",
  options: { id: { type: "string" }, interactive: { type: "boolean" }, "after-seq": { type: "string" } },
  json: true,
  async run(ctx, { values, positionals }) {
    expectPositionals(positionals, [], ["id"]);
    const sessionId = stringOption(values, "id") ?? positionals[0];
    if (!sessionId) throw new UsageError("missing --id <session id>");
    const interactive = values.interactive === true;
    if (interactive && ctx.out.json) throw new UsageError("--json applies to read-only attach, not --interactive");
    const afterSeq = intOption(values, "after-seq", 0);
    // Fails early with a clear message for an unknown session, before any socket is opened.
    await ctx.client.sessions.get(sessionId);
    return runSessionView(ctx, { sessionId, interactive, jsonLines: ctx.out.json, ...(afterSeq === undefined ? {} : { afterSeq }) });
  },
};

/** The interactive commands. */
export const chatCommands: Command[] = [chat, attach];
