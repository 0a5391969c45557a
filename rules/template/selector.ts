/**
 * gjson-style selectors for transform maps (`event.EVENT.EventData.IpAddress`): dot-separated
 * keys (`\.` escapes a dot), numeric keys index lists, `#` is a list's length, and the
 * product's modifiers `|@parsejson`, `|@extract:{"re": …}` and `|@parsetime:{"from": …,
 * "to": …}`. A selector keeps the selected value's JSON type; nothing selected gives null.
 * Only strings rooted at `event.`, `routing.` or `detect.` are selectors; others are literals.
 */
import { convertGoTime } from "./go-time.ts";
import { isMap } from "./values.ts";

type Modifier = { name: "parsejson" } | { name: "extract"; re: RegExp } | { name: "parsetime"; from: string; to: string };

export interface Selector {
  readonly keys: readonly string[];
  readonly modifiers: readonly Modifier[];
}

export type SelectorParse = { ok: true; selector: Selector } | { ok: false; message: string } | undefined;

const ROOT = /^(event|routing|detect)\./;

/** Splits at unescaped dots; undefined when a key is empty or holds white space. */
function splitKeys(path: string): string[] | undefined {
  const keys: string[] = [];
  let key = "";
  for (let i = 0; i < path.length; i++) {
    const c = path[i] as string;
    if (c === "\\" && i + 1 < path.length) {
      key += path[++i];
    } else if (c === ".") {
      keys.push(key);
      key = "";
    } else {
      key += c;
    }
  }
  keys.push(key);
  return keys.every((k) => k !== "" && !/\s/.test(k)) ? keys : undefined;
}

/** Index just past the JSON value starting at `start` (objects/arrays balanced, strings skipped). */
function jsonEnd(s: string, start: number): number {
  let depth = 0;
  for (let i = start; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === "\\") i++;
    } else if (c === "{" || c === "[") depth++;
    else if (c === "}" || c === "]") {
      depth--;
      if (depth === 0) return i + 1;
    } else if (depth === 0 && c === "|") return i;
  }
  return s.length;
}

/** RE2 syntax the product documents (`(?P<name>…)`, leading `(?i)`/`(?s)`) as a JS RegExp. */
function re2ToRegExp(pattern: string): RegExp {
  let flags = "";
  let body = pattern;
  const lead = /^\(\?([ims]+)\)/.exec(body);
  if (lead) {
    flags = [...new Set(lead[1])].join("");
    body = body.slice(lead[0].length);
  }
  return new RegExp(body.replaceAll("(?P<", "(?<"), flags);
}

function parseModifier(name: string, arg: string | undefined): Modifier | string {
  let parsed: unknown;
  if (arg !== undefined) {
    try {
      parsed = JSON.parse(arg);
    } catch {
      return `@${name}: argument is not JSON: ${arg}`;
    }
  }
  switch (name) {
    case "parsejson":
      return { name };
    case "extract": {
      if (!isMap(parsed) || typeof parsed.re !== "string") return '@extract needs {"re": "<pattern>"}';
      try {
        return { name, re: re2ToRegExp(parsed.re) };
      } catch (e) {
        return `@extract: invalid pattern: ${(e as Error).message}`;
      }
    }
    case "parsetime":
      if (!isMap(parsed) || typeof parsed.from !== "string" || typeof parsed.to !== "string") {
        return '@parsetime needs {"from": "<layout>", "to": "<layout>"}';
      }
      return { name, from: parsed.from, to: parsed.to };
    default:
      return `unknown modifier @${name}`;
  }
}

/**
 * Reads `s` as a selector: undefined when it is not one (a literal), an error when it is one
 * with a bad modifier.
 */
export function parseSelector(s: string): SelectorParse {
  if (!ROOT.test(s)) return undefined;
  const bar = s.indexOf("|@");
  const keys = splitKeys(bar < 0 ? s : s.slice(0, bar));
  if (!keys) return undefined;
  const modifiers: Modifier[] = [];
  let i = bar;
  while (i >= 0 && i < s.length) {
    if (!s.startsWith("|@", i)) return { ok: false, message: `unexpected ${JSON.stringify(s.slice(i))} in selector` };
    const name = /^[A-Za-z_]+/.exec(s.slice(i + 2))?.[0] ?? "";
    let next = i + 2 + name.length;
    let arg: string | undefined;
    if (s[next] === ":") {
      const end = jsonEnd(s, next + 1);
      arg = s.slice(next + 1, end);
      next = end;
    }
    const m = parseModifier(name, arg);
    if (typeof m === "string") return { ok: false, message: m };
    modifiers.push(m);
    i = next;
  }
  return { ok: true, selector: { keys, modifiers } };
}

function applyModifier(m: Modifier, v: unknown): unknown {
  switch (m.name) {
    case "parsejson":
      if (typeof v !== "string") return v;
      try {
        return JSON.parse(v) as unknown;
      } catch {
        return null;
      }
    case "extract": {
      if (typeof v !== "string") return null;
      const match = m.re.exec(v);
      if (!match) return null;
      return Object.fromEntries(Object.entries(match.groups ?? {}).map(([k, g]) => [k, g ?? ""]));
    }
    case "parsetime":
      try {
        return convertGoTime(v, m.from, m.to);
      } catch {
        return null;
      }
  }
}

/** The selected value, with modifiers applied; null when the path selects nothing. */
export function applySelector(sel: Selector, data: unknown): unknown {
  let v: unknown = data;
  for (const key of sel.keys) {
    if (Array.isArray(v)) v = key === "#" ? v.length : /^\d+$/.test(key) ? v[Number(key)] : undefined;
    else if (isMap(v)) v = Object.hasOwn(v, key) ? v[key] : undefined;
    else v = undefined;
    if (v === undefined) return null;
  }
  for (const m of sel.modifiers) v = applyModifier(m, v);
  return v ?? null;
}
