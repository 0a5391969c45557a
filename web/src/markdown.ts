/**
 * A small, safe Markdown renderer for agent output.
 *
 * `parseMarkdown` turns text into a tree (pure, no DOM, unit-tested in Node); `renderMarkdown`
 * (markdown-dom.ts) builds DOM nodes from it with createElement/textContent only. Raw HTML in the input is never
 * interpreted: `<img src=x onerror=...>` shows up as those characters. Links keep only http(s)
 * and mailto targets; images are shown as links (no remote loads from agent output).
 *
 * Supported: paragraphs (single newlines are line breaks, as in chat), ATX headings, fenced
 * code, block quotes, ordered/unordered (nested) lists, GFM tables, horizontal rules, and
 * inline code, **strong**, *emphasis*, ~~strike~~, [links](https://…), <autolinks> and bare URLs.
 *
 * Agent output is untrusted and can be large, so the parse is linear in the text: no pattern
 * is searched for twice from the same place (see `InlineScan`), regular expressions are ones
 * that cannot backtrack, and nesting deeper than `MAX_NESTING` is shown as text. Text beyond
 * `MAX_MARKDOWN_CHARS` is not parsed at all: it is shown as plain text after a notice.
 */

/** Characters of one text parsed as Markdown; the rest is shown verbatim (agents can print megabytes). */
export const MAX_MARKDOWN_CHARS = 100_000;
/** Deepest nesting of quotes, lists and inline spans that is parsed; deeper content is shown as text. */
export const MAX_NESTING = 16;
/** Table columns shown; more would let a short text make a huge grid (columns × rows cells). */
export const MAX_TABLE_COLUMNS = 64;

/**
 * Steps the parser has taken since the page loaded: one per character or line it visits. Read
 * by the tests (and nothing else) to check that work grows linearly with the text, without timing anything.
 */
export const work = { steps: 0 };

export type Inline =
  | { type: "text"; text: string }
  | { type: "code"; text: string }
  | { type: "strong" | "em" | "del"; children: Inline[] }
  | { type: "link"; href: string; children: Inline[] }
  | { type: "br" };

export type Align = "left" | "center" | "right" | null;

export type Block =
  | { type: "paragraph"; children: Inline[] }
  | { type: "heading"; level: number; children: Inline[] }
  | { type: "code"; lang: string; text: string }
  | { type: "blockquote"; children: Block[] }
  | { type: "list"; ordered: boolean; start: number; items: Block[][] }
  | { type: "table"; align: Align[]; header: Inline[][]; rows: Inline[][][] }
  | { type: "hr" };

// The info string is matched by `(.*)` and checked for backticks in code: `[^`]*$` after
// `([^`\s]*)` backtracks quadratically on a long line ending in a backtick.
const FENCE_START = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)(.*)$/;
const HEADING_START = /^ {0,3}(#{1,6})(?=[ \t]|$)/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$/;
const TABLE_SEP = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

/** True when a URL may be a link target. */
export function isSafeHref(href: string): boolean {
  return /^(https?:\/\/|mailto:)/i.test(href.trim());
}

/** Parses Markdown text into blocks; beyond `MAX_MARKDOWN_CHARS`, a notice and the rest verbatim. */
export function parseMarkdown(text: string): Block[] {
  const parsed = text.length > MAX_MARKDOWN_CHARS ? text.slice(0, MAX_MARKDOWN_CHARS) : text;
  const blocks = parseBlocks(parsed.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n"), 0);
  if (parsed === text) return blocks;
  const rest = text.slice(MAX_MARKDOWN_CHARS);
  return [
    ...blocks,
    { type: "paragraph", children: [{ type: "text", text: `(${rest.length.toLocaleString("en")} more characters, shown without formatting)` }] },
    { type: "code", lang: "", text: rest },
  ];
}

/** A fence opening line: its marker and info string, or null. */
function fenceStart(line: string): { marker: string; lang: string } | null {
  const m = FENCE_START.exec(line);
  if (!m || m[3]!.includes("`")) return null;
  return { marker: m[1]!, lang: m[2] ?? "" };
}

/** An ATX heading line: its level and text (closing `#`s removed), or null. */
function headingOf(line: string): { level: number; text: string } | null {
  const m = HEADING_START.exec(line);
  if (!m) return null;
  let text = line.slice(m[0].length).trim();
  let end = text.length;
  while (end > 0 && text[end - 1] === "#") end--;
  if (end < text.length && (end === 0 || text[end - 1] === " ")) text = text.slice(0, end).trimEnd();
  return { level: m[1]!.length, text };
}

function startsBlock(line: string): boolean {
  return fenceStart(line) !== null || HEADING_START.test(line) || HR.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
}

function splitRow(line: string): string[] {
  let s = line.trim();
  if (s.startsWith("|")) s = s.slice(1);
  if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
  const cells: string[] = [];
  let cur = "";
  let inCode = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && s[i + 1] === "|") {
      cur += "|";
      i++;
    } else if (c === "`") {
      inCode = !inCode;
      cur += c;
    } else if (c === "|" && !inCode) {
      cells.push(cur.trim());
      cur = "";
    } else cur += c;
  }
  cells.push(cur.trim());
  return cells;
}

