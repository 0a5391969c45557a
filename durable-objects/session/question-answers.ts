/**
 * Answers to an AskUserQuestion, keyed the way Claude Code reads them: by the question's text.
 * The product's client keys them by the question's short `header` (what it shows the user);
 * this platform's clients key them by the text. Either is mapped here, so both work.
 */
import type { Question } from "../../schemas/events.ts";

/** `answers` re-keyed by question text; a key matching neither a header nor a text is kept as sent. */
export function answersByQuestionText(questions: readonly Question[], answers: Record<string, string>): Record<string, string> {
  const texts = new Set(questions.map((q) => q.question));
  const byHeader = new Map(questions.map((q) => [q.header, q.question]));
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(answers)) {
    // The text wins when a header happens to equal another question's text.
    const text = texts.has(key) ? key : (byHeader.get(key) ?? key);
    out[text] = value;
  }
  return out;
}

/** The questions of an AskUserQuestion input, or none when the input does not have the expected shape. */
export function questionsOf(input: Record<string, unknown>): Question[] {
  const questions = input["questions"];
  if (!Array.isArray(questions)) return [];
  return questions.filter(
    (q): q is Question => typeof q === "object" && q !== null && typeof q.question === "string" && typeof q.header === "string",
  );
}
