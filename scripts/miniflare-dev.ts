/**
 * The Worker under Miniflare directly, without `wrangler dev`'s proxy: for the benchmarks
 * (scripts/local-platform.ts `runtime: "miniflare"`), which measure the platform, not the
 * development server in front of it.
 *
 * `wrangler dev` runs two workerd processes: a ProxyWorker (it queues requests while the Worker
 * reloads) in front of the user Worker, so every request and every WebSocket message crosses
 * both, and the user Worker's runtime has the V8 inspector attached. A deployed Worker has
 * neither. This starts the same Worker the same way otherwise: wrangler bundles it
 * (`wrangler deploy --dry-run`, the bundle a deploy would upload), wrangler translates the
 * config into Miniflare's options (`unstable_getMiniflareWorkerOptions`: the same bindings, Durable
 * Object classes, assets), and Miniflare runs it in the same workerd with the same local
 * D1/R2/DO persistence under `--persist-to` (`<dir>/v3`, as wrangler dev keeps it).
 *
 * Takes the `wrangler dev` arguments the launcher passes (`--config`, `--port`, `--ip`,
 * `--persist-to`, `--var KEY:VALUE`, `--show-interactive-dev-session`), so the launcher swaps the
 * command and nothing else.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions, type V4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_readConfig } from "wrangler";
import { ROOT } from "./local-env.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    config: { type: "string", default: path.join(ROOT, "wrangler.toml") },
    port: { type: "string", default: "8787" },
    ip: { type: "string", default: "127.0.0.1" },
    "persist-to": { type: "string", default: path.join(ROOT, ".wrangler", "state") },
    var: { type: "string", multiple: true, default: [] },
    "show-interactive-dev-session": { type: "string" },
  },
});

const config = path.resolve(values.config);
mkdirSync(path.join(ROOT, ".wrangler", "tmp"), { recursive: true });
const bundleDir = mkdtempSync(path.join(ROOT, ".wrangler", "tmp", "miniflare-dev-"));
const removeBundle = () => rmSync(bundleDir, { recursive: true, force: true });

// wrangler's own bundle of the Worker, as `wrangler deploy` would upload it (`npm run deploy:check`).
const build = spawnSync(
  path.join(ROOT, "node_modules", ".bin", "wrangler"),
  ["deploy", "--dry-run", "--containers-rollout=none", "--config", config, "--outdir", bundleDir],
  { cwd: ROOT, encoding: "utf8" },
);
if (build.status !== 0) {
  removeBundle();
  console.error(`bundling the Worker failed:\n${build.stdout}\n${build.stderr}`);
  process.exit(1);
}

const wranglerConfig = unstable_readConfig({ config });
const { workerOptions } = unstable_getMiniflareWorkerOptions(wranglerConfig);
const vars = Object.fromEntries(
  values.var.map((entry) => {
    const colon = entry.indexOf(":");
    return [entry.slice(0, colon), entry.slice(colon + 1)];
  }),
);
const options: V4MiniflareOptions = {
  host: values.ip,
  port: Number(values.port),
  resourcePersistencePath: path.join(path.resolve(values["persist-to"]), "v3"),
  resourceTmpPath: path.join(ROOT, ".wrangler", "tmp"),
  log: new Log(LogLevel.WARN),
  logRequests: false,
  // No network here: the `cf` object is not fetched from Cloudflare (a placeholder is used).
  cf: false,
  // wrangler dev's local trace collector, which records every storage call (bench/run.ts).
  unsafeObservability: process.env.X_LOCAL_OBSERVABILITY !== "false",
  name: wranglerConfig.name,
  ...workerOptions,
  bindings: { ...(workerOptions.bindings as Record<string, unknown> | undefined), ...vars },
  modulesRoot: bundleDir,
  modules: [{ type: "ESModule", path: path.join(bundleDir, "index.js") }],
} as V4MiniflareOptions;

const miniflare = new Miniflare(convertV4MiniflareOptions(options));
try {
  await miniflare.ready;
} finally {
  // Miniflare has read the bundle into workerd's config by now; nothing reads it again.
  removeBundle();
}
console.log(`Ready on http://${values.ip}:${values.port}`);

const stop = async () => {
  await miniflare.dispose().catch(() => {});
  process.exit(0);
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
