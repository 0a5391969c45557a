/**
 * A readable API reference page (`GET /docs`), rendered from the OpenAPI document so the two
 * can never disagree: routes grouped by area with their auth, parameters, body and answer,
 * then every named schema. Plain HTML, no script (the page's CSP forbids any).
 */

interface OpenApiOperation {
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}

interface OpenApiDocument {
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, unknown> };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** A schema as a link to its component, or inline JSON when it has no name. */
function schemaHtml(schema: unknown): string {
  const ref = (schema as { $ref?: string } | undefined)?.$ref;
  if (ref) {
    const name = ref.split("/").pop()!;
    return `<a href="#schema-${escapeHtml(name)}"><code>${escapeHtml(name)}</code></a>`;
  }
  return `<pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre>`;
}

function operationHtml(method: string, path: string, op: OpenApiOperation): string {
  const params = (op.parameters ?? []).map((p) => `<code>${escapeHtml(p.name)}</code> (${p.in}${p.required ? ", required" : ""})`);
  const body = op.requestBody?.content["application/json"]?.schema;
  const [status, success] = Object.entries(op.responses).find(([code]) => code.startsWith("2")) ?? ["200", { description: "" }];
  const answer = success.content?.["application/json"]?.schema;
  const errors = Object.entries(op.responses)
    .filter(([code]) => !code.startsWith("2"))
    .map(([code, r]) => `<li><code>${code}</code> ${escapeHtml(r.description)}</li>`)
    .join("");
  return `<section class="op"><h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>
<p>${escapeHtml(op.summary ?? "")}${op.security?.length === 0 ? " <em>No authentication.</em>" : ""}</p>
${params.length ? `<p>Parameters: ${params.join(", ")}</p>` : ""}
${body ? `<div>Body: ${schemaHtml(body)}</div>` : ""}
<div>Answer <code>${status}</code>: ${answer ? schemaHtml(answer) : "no body"}</div>
${errors ? `<details><summary>Errors</summary><ul>${errors}</ul></details>` : ""}</section>`;
}

/** The whole page. */
export function renderApiReference(doc: unknown): string {
  const { info, paths, components } = doc as OpenApiDocument;
  const byTag = new Map<string, string[]>();
  for (const [path, methods] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const tag = op.tags?.[0] ?? "other";
      byTag.set(tag, [...(byTag.get(tag) ?? []), operationHtml(method, path, op)]);
    }
  }
  const areas = [...byTag].map(([tag, ops]) => `<h2 id="area-${escapeHtml(tag)}">${escapeHtml(tag)}</h2>${ops.join("\n")}`).join("\n");
  const schemas = Object.entries(components.schemas)
    .map(
      ([name, schema]) =>
        `<section id="schema-${escapeHtml(name)}"><h3><code>${escapeHtml(name)}</code></h3><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></section>`,
    )
    .join("\n");
  const toc = [...byTag.keys()].map((tag) => `<a href="#area-${escapeHtml(tag)}">${escapeHtml(tag)}</a>`).join(" · ");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)} reference</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
code,pre{font:13px ui-monospace,monospace}pre{background:#f4f5f7;padding:.6rem;overflow:auto;border-radius:6px}
.op{border-top:1px solid #e3e5ea;padding:.4rem 0}.method{display:inline-block;min-width:4.2rem;font-size:12px;padding:2px 6px;border-radius:4px;color:#fff;background:#59617a}
.get{background:#2f7d4f}.post{background:#2d5fb0}.put{background:#9a6a12}.delete{background:#a83a3a}h2{margin-top:2.5rem;text-transform:capitalize}</style></head>
<body><h1>${escapeHtml(info.title)} <small>${escapeHtml(info.version)}</small></h1><p>${escapeHtml(info.description)} Machine-readable: <a href="/openapi"><code>/openapi</code></a>.</p>
<nav>${toc} · <a href="#schemas">schemas</a></nav>${areas}<h2 id="schemas">Schemas</h2>${schemas}</body></html>`;
}
