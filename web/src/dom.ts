/**
 * A tiny DOM builder. Everything the UI shows is built with createElement + textContent: no
 * string of HTML is ever parsed, so nothing an agent or a user writes can become markup.
 */

type Child = Node | string | number | null | undefined | false | Child[];
// biome-ignore lint/suspicious/noExplicitAny: one handler type for every DOM event attribute
type Handler = (event: any) => void;
export type Attrs = Record<string, string | number | boolean | null | undefined | Handler | Record<string, string>>;

/** `h("button", { class: "x", onclick: f }, "Label")`. Attributes starting with `on` are listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el: HTMLElement, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key === "style" && typeof value === "object") {
      Object.assign(el.style, value);
    } else if (key === "value" && "value" in el) {
      (el as HTMLInputElement).value = String(value);
    } else if (key === "checked" && "checked" in el) {
      (el as HTMLInputElement).checked = Boolean(value);
    } else if (key === "href" || key === "src") {
      // Only schemes that cannot run script.
      const url = safeUrl(String(value));
      if (url) el.setAttribute(key, url);
    } else {
      el.setAttribute(key, value === true ? "" : String(value));
    }
  }
}

export function append(el: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.appendChild(typeof child === "string" || typeof child === "number" ? document.createTextNode(String(child)) : child);
  }
}

const disposers = new WeakMap<Node, (() => void)[]>();

/** Runs `fn` when `el` is removed by `replace()` (unsubscribe, close sockets, ...). */
export function onDispose(el: Node, fn: () => void): void {
  const list = disposers.get(el) ?? [];
  list.push(fn);
  disposers.set(el, list);
}

/** Runs the disposers registered on `el` and its descendants. */
export function dispose(el: Node): void {
  for (const fn of disposers.get(el) ?? []) fn();
  disposers.delete(el);
  for (const child of Array.from(el.childNodes)) dispose(child);
}

/** Replaces the children of `el` (disposing the old ones). */
export function replace(el: Node, ...children: Child[]): void {
  while (el.firstChild) {
    const child = el.firstChild;
    el.removeChild(child);
    dispose(child);
  }
  append(el, children);
}

/** A URL that is safe to put in href/src: http(s), mailto, or same-origin relative; else null. */
export function safeUrl(raw: string): string | null {
  const value = raw.trim();
  if (value.startsWith("#") || (value.startsWith("/") && !value.startsWith("//"))) return value;
  try {
    const url = new URL(value, location.origin);
    if (url.protocol === "http:" || url.protocol === "https:" || url.protocol === "mailto:" || url.protocol === "blob:") return url.href;
  } catch {
    // not a URL
  }
  return null;
}

/** "3 min ago" style relative time. */
export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "";
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return "";
  const s = Math.round((now - then) / 1000);
  if (s < 45) return "just now";
  if (s < 90 * 60) return `${Math.max(1, Math.round(s / 60))} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return new Date(then).toLocaleDateString();
}

/** Short, readable form of a tool input: the command, path or pattern a user cares about. */
export function toolSummary(name: string, input: Record<string, unknown>): string {
  const pick = (k: string) => (typeof input[k] === "string" ? (input[k] as string) : null);
  const text =
    pick("command") ?? pick("file_path") ?? pick("path") ?? pick("pattern") ?? pick("url") ?? pick("query") ?? pick("description");
  if (text) return text.length > 160 ? `${text.slice(0, 157)}…` : text;
  if (name === "AskUserQuestion") return "asks a question";
  const json = JSON.stringify(input);
  return json === "{}" ? "" : json.length > 160 ? `${json.slice(0, 157)}…` : json;
}

/** Brief toast at the bottom of the screen. */
export function toast(message: string, kind: "info" | "error" = "info"): void {
  let host = document.getElementById("toasts");
  if (!host) {
    host = h("div", { id: "toasts", role: "status", "aria-live": "polite" });
    document.body.appendChild(host);
  }
  const el = h("div", { class: `toast toast-${kind}` }, message);
  host.appendChild(el);
  setTimeout(() => el.remove(), kind === "error" ? 8000 : 4000);
}
