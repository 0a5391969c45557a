/**
 * The UI's Markdown parser (web/src/markdown.ts): the subset agent output uses, and no way for
 * that output to become markup. The DOM side is exercised in the browser tests.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_MARKDOWN_CHARS, isSafeHref, parseInline, parseMarkdown, work, type Block, type Inline } from "../../web/src/markdown.ts";

/** Every text leaf of a tree, concatenated. */
function text(nodes: (Block | Inline)[]): string {
  return nodes
    .map((n: any) => {
      if (n.type === "text" || n.type === "code") return n.text;
      if (n.type === "br") return "\n";
      if (n.items) return n.items.map((item: Block[]) => text(item)).join("\n");
      if (n.header) return [...n.header, ...n.rows.flat()].map((c: Inline[]) => text(c)).join(" ");
      return n.children ? text(n.children) : "";
    })
    .join("");
}

/** Every link target in a tree. */
function hrefs(nodes: any[]): string[] {
  return nodes.flatMap((n) => [
    ...(n.type === "link" ? [n.href] : []),
    ...(n.children ? hrefs(n.children) : []),
    ...(n.items ? n.items.flatMap((i: any[]) => hrefs(i)) : []),
    ...(n.header ? [...n.header, ...n.rows.flat()].flatMap((c: any[]) => hrefs(c)) : []),
  ]);
}

describe("markdown parser", () => {
  it("keeps raw HTML as literal text", () => {
    const payload = "<img src=x onerror=alert(1)> and <script>alert(2)</script>";
    const blocks = parseMarkdown(payload);
    expect(blocks).toEqual([{ type: "paragraph", children: [{ type: "text", text: payload }] }]);
  });

  it("drops link targets that could run script, keeping the label", () => {
    for (const href of [
      "javascript:alert(1)",
      "JAVASCRIPT:alert(1)",
      " javascript:alert(1)",
      "data:text/html,<b>x</b>",
      "vbscript:x",
      "//evil.example/x",
    ]) {
      const blocks = parseMarkdown(`[click me](${href})`);
      expect(hrefs(blocks)).toEqual([]);
      expect(text(blocks)).toContain("click me");
    }
    expect(isSafeHref("https://example.com")).toBe(true);
    expect(isSafeHref("mailto:soc@example.com")).toBe(true);
    expect(isSafeHref("javascript:alert(1)")).toBe(false);
  });

  it("renders images as links only (no remote loads)", () => {
    const blocks = parseMarkdown("![logo](https://example.com/logo.png) ![x](javascript:alert(1))");
    expect(hrefs(blocks)).toEqual(["https://example.com/logo.png"]);
    expect(JSON.stringify(blocks)).not.toContain('"image"');
  });

  it("parses the common subset", () => {
    const md = [
      "# Findings",
      "",
      "Two **suspicious** processes, one *likely* benign; see `ps -ef` and ~~old~~ notes.",
      "",
      "- update.exe in %TEMP%",
      "- outbound to 45.33.32.156",
      "  - nested detail",
      "",
      "1. isolate",
      "2. collect",
      "",
      "> quoted log line",
      "",
      "```bash",
      "grep -r '<b>' /var/log",
      "```",
      "",
      "| host | verdict |",
      "|:-----|--------:|",
      "| a | `bad|worse` |",
      "",
      "---",
      "see https://example.com/x. and <https://example.org>",
    ].join("\n");
    const blocks = parseMarkdown(md);
    expect(blocks.map((b) => b.type)).toEqual(["heading", "paragraph", "list", "list", "blockquote", "code", "table", "hr", "paragraph"]);
    const para = blocks[1] as Extract<Block, { type: "paragraph" }>;
    expect(para.children.map((c) => c.type)).toEqual(["text", "strong", "text", "em", "text", "code", "text", "del", "text"]);
    const list = blocks[2] as Extract<Block, { type: "list" }>;
    expect(list.items).toHaveLength(2);
    expect(list.items[1]!.map((b) => b.type)).toEqual(["paragraph", "list"]);
    expect((blocks[3] as Extract<Block, { type: "list" }>).ordered).toBe(true);
    expect(blocks[5]).toEqual({ type: "code", lang: "bash", text: "grep -r '<b>' /var/log" });
    const table = blocks[6] as Extract<Block, { type: "table" }>;
    expect(table.align).toEqual(["left", "right"]);
    expect(table.rows[0]![1]).toEqual([{ type: "code", text: "bad|worse" }]);
    expect(hrefs(blocks)).toEqual(["https://example.com/x", "https://example.org"]);
  });

  it("treats single newlines as line breaks and leaves snake_case alone", () => {
    expect(parseInline("a\nb")).toEqual([{ type: "text", text: "a" }, { type: "br" }, { type: "text", text: "b" }]);
    expect(parseInline("my_var_name and __init__")).toEqual([
      { type: "text", text: "my_var_name and " },
      { type: "strong", children: [{ type: "text", text: "init" }] },
    ]);
    expect(parseInline("*a **b** c*")).toEqual([
      {
        type: "em",
        children: [
          { type: "text", text: "a " },
          { type: "strong", children: [{ type: "text", text: "b" }] },
          { type: "text", text: " c" },
        ],
      },
    ]);
    expect(parseInline("2 * 3 * 4")).toEqual([{ type: "text", text: "2 * 3 * 4" }]);
    expect(parseInline("\\*not em\\*")).toEqual([{ type: "text", text: "*not em*" }]);
  });

  it("survives an unterminated fence while text is still arriving", () => {
    expect(parseMarkdown("```\nstill streaming")).toEqual([{ type: "code", lang: "", text: "still streaming" }]);
  });
});

