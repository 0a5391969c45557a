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
import { MAX_NESTING, parseInline, work, type Inline } from "./markdown-inline.ts";

export { isSafeHref, MAX_NESTING, parseInline, work, type Inline } from "./markdown-inline.ts";

/** Characters of one text parsed as Markdown; the rest is shown verbatim (agents can print megabytes). */
export const MAX_MARKDOWN_CHARS = 100_000;
/** Table columns shown; more would let a short text make a huge grid (columns × rows cells). */
export const MAX_TABLE_COLUMNS = 64;

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

/** Parses Markdown text into blocks; beyond `MAX_MARKDOWN_CHARS`, a notice and the rest verbatim. */
export function parseMarkdown(text: string): Block[] {
  const parsed = text.length > MAX_MARKDOWN_CHARS ? text.slice(0, MAX_MARKDOWN_CHARS) : text;
  const blocks = parseBlocks(parsed.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n"), 0);
  if (parsed === text) return blocks;
  const rest = text.slice(MAX_MARKDOWN_CHARS);
  return [
    ...blocks,
    {
      type: "paragraph",
      children: [{ type: "text", text: `(${rest.length.toLocaleString("en")} more characters, shown without formatting)` }],
    },
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
      const align: Align[] = splitRow(lines[i + 1]!).map((c) =>
        c.startsWith(":") && c.endsWith(":") ? "center" : c.endsWith(":") ? "right" : c.startsWith(":") ? "left" : null,
      );
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
