/** The shape of one CLI command. */
import type { OptionSpecs, ParsedCommand } from "./args.ts";
import type { CommandContext } from "./context.ts";

/** A command: its words, help text, options and what it does. */
export interface Command {
  /** The words that name it, e.g. `["auth", "claude", "set-key"]`. */
  path: readonly string[];
  /** Arguments as shown in help, e.g. `<session> <local>`. */
  args?: string;
  summary: string;
  options?: OptionSpecs;
  /** Whether `--json` applies (interactive commands do not take it). */
  json?: boolean;
  /** Resolves the exit code (default 0). */
  run(ctx: CommandContext, parsed: ParsedCommand): Promise<number | void>;
}
