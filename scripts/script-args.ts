/**
 * Argument parsing for the project's scripts (`npm start`, `npm run token`, `npm run org-key`):
 * `--help` prints the usage, and a mistyped option prints the usage and one clear line — never
 * a stack trace.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Parses `process.argv` against `options`; exits 0 on `--help`, 2 on a bad option. */
export function parseScriptArgs<T extends Options>(usage: string, options: T) {
  try {
    const parsed = parseArgs({ options: { ...options, help: { type: "boolean", short: "h", default: false } }, strict: true });
    if ((parsed.values as { help?: boolean }).help) {
      console.log(usage);
      process.exit(0);
    }
    return parsed.values as ReturnType<typeof parseArgs<{ options: T }>>["values"];
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    process.exit(2);
  }
}
