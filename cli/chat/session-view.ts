/**
 * Watching a session in the terminal: read-only (events printed as they come) or interactive
 * (prompts typed at the bottom line, tool approvals and questions answered there, Ctrl+C to
 * interrupt). `chat` and `session attach` both run it.
 */
import { isAiSessionsError, type SessionSocket, type ServerEnvelope, type UnknownFrame } from "../../sdk/index.ts";
import type { CommandContext } from "../context.ts";
import { PROGRAM } from "../help.ts";
import { EXIT } from "../output.ts";
import { approvalPrompt, parseApproval, parseQuestionAnswer, questionLines, questionPrompt } from "./asks.ts";
import { askFor, unansweredAsks, type Ask } from "./pending-asks.ts";
import { blocksText, renderEvent } from "./render.ts";
import { Terminal } from "./terminal.ts";

/** How to watch. */
export interface SessionViewOptions {
  sessionId: string;
  /** Read-write: prompts, approvals, questions, interrupts. */
  interactive: boolean;
  /** Print every frame as one JSON line instead of rendering it (read-only mode). */
  jsonLines?: boolean;
  /** Resume after this seq instead of starting with the `history` frame. */
  afterSeq?: number;
  /** Sent as soon as the socket opens. */
  initialPrompt?: string;
}

/** A second Ctrl+C within this window exits. */
const DOUBLE_CTRL_C_MS = 2_000;
const HELP =
  "Type a message and press Enter (sent, or queued while the agent works). Ctrl+C interrupts the turn, twice exits. /interrupt, /terminate (end the session), /exit.";

/** Runs the view until the session ends or the user leaves; resolves the exit code. */
export function runSessionView(ctx: CommandContext, options: SessionViewOptions): Promise<number> {
  return new SessionView(ctx, options).done;
}

class SessionView {
  readonly done: Promise<number>;
  readonly #ctx: CommandContext;
  readonly #options: SessionViewOptions;
  readonly #terminal: Terminal | null;
  readonly #socket: SessionSocket;
  #asks: Ask[] = [];
  #sentPrompts: string[] = [];
  #agentWorking = false;
  #outstanding = 0;
  #lastCtrlC = 0;
  #ended = false;
  #inputEnded = false;
  #exiting = false;
  #resolve!: (code: number) => void;
  readonly #onSignal = () => this.#exit(EXIT.ok);