function parseBlocks(lines: string[], depth: number): Block[] {
  // Quotes in quotes in quotes...: each level copies its lines, so the depth is bounded.
  if (depth > MAX_NESTING) return [{ type: "paragraph", children: [{ type: "text", text: lines.join("\n").trim() }] }];
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    work.steps++;
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
      continue;
    }

    const fence = fenceStart(line);
    if (fence) {
      const marker = fence.marker;
      const indent = line.length - line.trimStart().length;
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        work.steps++;
        const l = lines[i]!;
        const trimmed = l.trim();
        if (trimmed.startsWith(marker[0]!.repeat(marker.length)) && /^(`+|~+)$/.test(trimmed)) {
          i++;
          break;
        }
        body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
        i++;
      }
      blocks.push({ type: "code", lang: fence.lang, text: body.join("\n") });
      continue;
    }

    const heading = headingOf(line);
    if (heading) {
      blocks.push({ type: "heading", level: heading.level, children: parseInline(heading.text) });
      i++;
      continue;
    }

    if (HR.test(line)) {
      blocks.push({ type: "hr" });
      i++;
      continue;
    }

    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i]!)) inner.push(lines[i++]!.replace(QUOTE, ""));
      blocks.push({ type: "blockquote", children: parseBlocks(inner, depth + 1) });
      continue;
    }

    if (line.includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]!) && lines[i + 1]!.includes("-")) {
      const header = splitRow(line).slice(0, MAX_TABLE_COLUMNS);
      const align: Align[] = splitRow(lines[i + 1]!).map((c) => (c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : c.startsWith(":") ? "left" : null));
      i += 2;
      const rows: Inline[][][] = [];
      while (i < lines.length && lines[i]!.trim() !== "" && lines[i]!.includes("|")) {
        const cells = splitRow(lines[i]!);
        rows.push(header.map((_, c) => parseInline(cells[c] ?? "")));
        i++;
      }
      blocks.push({ type: "table", align: header.map((_, c) => align[c] ?? null), header: header.map((c) => parseInline(c)), rows });
      continue;
    }

    const item = LIST_ITEM.exec(line);
    if (item) {
      const ordered = /\d/.test(item[2]!);
      const start = ordered ? parseInt(item[2]!, 10) : 1;
      const items: Block[][] = [];
      while (i < lines.length) {
        const m = LIST_ITEM.exec(lines[i]!);
        if (!m || /\d/.test(m[2]!) !== ordered) break;
        const contentIndent = m[1]!.length + m[2]!.length + Math.max(1, Math.min(m[3]!.length, 4));
        const body: string[] = [m[4] ?? ""];
        i++;
        let lastBlank = false;
        while (i < lines.length) {
          work.steps++;
          const l = lines[i]!;
          if (l.trim() === "") {
            body.push("");
            lastBlank = true;
            i++;
            continue;
          }
          const indent = l.length - l.trimStart().length;
          if (indent >= Math.min(contentIndent, 2 + m[1]!.length)) {
            body.push(l.slice(Math.min(indent, contentIndent)));
          } else if (!lastBlank && !startsBlock(l)) {
            body.push(l.trim()); // lazy continuation of the item's paragraph
          } else break;
          lastBlank = false;
          i++;
        }
        while (body.length && body[body.length - 1] === "") body.pop();
        items.push(parseBlocks(body, depth + 1));
        // A blank line between items keeps the list going; anything else ends it.
      }
      blocks.push({ type: "list", ordered, start, items });
      continue;
    }

    const para: string[] = [];
    while (i < lines.length) {
      work.steps++;
      const l = lines[i]!;
      if (l.trim() === "") break;
      if (para.length && (startsBlock(l) || (l.includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]!)))) break;
      para.push(l.trim());
      i++;
    }
    blocks.push({ type: "paragraph", children: parseInline(para.join("\n")) });
  }
  return blocks;
}

const PUNCT = /[!-/:-@[-`{-~]/;
/** A bare URL, tried only where one can start (sticky: matched at `lastIndex`, never searched for). */
const BARE_URL = /https?:\/\/[^\s<>"]*[^\s<>".,:;!?'")\]]/y;
const AUTOLINK = /<((?:https?:\/\/|mailto:)[^\s<>]+)>/iy;
const LINK_TARGET = /\(\s*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+"[^"\n]*")?\s*\)/y;

/**
 * What one string's inline parse knows about it, computed once in a single pass so that no
 * delimiter ever rescans the text: where each `[` closes, where backtick runs of each length
 * start, and from where a search for each emphasis closer is known to fail.
 */
interface InlineScan {
  s: string;
  depth: number;
  /** For each `[`, the index of its matching `]` (-1: none). */
  bracketClose: Map<number, number>;
  /** Start indexes of maximal backtick runs, by run length, ascending. */
  backtickRuns: Map<number, number[]>;
  /** Per closing delimiter, the lowest start from which a search already failed. */
  failedFrom: Map<string, number>;
}

function scanString(s: string, depth: number): InlineScan {
  const bracketClose = new Map<number, number>();
  const backtickRuns = new Map<number, number[]>();
  const open: number[] = [];
  for (let j = 0; j < s.length; j++) {
    work.steps++;
    const c = s[j]!;
    if (c === "\\") {
      j++;
    } else if (c === "[") {
      open.push(j);
    } else if (c === "]" && open.length) {
      bracketClose.set(open.pop()!, j);
    } else if (c === "`") {
      let end = j;
      while (s[end + 1] === "`") end++;
      const runs = backtickRuns.get(end - j + 1) ?? [];
      runs.push(j);
      backtickRuns.set(end - j + 1, runs);
      work.steps += end - j;
      j = end;
    }
  }
  return { s, depth, bracketClose, backtickRuns, failedFrom: new Map() };
}

/** Length of the backtick run starting at `at`. */
function runLength(s: string, at: number): number {
  let end = at;
  while (s[end] === "`") end++;
  return end - at;
}

/** Where the code span opened by the `length` backticks at `at` closes: the next run of exactly that length (-1: none). */
function codeSpanClose(scan: InlineScan, at: number, length: number): number {
  const runs = scan.backtickRuns.get(length);
  if (!runs) return -1;
  // Binary search for the first run starting after the opener.
  let lo = 0;
  let hi = runs.length;
  while (lo < hi) {
    work.steps++;
    const mid = (lo + hi) >> 1;
    if (runs[mid]! > at) hi = mid;
    else lo = mid + 1;
  }
  return lo < runs.length ? runs[lo]! : -1;
}

/** Finds the closing delimiter `delim` at or after `from`, skipping code spans and escapes. */
function findClose(scan: InlineScan, from: number, delim: string): number {
  const { s } = scan;
  // A search that failed from an earlier start fails from here too: the text after it was
  // already seen to hold no closer, so it is not scanned again (this is what keeps the parse linear).
  const failed = scan.failedFrom.get(delim);
  if (failed !== undefined && from >= failed) return -1;
  for (let j = from; j < s.length; j++) {
    work.steps++;
    const c = s[j]!;
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "`") {
      const length = runLength(s, j);
      const end = codeSpanClose(scan, j, length);
      j = (end !== -1 ? end : j) + length - 1;
      continue;
    }
    if (delim.length === 1 && c === delim && s[j + 1] === delim) {
      // `**` inside a single-`*` span: skip the whole pair.
      const close = findClose(scan, j + 2, delim + delim);
      j = close !== -1 ? close + 1 : j + 1;
      continue;
    }
    if (s.startsWith(delim, j) && j > from && !/\s/.test(s[j - 1]!)) {
      if (delim === "_" && /[A-Za-z0-9]/.test(s[j + 1] ?? "")) continue;
      return j;
    }
  }
  scan.failedFrom.set(delim, Math.min(from, failed ?? from));
  return -1;
}

/** Parses inline Markdown. */
export function parseInline(s: string): Inline[] {
  return parseInlineAt(s, 0);
}

function parseInlineAt(s: string, depth: number): Inline[] {
  // Spans nested deeper than anyone writes are shown as they are: each level re-reads its text.
  if (depth > MAX_NESTING) return s ? [{ type: "text", text: s }] : [];
  const scan = scanString(s, depth);
  const out: Inline[] = [];
  let text = "";
  const flush = () => {
    if (text) out.push({ type: "text", text });
    text = "";
  };
  let i = 0;
  while (i < s.length) {
    work.steps++;
    const c = s[i]!;

    if (c === "\\" && i + 1 < s.length && PUNCT.test(s[i + 1]!)) {
      text += s[i + 1];
      i += 2;
      continue;
    }
    if (c === "\n") {
      flush();
      out.push({ type: "br" });
      i++;
      continue;
    }
    if (c === "`") {
      const length = runLength(s, i);
      const end = codeSpanClose(scan, i + length - 1, length);
      if (end !== -1) {
        let code = s.slice(i + length, end).replace(/\n/g, " ");
        if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ")) code = code.slice(1, -1);
        flush();
        out.push({ type: "code", text: code });
        i = end + length;
        continue;
      }
      text += s.slice(i, i + length);
      i += length;
      continue;
    }
    if (c === "[" || (c === "!" && s[i + 1] === "[")) {
      const open = c === "!" ? i + 1 : i;
      const link = parseLink(scan, open);
      if (link) {
        flush();
        const label = parseInlineAt(link.label, depth + 1);
        if (isSafeHref(link.href)) out.push({ type: "link", href: link.href.trim(), children: label.length ? label : [{ type: "text", text: link.href }] });
        else out.push(...label);
        i = link.end;
        continue;
      }
    }
    if (c === "<") {
      AUTOLINK.lastIndex = i;
      const auto = AUTOLINK.exec(s);
      if (auto) {
        flush();
        out.push({ type: "link", href: auto[1]!, children: [{ type: "text", text: auto[1]! }] });
        i += auto[0].length;
        continue;
      }
    }
    if ((c === "h" || c === "H") && (i === 0 || !/[A-Za-z0-9]/.test(s[i - 1]!))) {
      BARE_URL.lastIndex = i;
      const url = BARE_URL.exec(s);
      if (url) {
        flush();
        out.push({ type: "link", href: url[0], children: [{ type: "text", text: url[0] }] });
        i += url[0].length;
        continue;
      }
    }
    const double = s.startsWith("**", i) ? "**" : s.startsWith("__", i) ? "__" : s.startsWith("~~", i) ? "~~" : null;
    if (double && s[i + 2] && !/\s/.test(s[i + 2]!) && !(double === "__" && i > 0 && /[A-Za-z0-9]/.test(s[i - 1]!))) {
      const close = findClose(scan, i + 2, double);
      if (close !== -1) {
        flush();
        out.push({ type: double === "~~" ? "del" : "strong", children: parseInlineAt(s.slice(i + 2, close), depth + 1) });
        i = close + 2;
        continue;
      }
    }
    if ((c === "*" || c === "_") && s[i + 1] && !/\s/.test(s[i + 1]!) && s[i + 1] !== c && !(c === "_" && i > 0 && /[A-Za-z0-9]/.test(s[i - 1]!))) {
      const close = findClose(scan, i + 1, c);
      if (close !== -1) {
        flush();
        out.push({ type: "em", children: parseInlineAt(s.slice(i + 1, close), depth + 1) });
        i = close + 1;
        continue;
      }
    }
    text += c;
    i++;
  }
  flush();
  return out;
}

/** `[label](href "title")` starting at `open` (the `[`). */
function parseLink(scan: InlineScan, open: number): { label: string; href: string; end: number } | null {
  const { s } = scan;
  const j = scan.bracketClose.get(open);
  if (j === undefined || s[j + 1] !== "(") return null;
  LINK_TARGET.lastIndex = j + 1;
  const m = LINK_TARGET.exec(s);
  if (!m) return null;
  let href = m[1]!;
  if (href.startsWith("<")) href = href.slice(1, -1);
  return { label: s.slice(open + 1, j), href, end: j + 1 + m[0].length };
}
