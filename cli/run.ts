/** One CLI invocation: parse, dispatch, and map failures to messages and exit codes. */
import { AiSessionsError } from "../sdk/index.ts";
import { extractGlobals, parseCommandArgs, UsageError } from "./args.ts";
import type { Command } from "./command.ts";
import { COMMANDS } from "./commands/index.ts";
import { createContext } from "./context.ts";
import { commandHelp, helpText, PROGRAM } from "./help.ts";
import type { Io } from "./io.ts";
import { EXIT, Output } from "./output.ts";

/** The command named by the leading words of `words`, and the words after it. */
function findCommand(words: readonly string[]): { command: Command; rest: string[] } | null {
  let best: Command | null = null;
  for (const command of COMMANDS) {
    const matches = command.path.every((word, i) => words[i] === word);
    if (matches && (!best || command.path.length > best.path.length)) best = command;
  }
  return best ? { command: best, rest: words.slice(best.path.length) } : null;
}

/** Runs the CLI with `argv` (without node and script); resolves the exit code. */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let out = new Output(io, argv.includes("--json"));
  try {
    const { globals, rest } = extractGlobals(argv);
    out = new Output(io, globals.json);
    if (rest.length === 0 || rest[0] === "help") {
      io.stdout.write(`${helpText(COMMANDS)}\n`);
      return rest.length === 0 && !globals.help ? EXIT.usage : EXIT.ok;
    }
    const found = findCommand(rest);
    if (!found)
      throw new UsageError(
        `unknown command '${rest
          .filter((w) => !w.startsWith("-"))
          .slice(0, 3)
          .join(" ")}'`,
      );
    const { command } = found;
    if (globals.help) {
      io.stdout.write(`${commandHelp(command)}\n`);
      return EXIT.ok;
    }
    if (globals.json && !command.json) throw new UsageError(`${command.path.join(" ")} is interactive and has no --json output`);
    const parsed = parseCommandArgs(found.rest, command.options ?? {});
    const ctx = createContext(io, globals);
    return (await command.run(ctx, parsed)) ?? EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      out.error(`${error.message}\nRun '${PROGRAM} help' for usage.`, { error: "usage", message: error.message });
      return EXIT.usage;
    }
    if (error instanceof AiSessionsError) {
      const where = error.status === 0 ? "" : ` (HTTP ${error.status})`;
      out.error(`${error.message} [${error.code}]${where}${hintFor(error)}`, {
        error: error.code,
        message: error.message,
        status: error.status,
        retry_after: error.retryAfter,
      });
      return EXIT.failure;
    }
    out.error(error instanceof Error ? error.message : String(error), { error: "internal", message: String(error) });
    return EXIT.failure;
  }
}

/** A next step for the errors people hit most. */
function hintFor(error: AiSessionsError): string {
  switch (error.code) {
    case "network_error":
      return "\nIs the platform running? Check --url / AI_SESSIONS_URL.";
    case "unauthorized":
      return "\nCheck --token / AI_SESSIONS_TOKEN.";
    case "not_registered":
      return `\nRun '${PROGRAM} auth claude set-key' (it registers you) or '${PROGRAM} chat'.`;
    case "no_credentials":
      return `\nRun '${PROGRAM} auth claude set-key' or '${PROGRAM} auth claude login'.`;
    default:
      return "";
  }
}
