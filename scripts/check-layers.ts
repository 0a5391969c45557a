/**
 * The layer check: fails on any import cycle or any import that points up or sideways
 * across the layers docs/architecture.md describes. Run by `npm run check` (and so by CI).
 *
 * It reads every `.ts` file's relative imports (static, `export … from`, dynamic `import()`,
 * type-only ones included: a type import still couples two layers) with a regular expression;
 * the project writes imports with their `.ts` extension, so resolution is a path join.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");

/**
 * Each top-level folder and the folders it may import from (besides itself). Folders not listed
 * (scripts, bench, test) sit above everything and may import anything. `client-core` is the
 * bottom: it imports nothing of the project (not even zod, as it ships in the web UI's bundle),
 * and every folder may import it (the wire constants, such as close codes, are defined there).
 */
export const ALLOWED_IMPORTS: Record<string, readonly string[]> = {
  "client-core": [],
  schemas: ["client-core"],
  rules: ["schemas", "client-core"],
  platform: ["schemas", "client-core"],
  "durable-objects": ["platform", "rules", "schemas", "client-core"],
  worker: ["durable-objects", "platform", "rules", "schemas", "client-core"],
  container: ["schemas", "client-core"],
  "sandbox-host": ["schemas", "client-core"],
  "model-server": ["schemas", "client-core"],
  sdk: ["schemas", "client-core"],
  web: ["schemas", "client-core"],
  cli: ["sdk", "schemas", "client-core"],
};

/** Folders that may import no package at all (client-core ships in the web UI's bundle: no zod, no node:). */
const NO_PACKAGE_IMPORTS = ["client-core"];

/** Folders whose files may not import each other (siblings, not layers). */
const NO_SIBLING_IMPORTS = ["worker/routes"];

const SKIP_DIRS = new Set(["node_modules", ".git", ".wrangler", "dist", "test-artifacts", ".tmp"]);
const IMPORT_RE =
  /(?:^|[\s;])(?:import|export)\s[^;'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s*["']([^"']+)["']/gm;

function listTsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) listTsFiles(full, out);
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) out.push(full);
  }
  return out;
}

/** Imports of one file: relative ones resolved to repository-relative paths, and package names. */
function importsOf(file: string): { files: string[]; packages: string[] } {
  // Comments may show imports as examples; only code counts.
  const source = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const files: string[] = [];
  const packages: string[] = [];
  for (const m of source.matchAll(IMPORT_RE)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (!spec) continue;
    if (spec.startsWith(".")) files.push(path.relative(root, path.resolve(path.dirname(file), spec)));
    else packages.push(spec);
  }
  return { files, packages };
}

const topOf = (rel: string) => rel.split(path.sep)[0]!;

export interface LayerReport {
  violations: string[];
  cycles: string[][];
}

export function checkLayers(): LayerReport {
  const files = listTsFiles(root).map((f) => path.relative(root, f));
  const graph = new Map<string, string[]>();
  const violations: string[] = [];
  for (const file of files) {
    const { files: targets, packages } = importsOf(path.join(root, file));
    graph.set(file, targets);
    const from = topOf(file);
    if (NO_PACKAGE_IMPORTS.includes(from)) for (const spec of packages) violations.push(`${file} → ${spec} (${from} imports no package)`);
    const allowed = ALLOWED_IMPORTS[from];
    for (const target of targets) {
      const to = topOf(target);
      if (allowed && to !== from && !allowed.includes(to))
        violations.push(`${file} → ${target} (${from} may import only ${allowed.join(", ") || "nothing"})`);
      for (const folder of NO_SIBLING_IMPORTS) {
        if (path.dirname(file) === folder && path.dirname(target) === folder)
          violations.push(`${file} → ${target} (files in ${folder} do not import each other)`);
      }
    }
  }
  return { violations, cycles: findCycles(graph) };
}

/** Strongly connected components of more than one file (or a file importing itself): Tarjan. */
function findCycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, indices.get(next)!));
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return cycles;
}

if (import.meta.main) {
  const { violations, cycles } = checkLayers();
  for (const v of violations) console.error(`upward or sideways import: ${v}`);
  for (const c of cycles) console.error(`import cycle: ${c.join(" ↔ ")}`);
  if (violations.length > 0 || cycles.length > 0) {
    console.error(`layer check failed: ${violations.length} bad imports, ${cycles.length} cycles (see docs/architecture.md)`);
    process.exit(1);
  }
  console.log("layer check: no cycles, no upward imports");
}
