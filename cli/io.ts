/** The process streams the CLI talks through, injectable so commands can be driven in tests. */
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";

/** Standard streams and environment. */
export interface Io {
  stdin: Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number };
  stderr: Writable & { isTTY?: boolean };
  env: Record<string, string | undefined>;
}

/** The real process streams. */
export function processIo(): Io {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** Everything on stdin until EOF. */
export async function readAll(stdin: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Asks one question and reads one line. On a terminal with `hidden`, typed characters are not
 * echoed (for secrets); off a terminal it just reads the next line.
 */
export async function askLine(io: Io, question: string, options: { hidden?: boolean } = {}): Promise<string | null> {
  const rl = createInterface({ input: io.stdin, output: io.stderr, terminal: Boolean(io.stdin.isTTY) });
  if (options.hidden && io.stdin.isTTY) {
    // readline echoes through _writeToOutput; muting it after the question hides the secret.
    const muted = rl as unknown as { _writeToOutput: (text: string) => void };
    const original = muted._writeToOutput.bind(rl);
    let asked = false;
    muted._writeToOutput = (text: string) => {
      if (!asked) original(text);
    };
    io.stderr.write(question);
    asked = true;
    return new Promise((resolve) => {
      rl.once("line", (line) => {
        io.stderr.write("\n");
        rl.close();
        resolve(line);
      });
      rl.once("close", () => resolve(null));
    });
  }
  return new Promise((resolve) => {
    let answered = false;
    rl.question(question, (line) => {
      answered = true;
      // Piped input is not echoed; end the question's line so what follows starts on its own.
      if (!io.stdin.isTTY) io.stderr.write("\n");
      rl.close();
      resolve(line);
    });
    rl.once("close", () => {
      if (!answered) resolve(null);
    });
  });
}