  constructor(ctx: CommandContext, options: SessionViewOptions) {
    this.#ctx = ctx;
    this.#options = options;
    this.done = new Promise((resolve) => (this.#resolve = resolve));
    this.#terminal = options.interactive ? new Terminal(ctx.io) : null;
    this.#socket = ctx.client.connect(options.sessionId, {
      ...(options.afterSeq === undefined ? {} : { afterSeq: options.afterSeq }),
      handlers: {
        any: (frame, context) => this.#show(frame, context.replayed),
        history: (payload) => {
          // Runs before the replayed events are dispatched; ask once they have been printed.
          if (this.#terminal) queueMicrotask(() => this.#enqueue(unansweredAsks(payload.messages)));
        },
        tool_approval_request: (payload, context) => {
          if (this.#terminal && !context.replayed) this.#enqueue([askFor({ type: "tool_approval_request", payload })]);
        },
        ask_user_question: (payload, context) => {
          if (this.#terminal && !context.replayed) this.#enqueue([askFor({ type: "ask_user_question", payload })]);
        },
        session_status: (payload, context) => {
          this.#agentWorking = payload.ui_state === "Running";
          if (payload.status === "ended") this.#ended = true;
          if (!context.replayed && !payload.needs_attention && this.#asks.length > 0) {
            this.#asks = [];
            this.#print(ctx.style.dim("(the pending request was settled elsewhere)"));
          }
          this.#refreshPrompt();
          this.#maybeDrain();
        },
        result: (_payload, context) => {
          if (context.replayed) return;
          this.#outstanding = Math.max(0, this.#outstanding - 1);
          this.#maybeDrain();
        },
        session_end: () => {
          this.#ended = true;
        },
        open: ({ reconnected }) => {
          if (reconnected) this.#print(ctx.style.dim("(reconnected)"));
        },
        close: (info) => {
          if (info.willReconnect) return this.#print(ctx.style.dim(`(connection lost: ${info.code}; reconnecting…)`));
          if (info.error && !this.#ended) {
            this.#print(ctx.style.red(`error: ${info.error.message}`));
            return this.#exit(EXIT.failure);
          }
          this.#exit(EXIT.ok);
        },
        invalidFrame: (error) => this.#print(ctx.style.red(`(ignored a frame: ${error.message})`)),
      },
    });
    if (this.#terminal) this.#wireTerminal(this.#terminal);
    else process.once("SIGINT", this.#onSignal);
    if (options.initialPrompt) this.#sendPrompt(options.initialPrompt);
  }

  #wireTerminal(terminal: Terminal): void {
    terminal.onLine((line) => this.#onLine(line));
    terminal.onInterrupt(() => this.#onCtrlC());
    terminal.onEnd(() => {
      // Ctrl+D on a terminal leaves now; piped input ends when its prompts have been answered.
      if (terminal.tty) return this.#exit(EXIT.ok);
      this.#inputEnded = true;
      this.#maybeDrain();
    });
    if (terminal.tty) this.#print(this.#ctx.style.dim(HELP));
    this.#refreshPrompt();
  }

  /** Prints one frame (or its JSON line). */
  #show(frame: ServerEnvelope | UnknownFrame, replayed: boolean): void {
    if (this.#options.jsonLines) {
      if (frame.type !== "history") this.#ctx.io.stdout.write(`${JSON.stringify(frame)}\n`);
      return;
    }
    const known = frame as ServerEnvelope;
    // Live requests are presented at the prompt instead; the user's own prompts are already on screen.
    if (this.#terminal && !replayed && (known.type === "tool_approval_request" || known.type === "ask_user_question")) return;
    if (!replayed && known.type === "user" && this.#terminal?.tty && this.#sentPrompts[0] === blocksText(known.payload.content)) {
      this.#sentPrompts.shift();
      return;
    }
    const line = renderEvent(known, this.#ctx.style);
    if (line !== null) this.#print(line);
  }

  #print(text: string): void {
    if (this.#options.jsonLines) return;
    if (this.#terminal) this.#terminal.print(text);
    else this.#ctx.io.stdout.write(`${text}\n`);
  }

  #onLine(line: string): void {
    const ask = this.#asks[0];
    if (ask?.kind === "approval") return this.#answerApproval(ask, line);
    if (ask?.kind === "question") return this.#answerQuestion(ask, line);
    const text = line.trim();
    if (text === "") return this.#refreshPrompt();
    if (text === "/exit" || text === "/quit") return this.#exit(EXIT.ok);
    if (text === "/help") return this.#print(HELP);
    if (text === "/interrupt") return this.#interrupt();
    if (text === "/terminate") return void this.#terminate();
    this.#sendPrompt(text);
  }

  #sendPrompt(text: string): void {
    try {
      this.#socket.prompt(text);
    } catch (error) {
      return this.#print(this.#ctx.style.red(`error: ${error instanceof Error ? error.message : String(error)}`));
    }
    this.#sentPrompts.push(text.trim());
    this.#outstanding++;
    this.#refreshPrompt();
  }

  #answerApproval(ask: Extract<Ask, { kind: "approval" }>, line: string): void {
    const choice = parseApproval(line, ask.request);
    if (!choice) {
      this.#print(
        `Please answer y (yes, once), n (no)${(ask.request.session_patterns ?? []).length > 0 ? " or s (allow the patterns shown for the rest of the session)" : ""}.`,
      );
      return this.#presentAsk();
    }
    const id = ask.request.tool_use_id;
    this.#guard(() => (choice.approved ? this.#socket.approve(id, { scope: choice.scope }) : this.#socket.deny(id)));
    this.#print(
      this.#ctx.style.dim(choice.approved ? (choice.scope === "session" ? "→ allowed for this session" : "→ allowed") : "→ denied"),
    );
    this.#asks.shift();
    this.#presentAsk();
  }

  #answerQuestion(ask: Extract<Ask, { kind: "question" }>, line: string): void {
    const question = ask.request.questions[ask.index];
    const answer = question ? parseQuestionAnswer(line, question) : line.trim();
    if (answer === null || !question) {
      this.#print("Type an option number or an answer.");
      return this.#presentAsk();
    }
    ask.answers[question.question] = answer;
    ask.index++;
    if (ask.index < ask.request.questions.length) return this.#presentAsk();
    this.#guard(() => this.#socket.answer(ask.request.question_id, ask.answers));
    this.#asks.shift();
    this.#presentAsk();
  }

  #enqueue(asks: Ask[]): void {
    if (asks.length === 0) return;
    const idle = this.#asks.length === 0;
    this.#asks.push(...asks);
    if (idle) this.#presentAsk();
    this.#maybeDrain();
  }

  /** Shows the first pending ask at the prompt, or the normal prompt when none is left. */
  #presentAsk(): void {
    const ask = this.#asks[0];
    if (!this.#terminal || !ask) return this.#refreshPrompt();
    const style = this.#ctx.style;
    if (ask.kind === "approval") return this.#terminal.setPrompt(style.yellow(approvalPrompt(ask.request)));
    const question = ask.request.questions[ask.index];
    if (!question) return;
    for (const line of questionLines(question)) this.#print(style.yellow(line));
    this.#terminal.setPrompt(style.yellow(questionPrompt(question)));
  }

  #refreshPrompt(): void {
    if (!this.#terminal || this.#asks.length > 0 || this.#exiting || this.#ended) return;
    this.#terminal.setPrompt(this.#working() ? this.#ctx.style.dim("… ") : "> ");
  }

  #working(): boolean {
    return this.#agentWorking || this.#outstanding > 0 || this.#asks.length > 0;
  }

