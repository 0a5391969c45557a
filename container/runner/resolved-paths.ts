// The real paths behind a tool call's file arguments, symbolic links followed, for the
// platform's permission engine (issue 9): a workspace file may be a link to ~/.bashrc or to
// .git/hooks/pre-commit (a cloned repository can carry such links), and the engine, which is
// pure and sees only strings, would take `/workspace/config` for an ordinary workspace file.
import { realpathSync } from "node:fs";
import path from "node:path";

/** The input fields that name a file or directory a tool writes or reads. */
const PATH_FIELDS = ["file_path", "notebook_path", "path"];
/** Links followed at most (a loop or a long chain is reported as unresolvable). */
const MAX_DEPTH = 64;

/**
 * For each path field of `input` whose real location differs from what it says, that location.
 * Paths not yet existing resolve through their deepest existing ancestor; relative ones against
 * the workspace. A path that cannot be resolved maps to "" (the engine then treats it as unsafe).
 */
export function resolvedPaths(input: Record<string, unknown>, workspaceDir: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const field of PATH_FIELDS) {
    const value = input[field];
    if (typeof value !== "string" || value === "") continue;
    const absolute = path.resolve(workspaceDir, value);
    const real = realOf(absolute, 0);
    if (real !== absolute) out[field] = real ?? "";
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function realOf(absolute: string, depth: number): string | null {
  if (depth > MAX_DEPTH) return null;
  try {
    return realpathSync(absolute);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") return null;
    const parent = path.dirname(absolute);
    if (parent === absolute) return absolute;
    const realParent = realOf(parent, depth + 1);
    return realParent === null ? null : path.join(realParent, path.basename(absolute));
  }
}