/** Texts built to make a naive parser rescan: unclosed delimiters, nesting, long lines. */
const HOSTILE: Record<string, (n: number) => string> = {
  "unclosed emphasis around strong": (n) => "*a **b ".repeat(Math.ceil(n / 7)),
  "unclosed underscores": (n) => "_a __b ".repeat(Math.ceil(n / 7)),
  "unclosed brackets": (n) => "[".repeat(n),
  "nested brackets": (n) => "[".repeat(n / 2) + "](x)".repeat(n / 8),
  "almost links": (n) => "[a](".repeat(n / 4),
  "backtick runs": (n) => "` ``".repeat(n / 4),
  "strike openers": (n) => "~~a ".repeat(n / 4),
  "nested emphasis": (n) => "*a ".repeat(n / 6) + "a* ".repeat(n / 6),
  "everything at once": (n) => "**_`[a](b ~~*x_ <http:// ".repeat(Math.ceil(n / 25)),
  "fence line ending in a backtick": (n) => `x\n\`\`\`${"a".repeat(n)}\``,
  "heading of spaces": (n) => `# ${" ".repeat(n)}x`,
  "nested quotes": (n) => ">".repeat(n),
  "nested lists": (n) => "- ".repeat(n / 2) + "x",
  "wide table": (n) => `${"|a".repeat(n / 4)}\n${"|-".repeat(n / 4)}\n${"|b\n".repeat(n / 6)}`,
};

/** Steps the parser takes on `text` (its own count: one per character or line visited). */
function stepsFor(text: string): number {
  work.steps = 0;
  parseMarkdown(text);
  return work.steps;
}

describe("markdown parser on hostile agent output", () => {
  it("does work linear in the text: doubling the text at most doubles the steps, and there are few per character", () => {
    for (const [name, make] of Object.entries(HOSTILE)) {
      const n = 20_000;
      const small = stepsFor(make(n));
      const large = stepsFor(make(2 * n));
      expect(large / small, name).toBeLessThanOrEqual(2.2);
      expect(small / n, name).toBeLessThanOrEqual(12);
    }
  });

  it("parses 200 KB of such text, formatting the first part and showing the rest verbatim after a notice", () => {
    const text = HOSTILE["everything at once"]!(200_000);
    const steps = stepsFor(text);
    // Bounded work: a handful of steps per character parsed (the rest is not parsed at all).
    expect(steps).toBeLessThanOrEqual(12 * MAX_MARKDOWN_CHARS);
    const blocks = parseMarkdown(text);
    const [notice, rest] = blocks.slice(-2);
    expect(notice).toMatchObject({ type: "paragraph" });
    expect(text.endsWith((rest as Extract<Block, { type: "code" }>).text)).toBe(true);
    expect((rest as Extract<Block, { type: "code" }>).text.length).toBe(text.length - MAX_MARKDOWN_CHARS);
  });

  it("shows nesting deeper than anyone writes as text instead of overflowing the stack", () => {
    const blocks = parseMarkdown(`${">".repeat(50_000)} deep`);
    expect(text(blocks)).toContain("deep");
    expect(text(parseMarkdown(`${"- ".repeat(20_000)}x`))).toContain("x");
    expect(text(parseInline(`${"*a ".repeat(5_000)}core${" a*".repeat(5_000)}`))).toContain("core");
  });

  it("keeps headings and fences as before the rewrite", () => {
    expect(parseMarkdown("## Title ##")).toEqual([{ type: "heading", level: 2, children: [{ type: "text", text: "Title" }] }]);
    expect(parseMarkdown("# C# notes")).toEqual([{ type: "heading", level: 1, children: [{ type: "text", text: "C# notes" }] }]);
    expect(parseMarkdown("#hashtag")[0]!.type).toBe("paragraph");
    expect(parseMarkdown("```ts title\nconst a = 1;\n```")).toEqual([{ type: "code", lang: "ts", text: "const a = 1;" }]);
    expect(parseMarkdown("```a`b\nx")[0]!.type).toBe("paragraph");
    expect(parseInline("``a ` b`` and `c`")).toEqual([
      { type: "code", text: "a ` b" },
      { type: "text", text: " and " },
      { type: "code", text: "c" },
    ]);
  });
});

describe("the web sources", () => {
  it("never parse strings as HTML", () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith(".ts")) files.push(p);
      }
    };
    walk(path.resolve(import.meta.dirname, "../../web/src"));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      expect(readFileSync(file, "utf8"), file).not.toMatch(
        /innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|DOMParser/,
      );
    }
  });
});
