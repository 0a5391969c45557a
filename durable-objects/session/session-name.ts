/**
 * A session created without a name is named after its first prompt, so lists show what each
 * session is about rather than "Session QQxBnoF4" (issue 14). Pure.
 */

/** Longest name taken from a prompt, in characters (a list row's width). */
export const NAME_FROM_PROMPT_CHARS = 60;

/** The name a first prompt gives: its first non-empty line, whitespace collapsed, cut at a word; null for an empty prompt. */
export function nameFromPrompt(text: string): string | null {
  const line = text
    .split("\n")
    .map((l) => l.replace(/\s+/g, " ").trim())
    .find((l) => l !== "");
  if (!line) return null;
  if (line.length <= NAME_FROM_PROMPT_CHARS) return line;
  const cut = line.slice(0, NAME_FROM_PROMPT_CHARS - 1);
  const atWord = cut.lastIndexOf(" ");
  return `${(atWord > NAME_FROM_PROMPT_CHARS / 2 ? cut.slice(0, atWord) : cut).trimEnd()}…`;
}
