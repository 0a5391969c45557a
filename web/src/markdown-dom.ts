/**
 * Markdown tree → DOM, with createElement/textContent only (see markdown.ts for the parser and
 * the rules: no raw HTML, links only to http(s)/mailto, images shown as links).
 */
import { isSafeHref, parseMarkdown, type Block, type Inline } from "./markdown.ts";

function inlineNodes(nodes: Inline[]): Node[] {
  return nodes.map((n): Node => {
    switch (n.type) {
      case "text":
        return document.createTextNode(n.text);
      case "br":
        return document.createElement("br");
      case "code": {
        const el = document.createElement("code");
        el.textContent = n.text;
        return el;
      }
      case "strong":
      case "em":
      case "del": {
        const el = document.createElement(n.type === "strong" ? "strong" : n.type === "em" ? "em" : "del");
        el.append(...inlineNodes(n.children));
        return el;
      }
      case "link": {
        if (!isSafeHref(n.href)) {
          const span = document.createElement("span");
          span.append(...inlineNodes(n.children));
          return span;
        }
        const a = document.createElement("a");
        a.href = n.href;
        a.target = "_blank";
        a.rel = "noopener noreferrer nofollow";
        a.append(...inlineNodes(n.children));
        return a;
      }
    }
  });
}

function blockNode(b: Block): Node {
  switch (b.type) {
    case "paragraph": {
      const p = document.createElement("p");
      p.append(...inlineNodes(b.children));
      return p;
    }
    case "heading": {
      const el = document.createElement(`h${Math.min(6, b.level + 2)}` as "h3");
      el.className = `md-h${b.level}`;
      el.append(...inlineNodes(b.children));
      return el;
    }
    case "code": {
      const pre = document.createElement("pre");
      const code = document.createElement("code");
      if (b.lang && /^[\w+#.-]{1,30}$/.test(b.lang)) code.className = `lang-${b.lang}`;
      code.textContent = b.text;
      pre.append(code);
      return pre;
    }
    case "blockquote": {
      const q = document.createElement("blockquote");
      q.append(...b.children.map(blockNode));
      return q;
    }
    case "list": {
      const list = document.createElement(b.ordered ? "ol" : "ul");
      if (b.ordered && b.start !== 1) (list as HTMLOListElement).start = b.start;
      for (const item of b.items) {
        const li = document.createElement("li");
        // Tight items: a single paragraph renders without its <p>.
        if (item.length === 1 && item[0]!.type === "paragraph") li.append(...inlineNodes(item[0]!.children));
        else li.append(...item.map(blockNode));
        list.append(li);
      }
      return list;
    }
    case "table": {
      const wrap = document.createElement("div");
      wrap.className = "md-table";
      const table = document.createElement("table");
      const thead = document.createElement("thead");
      const tr = document.createElement("tr");
      b.header.forEach((cell, c) => {
        const th = document.createElement("th");
        if (b.align[c]) th.style.textAlign = b.align[c]!;
        th.append(...inlineNodes(cell));
        tr.append(th);
      });
      thead.append(tr);
      const tbody = document.createElement("tbody");
      for (const row of b.rows) {
        const r = document.createElement("tr");
        row.forEach((cell, c) => {
          const td = document.createElement("td");
          if (b.align[c]) td.style.textAlign = b.align[c]!;
          td.append(...inlineNodes(cell));
          r.append(td);
        });
        tbody.append(r);
      }
      table.append(thead, tbody);
      wrap.append(table);
      return wrap;
    }
    case "hr":
      return document.createElement("hr");
  }
}

/** Renders Markdown text as a `<div class="md">` of DOM nodes (never parses HTML). */
export function renderMarkdown(text: string): HTMLDivElement {
  const div = document.createElement("div");
  div.className = "md";
  div.append(...parseMarkdown(text).map(blockNode));
  return div;
}