  #onCtrlC(): void {
    const now = Date.now();
    if (now - this.#lastCtrlC < DOUBLE_CTRL_C_MS) return this.#exit(EXIT.ok);
    this.#lastCtrlC = now;
    this.#terminal?.clearInput();
    if (this.#working()) this.#interrupt();
    else this.#print(this.#ctx.style.dim("(press Ctrl+C again to exit)"));
  }

  #interrupt(): void {
    this.#guard(() => this.#socket.interrupt());
    this.#print(this.#ctx.style.yellow("Interrupting the turn… (Ctrl+C again to exit)"));
  }

  async #terminate(): Promise<void> {
    try {
      await this.#ctx.client.sessions.terminate(this.#options.sessionId);
    } catch (error) {
      this.#print(this.#ctx.style.red(`error: ${isAiSessionsError(error) ? error.message : String(error)}`));
    }
  }

  /** Piped input: leave once it has ended and every prompt of it has been answered. */
  #maybeDrain(): void {
    if (!this.#inputEnded) return;
    const ask = this.#asks[0];
    if (ask) return this.#leaveUnanswered(ask);
    if (!this.#working()) this.#exit(EXIT.ok);
  }

  /** Piped input has ended and the agent waits on an answer nobody can type: say what it asks, and leave. */
  #leaveUnanswered(ask: Ask): void {
    const style = this.#ctx.style;
    const question = ask.kind === "question" ? ask.request.questions[ask.index] : undefined;
    const lines = ask.kind === "approval" ? [approvalPrompt(ask.request).trim()] : question ? questionLines(question) : [];
    for (const line of lines) this.#print(style.yellow(line));
    this.#print(style.red("The agent is waiting for this answer, and the input has ended: nothing here can answer it."));
    this.#exit(EXIT.failure);
  }

  /** Runs a socket call that fails only when the socket is closed (then the close handler reports it). */
  #guard(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#print(this.#ctx.style.red(`error: ${error instanceof Error ? error.message : String(error)}`));
    }
  }

  #exit(code: number): void {
    if (this.#exiting) return;
    this.#exiting = true;
    process.removeListener("SIGINT", this.#onSignal);
    this.#socket.close();
    this.#terminal?.close();
    if (!this.#ended && this.#options.interactive) {
      const id = this.#options.sessionId;
      this.#ctx.io.stdout.write(
        this.#ctx.style.dim(
          `Session ${id} is still running. Reattach: ${PROGRAM} session attach --id ${id} --interactive · end it: ${PROGRAM} sessions terminate ${id}\n`,
        ),
      );
    }
    this.#resolve(code);
  }
}
