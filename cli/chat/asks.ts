/** What the agent asks of the user (tool approvals, questions) and how typed answers are read. */
import type { Question, ToolApprovalRequestPayload } from "../../sdk/index.ts";
import { describeToolCall } from "./describe-tool.ts";

/** A decision on a tool call. */
export type ApprovalChoice = { approved: true; scope: "once" | "session" } | { approved: false };

/**
 * The prompt shown for an approval. `[s]ession` is offered only with the exact patterns the
 * server will grant (`session_patterns`), and not at all when there are none.
 */
export function approvalPrompt(request: ToolApprovalRequestPayload): string {
  const patterns = request.session_patterns ?? [];
  const session = patterns.length > 0 ? ` / [s]ession: allow ${patterns.join(", ")}` : "";
  return `Allow ${describeToolCall(request.tool_name, request.tool_input)}? [y]es / [n]o${session} `;
}

/** Reads `y`/`yes`, `n`/`no`, `s`/`session` (only when `request` offers session patterns); null for anything else. */
export function parseApproval(line: string, request: ToolApprovalRequestPayload): ApprovalChoice | null {
  const word = line.trim().toLowerCase();
  if (word === "y" || word === "yes") return { approved: true, scope: "once" };
  if ((word === "s" || word === "session") && (request.session_patterns ?? []).length > 0) return { approved: true, scope: "session" };
  if (word === "n" || word === "no") return { approved: false };
  return null;
}

/** The lines that present one question with its numbered options. */
export function questionLines(question: Question): string[] {
  const head = question.header ? `${question.header}: ${question.question}` : question.question;
  return [
    `? ${head}`,
    ...question.options.map((option, i) => `  ${i + 1}) ${option.label}${option.description ? ` — ${option.description}` : ""}`),
  ];
}

/** The prompt under a question. */
export function questionPrompt(question: Question): string {
  const n = question.options.length;
  if (n === 0) return "Answer: ";
  return question.multiSelect ? `Choose [1-${n}, comma-separated, or type an answer]: ` : `Choose [1-${n}, or type an answer]: `;
}

/**
 * Reads an answer: option numbers become their labels (several, comma-separated, when the
 * question allows it); other text is taken as a free-form answer. Null for an empty line or a
 * number out of range.
 */
export function parseQuestionAnswer(line: string, question: Question): string | null {
  const text = line.trim();
  if (text === "") return null;
  const numbers = text.split(/\s*,\s*/);
  if (numbers.every((part) => /^\d+$/.test(part))) {
    if (numbers.length > 1 && !question.multiSelect) return null;
    const labels = numbers.map((part) => question.options[Number(part) - 1]?.label);
    if (labels.some((label) => label === undefined)) return null;
    return labels.join(", ");
  }
  return text;
}
