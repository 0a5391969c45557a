/**
 * Inline Markdown (code spans, strong, emphasis, strike, links, autolinks, bare URLs) for the
 * renderer in markdown.ts, in linear time: each string is scanned once for brackets and
 * backtick runs (`InlineScan`), and no closing delimiter is searched for twice from one place.
 */

/** Deepest nesting of quotes, lists and inline spans that is parsed; deeper content is shown as text. */
export const MAX_NESTING = 16;
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

/** True when a URL may be a link target. */
export function isSafeHref(href: string): boolean {
  return /^(https?:\/\/|mailto:)/i.test(href.trim());
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
        if (isSafeHref(link.href))
          out.push({ type: "link", href: link.href.trim(), children: label.length ? label : [{ type: "text", text: link.href }] });
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
    if (
      (c === "*" || c === "_") &&
      s[i + 1] &&
      !/\s/.test(s[i + 1]!) &&
      s[i + 1] !== c &&
      !(c === "_" && i > 0 && /[A-Za-z0-9]/.test(s[i - 1]!))
    ) {
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
