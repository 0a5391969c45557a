// Parsing of the `[[scenario:NAME key=value key2="value with spaces" key3='{"json":1}']]`
// directive that a prompt uses to pick a scripted behaviour.

/** A parsed scenario directive: its name, its arguments, and the exact source text. */
export type Directive = { name: string; args: Record<string, string>; raw: string };

/** Thrown when a prompt contains `[[scenario:` but the rest cannot be parsed. */
export class DirectiveError extends Error {}

const OPEN = "[[scenario:";
const CLOSE = "]]";
const WORD = /[A-Za-z0-9_.-]/;

/** Finds and parses the first directive in `text`; undefined when there is none. */
export function parseDirective(text: string): Directive | undefined {
  const start = text.indexOf(OPEN);
  if (start < 0) return undefined;
  let i = start + OPEN.length;

  const readWord = (): string => {
    const from = i;
    while (i < text.length && WORD.test(text[i]!)) i++;
    return text.slice(from, i);
  };
  const skipSpace = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };

  const name = readWord();
  if (!name) throw new DirectiveError("directive has no scenario name: expected [[scenario:NAME ...]]");
  const args: Record<string, string> = {};
  for (;;) {
    skipSpace();
    if (i >= text.length) throw new DirectiveError(`directive [[scenario:${name} ...]] is missing its closing ]]`);
    if (text.startsWith(CLOSE, i)) {
      i += CLOSE.length;
      return { name, args, raw: text.slice(start, i) };
    }
    const key = readWord();
    if (!key) throw new DirectiveError(`unexpected character ${JSON.stringify(text[i])} in directive`);
    if (text[i] !== "=") {
      args[key] = "true"; // a bare key is a flag
      continue;
    }
    i++;
    args[key] = readValue();
  }

  function readValue(): string {
    const quote = text[i];
    if (quote === "'") {
      // Single quotes are literal, so JSON (full of double quotes and backslashes) needs no escaping.
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new DirectiveError("unterminated ' quote in directive");
      const value = text.slice(i + 1, end);
      i = end + 1;
      return value;
    }
    if (quote === '"') {
      let value = "";
      for (i++; i < text.length; i++) {
        const c = text[i]!;
        if (c === '"') {
          i++;
          return value;
        }
        if (c === "\\" && i + 1 < text.length) {
          const next = text[++i]!;
          value += next === "n" ? "\n" : next === "t" ? "\t" : next;
        } else {
          value += c;
        }
      }
      throw new DirectiveError('unterminated " quote in directive');
    }
    const from = i;
    while (i < text.length && !/\s/.test(text[i]!) && !text.startsWith(CLOSE, i)) i++;
    return text.slice(from, i);
  }
}

/** The text with its directive (if any) removed and surrounding whitespace trimmed. */
export function withoutDirective(text: string, directive: Directive | undefined): string {
  return (directive ? text.replace(directive.raw, " ") : text).replace(/\s+/g, " ").trim();
}
