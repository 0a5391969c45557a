/**
 * Builds the web UI into web/dist when it is missing or older than its sources, so
 * `wrangler dev` (which serves web/dist as static assets) always has a current UI.
 *
 *   import { ensureWebBuilt } from "./build.ts"; await ensureWebBuilt();
 *   node web/build.ts [--force]
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The web/ folder. */
export const WEB_ROOT = path.dirname(fileURLToPath(import.meta.url));
/** Where the build lands (wrangler.toml `[assets] directory`). */
export const WEB_DIST = path.join(WEB_ROOT, "dist");

/** Newest modification time among the UI's sources. */
function newestSource(): number {
  let newest = 0;
  const visit = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) for (const name of readdirSync(p)) visit(path.join(p, name));
    else newest = Math.max(newest, st.mtimeMs);
  };
  // ../client-core is bundled into the UI too (the transport and socket it shares with the SDK).
  for (const entry of ["index.html", "src", "public", "vite.config.ts", "../client-core"]) {
    const p = path.join(WEB_ROOT, entry);
    if (existsSync(p)) visit(p);
  }
  return newest;
}

/** True when web/dist holds a build at least as new as every source file. */
export function webBuildIsCurrent(): boolean {
  const index = path.join(WEB_DIST, "index.html");
  return existsSync(index) && statSync(index).mtimeMs >= newestSource();
}

/** Runs `vite build` for web/ unless the current build is up to date. Returns whether it built. */
export async function ensureWebBuilt(options: { force?: boolean; quiet?: boolean } = {}): Promise<boolean> {
  if (!options.force && webBuildIsCurrent()) return false;
  const { build } = await import("vite");
  await build({ configFile: path.join(WEB_ROOT, "vite.config.ts"), logLevel: options.quiet === false ? "info" : "warn" });
  return true;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await ensureWebBuilt({ force: process.argv.includes("--force"), quiet: false });
  if (!built) console.log("web/dist is up to date");
}
