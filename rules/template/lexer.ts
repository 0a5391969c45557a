/**
 * Lexer for the Go `text/template` subset: splits a template into text and the tokens inside
 * `{{ … }}` actions, following Go's lexer (trim markers `{{- ` / ` -}}`, comments,
 * newlines allowed inside actions, `)`/`(` balance checked per action).
 */
import { TemplateSyntaxError } from "./errors.ts";

export type TokenType =
  | "text"
  | "leftDelim"
  | "rightDelim"
  | "space"
  | "identifier"
  | "keyword"
  | "dot"
  | "field"
  | "variable"
  | "string"
  | "rawString"
  | "char"
  | "number"
  | "bool"
  | "nil"
  | "pipe"
  | "leftParen"
  | "rightParen"
  | "declare"
  | "assign"
  | "comma"
  | "eof";

export interface Token {
  type: TokenType;
  /** The token's source text (for `text`, after trimming). */
  value: string;
  /** Offset in the source, for positions in error messages. */
  pos: number;
}

const KEYWORDS = new Set(["if", "else", "end", "range", "with", "break", "continue", "define", "template", "block"]);
/** The characters Go's trim markers remove. */
const SPACE = " \t\r\n";
const isSpace = (c: string | undefined): boolean => c !== undefined && SPACE.includes(c);
const isAlphaNumeric = (c: string | undefined): boolean => c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);

/** Splits `src` into tokens; throws TemplateSyntaxError with the offending position. */
export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let trimNextText = false;
  while (pos <= src.length) {
    const open = src.indexOf("{{", pos);
    const end = open < 0 ? src.length : open;
    let text = src.slice(pos, end);
    const leftTrim = open >= 0 && src[open + 2] === "-" && isSpace(src[open + 3]);
    if (trimNextText) text = trimStart(text);
    if (leftTrim) text = trimEnd(text);
    if (text.length > 0) tokens.push({ type: "text", value: text, pos });
    if (open < 0) break;
    const action = lexAction(src, open, leftTrim, tokens);
    pos = action.next;
    trimNextText = action.rightTrim;
  }
  tokens.push({ type: "eof", value: "", pos: src.length });
  return tokens;
}

function trimStart(s: string): string {
  let i = 0;
  while (isSpace(s[i])) i++;
  return s.slice(i);
}

function trimEnd(s: string): string {
  let i = s.length;
  while (i > 0 && isSpace(s[i - 1])) i--;
  return s.slice(0, i);
}

