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
 */

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

const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}> ?/;
const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+|$)(.*)$/;
const TABLE_SEP = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;

/** True when a URL may be a link target. */
export function isSafeHref(href: string): boolean {
  return /^(https?:\/\/|mailto:)/i.test(href.trim());
}

/** Parses Markdown text into blocks. */
export function parseMarkdown(text: string): Block[] {
  return parseBlocks(text.replace(/\r\n?/g, "\n").replace(/\t/g, "    ").split("\n"));
}

function startsBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || HR.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
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

function parseBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i]!;
    if (line.trim() === "") {
      i++;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1]!;
      const indent = line.length - line.trimStart().length;
      const body: string[] = [];
      i++;
      while (i < lines.length) {
        const l = lines[i]!;
        const trimmed = l.trim();
        if (trimmed.startsWith(marker[0]!.repeat(marker.length)) && /^(`+|~+)$/.test(trimmed)) {
          i++;
          break;
        }
        body.push(l.slice(Math.min(indent, l.length - l.trimStart().length)));
        i++;
      }
      blocks.push({ type: "code", lang: fence[2] ?? "", text: body.join("\n") });
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ type: "heading", level: heading[1]!.length, children: parseInline(heading[2] ?? "") });
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
      blocks.push({ type: "blockquote", children: parseBlocks(inner) });
      continue;
    }

    if (line.includes("|") && i + 1 < lines.length && TABLE_SEP.test(lines[i + 1]!) && lines[i + 1]!.includes("-")) {
      const header = splitRow(line);
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
        items.push(parseBlocks(body));
        // A blank line between items keeps the list going; anything else ends it.
      }
      blocks.push({ type: "list", ordered, start, items });
      continue;
    }

    const para: string[] = [];
    while (i < lines.length) {
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
const BARE_URL = /^https?:\/\/[^\s<>"]*[^\s<>".,:;!?'")\]]/;

/** Finds the closing delimiter `delim` at or after `from`, skipping code spans and escapes. */
function findClose(s: string, from: number, delim: string): number {
  for (let j = from; j < s.length; j++) {
    const c = s[j]!;
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "`") {
      const run = /^`+/.exec(s.slice(j))![0];
      const end = s.indexOf(run, j + run.length);
      if (end !== -1) {
        j = end + run.length - 1;
        continue;
      }
    }
    if (delim.length === 1 && c === delim && s[j + 1] === delim) {
      // `**` inside a single-`*` span: skip the whole pair.
      const close = findClose(s, j + 2, delim + delim);
      j = close !== -1 ? close + 1 : j + 1;
      continue;
    }
    if (s.startsWith(delim, j) && j > from && !/\s/.test(s[j - 1]!)) {
      if (delim === "_" && /[A-Za-z0-9]/.test(s[j + 1] ?? "")) continue;
      return j;
    }
  }
  return -1;
}

/** Parses inline Markdown. */
export function parseInline(s: string): Inline[] {
  const out: Inline[] = [];
  let text = "";
  const flush = () => {
    if (text) out.push({ type: "text", text });
    text = "";
  };
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    const rest = s.slice(i);

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
      const run = /^`+/.exec(rest)![0];
      const end = s.indexOf(run, i + run.length);
      if (end !== -1 && s[end + run.length] !== "`") {
        let code = s.slice(i + run.length, end).replace(/\n/g, " ");
        if (code.length > 2 && code.startsWith(" ") && code.endsWith(" ")) code = code.slice(1, -1);
        flush();
        out.push({ type: "code", text: code });
        i = end + run.length;
        continue;
      }
      text += run;
      i += run.length;
      continue;
    }
    if (c === "[" || (c === "!" && s[i + 1] === "[")) {
      const open = c === "!" ? i + 1 : i;
      const link = parseLink(s, open);
      if (link) {
        flush();
        const label = parseInline(link.label);
        if (isSafeHref(link.href)) out.push({ type: "link", href: link.href.trim(), children: label.length ? label : [{ type: "text", text: link.href }] });
        else out.push(...label);
        i = link.end;
        continue;
      }
    }
    if (c === "<") {
      const auto = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(rest);
      if (auto) {
        flush();
        out.push({ type: "link", href: auto[1]!, children: [{ type: "text", text: auto[1]! }] });
        i += auto[0].length;
        continue;
      }
    }
    if ((c === "h" || c === "H") && (i === 0 || !/[A-Za-z0-9]/.test(s[i - 1]!))) {
      const url = BARE_URL.exec(rest);
      if (url) {
        flush();
        out.push({ type: "link", href: url[0], children: [{ type: "text", text: url[0] }] });
        i += url[0].length;
        continue;
      }
    }
    const double = rest.startsWith("**") ? "**" : rest.startsWith("__") ? "__" : rest.startsWith("~~") ? "~~" : null;
    if (double && s[i + 2] && !/\s/.test(s[i + 2]!) && !(double === "__" && i > 0 && /[A-Za-z0-9]/.test(s[i - 1]!))) {
      const close = findClose(s, i + 2, double);
      if (close !== -1) {
        flush();
        out.push({ type: double === "~~" ? "del" : "strong", children: parseInline(s.slice(i + 2, close)) });
        i = close + 2;
        continue;
      }
    }
    if ((c === "*" || c === "_") && s[i + 1] && !/\s/.test(s[i + 1]!) && s[i + 1] !== c && !(c === "_" && i > 0 && /[A-Za-z0-9]/.test(s[i - 1]!))) {
      const close = findClose(s, i + 1, c);
      if (close !== -1) {
        flush();
        out.push({ type: "em", children: parseInline(s.slice(i + 1, close)) });
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
function parseLink(s: string, open: number): { label: string; href: string; end: number } | null {
  let depth = 0;
  let j = open;
  for (; j < s.length; j++) {
    const c = s[j]!;
    if (c === "\\") {
      j++;
      continue;
    }
    if (c === "[") depth++;
    else if (c === "]" && --depth === 0) break;
  }
  if (j >= s.length || s[j + 1] !== "(") return null;
  const m = /^\(\s*(<[^<>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)(?:\s+"[^"\n]*")?\s*\)/.exec(s.slice(j + 1));
  if (!m) return null;
  let href = m[1]!;
  if (href.startsWith("<")) href = href.slice(1, -1);
  return { label: s.slice(open + 1, j), href, end: j + 1 + m[0].length };
}
