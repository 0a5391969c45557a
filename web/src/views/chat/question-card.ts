/** An `ask_user_question` as a form: options (single or multiple choice) or a free answer per question, sent together. */
import type { Question } from "../../../../schemas/events.ts";
import type { Item } from "../../chat-model.ts";
import { h } from "../../dom.ts";
import type { ChatContext } from "./context.ts";

export function renderQuestion(ctx: ChatContext, item: Extract<Item, { kind: "question" }>): HTMLElement {
  const { question_id, questions } = item.payload;
  const draft = ctx.drafts.get(question_id) ?? {};
  ctx.drafts.set(question_id, draft);
  const pending = item.state === "pending" && !ctx.ended;
  const submit = h("button", { class: "btn btn-primary btn-sm", type: "submit", "data-testid": "answer-submit" }, "Send answer");
  const refresh = () => (submit.disabled = !questions.every((q) => (draft[q.question] ?? "").trim() !== ""));
  const renderOne = (q: Question, index: number) => {
    const name = `q-${question_id}-${index}`;
    const chosen = new Set((draft[q.question] ?? "").split(", ").filter(Boolean));
    const other = h("input", {
      type: "text",
      class: "other-input",
      placeholder: "Other answer…",
      "aria-label": "Other answer",
      disabled: !pending,
      oninput: (e: Event) => {
        const v = (e.target as HTMLInputElement).value;
        for (const input of Array.from(fieldset.querySelectorAll<HTMLInputElement>(`input[name="${name}"]`))) if (v) input.checked = false;
        draft[q.question] = v;
        refresh();
      },
    });
    const fieldset = h(
      "fieldset",
      { class: "question" },
      h("legend", null, q.header ? h("span", { class: "chip" }, q.header) : null, " ", q.question),
      ...q.options.map((o) =>
        h(
          "label",
          { class: "option" },
          h("input", {
            type: q.multiSelect ? "checkbox" : "radio",
            name,
            value: o.label,
            checked: chosen.has(o.label),
            disabled: !pending,
            "data-testid": "question-option",
            onchange: () => {
              const picked = Array.from(fieldset.querySelectorAll<HTMLInputElement>(`input[name="${name}"]:checked`)).map((i) => i.value);
              draft[q.question] = picked.join(", ");
              other.value = "";
              refresh();
            },
          }),
          h(
            "span",
            { class: "option-text" },
            h("strong", null, o.label),
            o.description ? h("span", { class: "muted small" }, o.description) : null,
          ),
        ),
      ),
      pending ? other : null,
    );
    return fieldset;
  };
  const answered = item.answers ?? null;
  const form = h(
    "form",
    {
      class: `request-card question-card ${pending ? "pending" : "settled"}`,
      "data-testid": "question-card",
      "data-state": item.state,
      onsubmit: (e: SubmitEvent) => {
        e.preventDefault();
        const answers: Record<string, string> = {};
        for (const q of questions) answers[q.question] = (draft[q.question] ?? "").trim();
        if (Object.values(answers).some((a) => !a)) return;
        ctx.act((socket) => socket.answer(question_id, answers));
        ctx.local.questions.set(question_id, answers);
        ctx.rerender();
      },
    },
    h(
      "div",
      { class: "request-head" },
      h("span", { class: "request-icon", "aria-hidden": "true" }, "?"),
      h("strong", null, questions.length === 1 ? "The agent asks" : `The agent asks ${questions.length} questions`),
      !pending ? h("span", { class: "muted small" }, "Answered") : null,
    ),
    pending
      ? questions.map(renderOne)
      : questions.map((q) =>
          h(
            "div",
            { class: "question answered" },
            h("div", null, q.question),
            answered?.[q.question] ? h("div", { class: "answer" }, "→ ", answered[q.question]!) : null,
          ),
        ),
    pending ? h("div", { class: "request-actions" }, submit) : null,
  );
  refresh();
  return form;
}
