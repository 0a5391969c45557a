/**
 * A prompt line that stays at the bottom while output arrives above it: what the user is typing
 * is redrawn after every printed line, so streaming agent output never mangles their input.
 */
import { clearLine, createInterface, cursorTo, type Interface } from "node:readline";
import type { Io } from "../io.ts";

/** The interactive terminal of a chat. */
export class Terminal {
  readonly tty: boolean;
  readonly #rl: Interface;
  readonly #io: Io;
  #closed = false;
  #signalHandler: (() => void) | null = null;

  constructor(io: Io) {
    this.#io = io;
    this.tty = Boolean(io.stdin.isTTY && io.stdout.isTTY);
    this.#rl = createInterface({ input: io.stdin, output: io.stdout, terminal: this.tty, prompt: "> " });
    this.#rl.on("close", () => (this.#closed = true));
  }

  /** Calls `handler` with every line the user enters. */
  onLine(handler: (line: string) => void): void {
    this.#rl.on("line", handler);
  }

  /** Calls `handler` on Ctrl+C (readline catches it on a terminal; the process signal otherwise). */
  onInterrupt(handler: () => void): void {
    this.#rl.on("SIGINT", handler);
    if (!this.tty) {
      this.#signalHandler = handler;
      process.on("SIGINT", handler);
    }
  }

  /** Calls `handler` when input ends (Ctrl+D, or EOF of piped input). */
  onEnd(handler: () => void): void {
    this.#rl.on("close", handler);
  }

  /** Prints `text` above the prompt line and redraws the prompt with the user's unfinished input. */
  print(text: string): void {
    const out = this.#io.stdout;
    if (!this.tty || this.#closed) {
      out.write(`${text}\n`);
      return;
    }
    clearLine(out, 0);
    cursorTo(out, 0);
    out.write(`${text}\n`);
    this.#rl.prompt(true);
  }

  /** Changes the prompt (e.g. to an approval question) and shows it, keeping typed input. */
  setPrompt(prompt: string): void {
    this.#rl.setPrompt(prompt);
    // Off a terminal nobody types at a prompt; printing it would only litter the transcript.
    if (this.#closed || !this.tty) return;
    clearLine(this.#io.stdout, 0);
    cursorTo(this.#io.stdout, 0);
    this.#rl.prompt(true);
  }

  /** Discards what the user has typed so far. */
  clearInput(): void {
    if (this.#closed || !this.tty) return;
    this.#rl.write(null, { ctrl: true, name: "e" });
    this.#rl.write(null, { ctrl: true, name: "u" });
  }

  /** Stops reading input. */
  close(): void {
    if (this.#signalHandler) process.removeListener("SIGINT", this.#signalHandler);
    if (this.tty && !this.#closed) this.#io.stdout.write("\n");
    this.#rl.close();
  }
}
