/** Command-line parsing: global options anywhere, then a command's own options via node:util parseArgs. */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A mistake in how the CLI was called (exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Options every command accepts, wherever they appear on the line. */
export interface GlobalOptions {
  url?: string;
  token?: string;
  /** The org the token (then an org API key) acts for: the rules, events and detections commands. */
  org?: string;
  json: boolean;
  help: boolean;
}

/** Option declarations in parseArgs' format. */
export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

const GLOBAL_VALUE_OPTIONS = new Set(["url", "token", "org"]);
const GLOBAL_FLAGS: Record<string, "json" | "help"> = { "--json": "json", "--help": "help", "-h": "help" };

/** Takes the global options out of `argv`; what remains is the command line proper. */
export function extractGlobals(argv: readonly string[]): { globals: GlobalOptions; rest: string[] } {
  const globals: GlobalOptions = { json: false, help: false };
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      rest.push(...argv.slice(i));
      break;
    }
    const flag = GLOBAL_FLAGS[arg];
    if (flag) {
      globals[flag] = true;
      continue;
    }
    const match = /^--([a-z]+)(?:=(.*))?$/s.exec(arg);
    if (match && GLOBAL_VALUE_OPTIONS.has(match[1]!)) {
      const value = match[2] ?? argv[++i];
      if (value === undefined || (match[2] === undefined && value.startsWith("--"))) throw new UsageError(`--${match[1]} needs a value`);
      globals[match[1] as "url" | "token" | "org"] = value;
      continue;
    }
    rest.push(arg);
  }
  return { globals, rest };
}

/** Parsed options and positionals of one command. */
export interface ParsedCommand {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses a command's arguments strictly: an unknown option or a missing value is a usage error. */
export function parseCommandArgs(args: readonly string[], options: OptionSpecs): ParsedCommand {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: values as ParsedCommand["values"], positionals };
  } catch (error) {
    // parseArgs explains well ("Unknown option '--x'"); its error codes are not worth showing.
    throw new UsageError(error instanceof Error ? error.message.replace(/\. To specify a positional argument.*$/s, "") : String(error));
  }
}

/** A string option's value, or undefined. */
export function stringOption(values: ParsedCommand["values"], name: string): string | undefined {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}

/** A positive integer option, or undefined; anything else is a usage error. */
export function intOption(values: ParsedCommand["values"], name: string, min = 0): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
  return value;
}

/** Exactly the positionals a command takes, named for the error message. */
export function expectPositionals(positionals: string[], names: readonly string[], optional: readonly string[] = []): string[] {
  if (positionals.length < names.length)
    throw new UsageError(
      `missing ${names
        .slice(positionals.length)
        .map((n) => `<${n}>`)
        .join(" ")}`,
    );
  if (positionals.length > names.length + optional.length)
    throw new UsageError(`unexpected argument '${positionals[names.length + optional.length]}'`);
  return positionals;
}
