// Whether node_modules already holds what package-lock.json asks for: exit 0 if so, 1 if
// `npm ci` is needed. Compared by content, not by modification time: a fresh checkout of the
// same lockfile (a `git checkout`, a new worktree) is newer than the install but asks for
// nothing new, and `npm ci` would delete and rebuild node_modules for nothing (through a
// symbolic link, the tree it points to). Plain JavaScript: it runs on whatever Node runs npm,
// before the project's Node 22 is installed.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The `packages` map of a lockfile, or null when it is missing or unreadable. */
function packagesOf(file) {
  try {
    return JSON.parse(readFileSync(path.join(root, file), "utf8")).packages ?? null;
  } catch {
    return null;
  }
}

const wanted = packagesOf("package-lock.json");
// npm's record of what it installed (its "hidden lockfile"): the same entries, less the root
// and the optional packages of other platforms.
const installed = packagesOf("node_modules/.package-lock.json");

function current() {
  if (!wanted || !installed) return false;
  for (const [name, entry] of Object.entries(installed)) {
    if (JSON.stringify(entry) !== JSON.stringify(wanted[name])) return false;
  }
  for (const [name, entry] of Object.entries(wanted)) {
    if (name !== "" && !(name in installed) && !entry.optional) return false;
  }
  return true;
}

process.exit(current() ? 0 : 1);
