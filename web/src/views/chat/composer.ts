/** The message box under the chat: Enter sends, Shift+Enter breaks the line, Stop interrupts the running turn. */
import { h } from "../../dom.ts";

export class Composer {
  readonly el: HTMLFormElement;
  readonly input: HTMLTextAreaElement;
  readonly #sendBtn: HTMLButtonElement;
  readonly #stopBtn: HTMLButtonElement;

  constructor(on: { send(text: string): boolean; interrupt(): void }) {
    this.input = h("textarea", {
      class: "composer-input",
      rows: 1,
      placeholder: "Message the agent…",
      title: "Enter sends, Shift+Enter starts a new line",
      "aria-label": "Message",
      "data-testid": "composer-input",
      onkeydown: (e: KeyboardEvent) => {
        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
          e.preventDefault();
          this.el.requestSubmit();
        }
      },
      oninput: () => this.autosize(),
    });
    this.#sendBtn = h("button", { class: "btn btn-primary", type: "submit", "data-testid": "send" }, "Send");
    this.#stopBtn = h(
      "button",
      { class: "btn btn-warn", type: "button", title: "Interrupt the agent", "data-testid": "interrupt", onclick: () => on.interrupt() },
      "■ Stop",
    );
    this.el = h(
      "form",
      {
        class: "composer",
        onsubmit: (e: SubmitEvent) => {
          e.preventDefault();
          const text = this.input.value.trim();
          if (!text || !on.send(text)) return;
          this.input.value = "";
          this.autosize();
        },
      },
      this.input,
      h("div", { class: "composer-actions" }, this.#stopBtn, this.#sendBtn),
    );
  }

  /** Disables the box once the session has ended; shows Stop while a turn runs. */
  update(ended: boolean, running: boolean): void {
    this.input.disabled = ended;
    this.#sendBtn.disabled = ended;
    this.input.placeholder = ended ? "This session has ended." : "Message the agent…";
    this.#stopBtn.hidden = ended || !running;
  }

  /** Appends text (e.g. an uploaded file's path) to the draft and focuses it. */
  append(text: string): void {
    this.input.value = `${this.input.value}${this.input.value && !this.input.value.endsWith(" ") ? " " : ""}${text}`;
    this.autosize();
    this.input.focus();
  }

  autosize(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${Math.min(this.input.scrollHeight, 220)}px`;
  }
}
