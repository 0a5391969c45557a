/** `sessions fork`: fork a dormant or ended session into a new one, after its preflight (docs/api.md §4). */
import type { ForkPreflight } from "../../sdk/index.ts";
import { expectPositionals, stringOption, type ParsedCommand } from "../args.ts";
import type { Command } from "../command.ts";
import { EXIT } from "../output.ts";

/** `--acknowledge a,b` (repeatable as a comma list): the MCP servers the fork may run without. */
function acknowledged(values: ParsedCommand["values"]): string[] {
  return (stringOption(values, "acknowledge") ?? "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
}

/** The preflight as a few readable lines. */
function describePreflight(p: ForkPreflight): string {
  return [
    `source:      ${p.source_session_id}${p.source_name ? `  (${p.source_name})` : ""} · ${p.source_status}`,
    `forkable:    ${p.is_forkable ? "yes" : `no: ${p.is_forkable_reason}`}`,
    `history:     ${p.history_available ? "the conversation comes along" : "no conversation to carry over"}`,
    `mcp servers: ${p.source_mcp_servers.join(", ") || "-"}${p.missing_mcps.length ? ` (missing from the profile: ${p.missing_mcps.join(", ")})` : ""}`,
    `fork name:   ${p.default_fork_name}`,
  ].join("\n");
}

const fork: Command = {
  path: ["sessions", "fork"],
  args: "<id> [--profile ID] [--name N] [--prompt TEXT] [--acknowledge MCP1,MCP2] [--check]",
  summary:
    "Fork a dormant or ended session: a new session with its files and conversation and your profile's settings (--check: preflight only).",
  options: {
    profile: { type: "string" },
    name: { type: "string" },
    prompt: { type: "string" },
    acknowledge: { type: "string" },
    check: { type: "boolean" },
  },
  json: true,
  async run(ctx, { values, positionals }) {
    const [id] = expectPositionals(positionals, ["id"]);
    const profileId = stringOption(values, "profile");
    const preflight = await ctx.client.sessions.forkPreflight(id!, profileId);
    if (values.check) {
      ctx.out.result(preflight, () => describePreflight(preflight));
      return EXIT.ok;
    }
    if (!preflight.is_forkable) {
      ctx.out.error(`session ${id} cannot be forked: ${preflight.is_forkable_reason}`, { error: "not_forkable", preflight });
      return EXIT.failure;
    }
    const acks = acknowledged(values);
    const missing = preflight.missing_mcps.filter((name) => !acks.includes(name));
    if (missing.length > 0) {
      const message = `the source uses MCP servers your profile lacks: ${missing.join(", ")}; fork without them with --acknowledge ${preflight.missing_mcps.join(",")}`;
      ctx.out.error(message, { error: "missing_mcps_not_acknowledged", message, preflight });
      return EXIT.failure;
    }
    const name = stringOption(values, "name");
    const prompt = stringOption(values, "prompt");
    const session = await ctx.client.sessions.fork(id!, {
      ...(profileId ? { profile_id: profileId } : {}),
      ...(name ? { name } : {}),
      ...(prompt ? { initial_prompt: prompt } : {}),
      ...(acks.length ? { acknowledge_missing_tools: acks } : {}),
    });
    ctx.out.result({ session }, () => `Session ${session.id} forked from ${id} (${session.name ?? "unnamed"}).`);
    return EXIT.ok;
  },
};

/** The fork command. */
export const forkCommands: Command[] = [fork];
