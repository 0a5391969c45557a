/** Where a command's answer goes: one JSON document with --json, readable text otherwise. */
import type { Io } from "./io.ts";

/** Exit codes: 0 success, 1 the operation failed, 2 the CLI was called wrongly. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Writes results and notices for one command run. */
export class Output {
  readonly json: boolean;
  readonly #io: Io;

  constructor(io: Io, json: boolean) {
    this.#io = io;
    this.json = json;
  }

  /** The command's answer: `data` as JSON, or the human rendering. */
  result(data: unknown, human: () => string): void {
    this.#io.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : ensureNewline(human()));
  }

  /** A progress or guidance line: on stdout for people, on stderr with --json so stdout stays one document. */
  info(text: string): void {
    (this.json ? this.#io.stderr : this.#io.stdout).write(ensureNewline(text));
  }

  /** A failure: the human line on stderr, plus the JSON error document on stdout with --json. */
  error(message: string, document: Record<string, unknown>): void {
    this.#io.stderr.write(ensureNewline(`error: ${message}`));
    if (this.json) this.#io.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
  }
}

function ensureNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : `${text}\n`;
}