/** Lexes one action starting at `open` (the `{{`); returns where the text resumes. */
function lexAction(src: string, open: number, leftTrim: boolean, out: Token[]): { next: number; rightTrim: boolean } {
  let pos = open + 2 + (leftTrim ? 2 : 0);
  const fail = (msg: string, at = pos): never => {
    throw new TemplateSyntaxError(msg, src, at);
  };
  // A comment must follow the delimiter (and trim marker) directly and end right before `}}`.
  if (src.startsWith("/*", pos)) {
    const close = src.indexOf("*/", pos + 2);
    if (close < 0) fail("unclosed comment", open);
    let after = close + 2;
    let rightTrim = false;
    if (isSpace(src[after]) && src[after + 1] === "-" && src.startsWith("}}", after + 2)) {
      rightTrim = true;
      after += 2;
    }
    if (!src.startsWith("}}", after)) fail("comment ends before closing delimiter", after);
    return { next: after + 2, rightTrim };
  }
  out.push({ type: "leftDelim", value: "{{", pos: open });
  let parenDepth = 0;
  for (;;) {
    const c = src[pos];
    if (c === undefined) return fail("unclosed action", open);
    if (isSpace(c) && src[pos + 1] === "-" && src.startsWith("}}", pos + 2)) {
      if (parenDepth > 0) fail("unclosed left paren", pos);
      out.push({ type: "rightDelim", value: "}}", pos: pos + 2 });
      return { next: pos + 4, rightTrim: true };
    }
    if (src.startsWith("}}", pos)) {
      if (parenDepth > 0) fail("unclosed left paren", pos);
      out.push({ type: "rightDelim", value: "}}", pos });
      return { next: pos + 2, rightTrim: false };
    }
    const start = pos;
    const push = (type: TokenType, value: string): void => {
      out.push({ type, value, pos: start });
    };
    if (isSpace(c)) {
      while (isSpace(src[pos]) && !(src[pos + 1] === "-" && src.startsWith("}}", pos + 2))) pos++;
      if (pos === start) pos++;
      push("space", src.slice(start, pos));
    } else if (c === ":") {
      if (src[pos + 1] !== "=") fail("expected :=");
      pos += 2;
      push("declare", ":=");
    } else if (c === "=") {
      pos++;
      push("assign", "=");
    } else if (c === ",") {
      pos++;
      push("comma", ",");
    } else if (c === "|") {
      pos++;
      push("pipe", "|");
    } else if (c === "(") {
      pos++;
      parenDepth++;
      push("leftParen", "(");
    } else if (c === ")") {
      if (parenDepth === 0) fail("unexpected right paren");
      pos++;
      parenDepth--;
      push("rightParen", ")");
    } else if (c === '"') {
      pos = scanQuoted(src, pos, '"', "unterminated quoted string", fail);
      push("string", src.slice(start, pos));
    } else if (c === "'") {
      pos = scanQuoted(src, pos, "'", "unterminated character constant", fail);
      push("char", src.slice(start, pos));
    } else if (c === "`") {
      const close = src.indexOf("`", pos + 1);
      if (close < 0) fail("unterminated raw quoted string");
      pos = close + 1;
      push("rawString", src.slice(start, pos));
    } else if (c === "$") {
      pos++;
      while (isAlphaNumeric(src[pos])) pos++;
      push("variable", src.slice(start, pos));
      checkTerminator(src, pos, fail);
    } else if (c === ".") {
      const n = src[pos + 1];
      if (n !== undefined && n >= "0" && n <= "9") {
        pos = scanNumber(src, pos, fail);
        push("number", src.slice(start, pos));
      } else {
        pos++;
        while (isAlphaNumeric(src[pos])) pos++;
        push(pos - start === 1 ? "dot" : "field", src.slice(start, pos));
        checkTerminator(src, pos, fail);
      }
    } else if (c === "+" || c === "-" || (c >= "0" && c <= "9")) {
      pos = scanNumber(src, pos, fail);
      push("number", src.slice(start, pos));
    } else if (isAlphaNumeric(c)) {
      while (isAlphaNumeric(src[pos])) pos++;
      const word = src.slice(start, pos);
      if (KEYWORDS.has(word)) push("keyword", word);
      else if (word === "true" || word === "false") push("bool", word);
      else if (word === "nil") push("nil", word);
      else push("identifier", word);
      checkTerminator(src, pos, fail);
    } else {
      const cp = String.fromCodePoint(src.codePointAt(pos) ?? 0);
      fail(`unrecognized character in action: ${describeChar(cp)}`);
    }
  }
}

/** Go requires a word to end at a space, `.`, `,`, `|`, `:`, a paren or the closing delimiter. */
function checkTerminator(src: string, pos: number, fail: (msg: string, at?: number) => never): void {
  const c = src[pos];
  if (c === undefined || isSpace(c) || ".,|:()".includes(c as string) || src.startsWith("}}", pos)) return;
  fail(`bad character ${describeChar(String.fromCodePoint(src.codePointAt(pos) ?? 0))}`);
}

/** Go's `%#U` rendering of a character: `U+002F '/'`. */
function describeChar(c: string): string {
  const code = c.codePointAt(0) ?? 0;
  return `U+${code.toString(16).toUpperCase().padStart(4, "0")} '${c}'`;
}

function scanQuoted(src: string, pos: number, quote: string, unterminated: string, fail: (msg: string, at?: number) => never): number {
  let i = pos + 1;
  for (;;) {
    const c = src[i];
    if (c === undefined || c === "\n") fail(unterminated, pos);
    if (c === "\\") {
      if (src[i + 1] === undefined || src[i + 1] === "\n") fail(unterminated, pos);
      i += 2;
      continue;
    }
    i++;
    if (c === quote) return i;
  }
}

/** Go's number syntax: sign, 0x/0o/0b prefixes, `_` separators, fraction, exponent. */
function scanNumber(src: string, pos: number, fail: (msg: string, at?: number) => never): number {
  const m =
    /^[+-]?(0[xX][0-9a-fA-F_]*(\.[0-9a-fA-F_]*)?([pP][+-]?[0-9_]+)?|0[oO][0-7_]+|0[bB][01_]+|[0-9_]*(\.[0-9_]*)?([eE][+-]?[0-9_]+)?)i?/.exec(
      src.slice(pos),
    );
  const len = m?.[0].length ?? 0;
  if (isAlphaNumeric(src[pos + len]) || src[pos + len] === "." || !/[0-9]/.test(m?.[0] ?? "")) {
    let end = pos + len;
    while (isAlphaNumeric(src[end]) || src[end] === ".") end++;
    fail(`bad number syntax: ${JSON.stringify(src.slice(pos, Math.max(end, pos + 1)))}`, pos);
  }
  return pos + len;
}
