/**
 * `npm start`: the whole platform on this machine, nothing outside loopback.
 * 1. creates `.dev.vars` with fresh local secrets (first run only),
 * 2. applies the D1 migrations to the local database,
 * 3. runs `wrangler dev` (Worker, Durable Objects, local D1 and R2),
 * and prints a sign-in token for a local user.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import path from "node:path";
import { parseArgs } from "node:util";
import { ensureDevVars, ROOT } from "./local-env.ts";
import { mintLocalToken } from "./mint-token.ts";

/** Keeps wrangler from reaching for the internet, which is not there. */
export const OFFLINE_WRANGLER_ENV = { WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" };

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "8787" },
    email: { type: "string", default: "you@example.com" },
  },
});

const bin = (name: string) => path.join(ROOT, "node_modules", ".bin", name);
const env = { ...process.env, ...OFFLINE_WRANGLER_ENV };
const vars = ensureDevVars();

const migrate = spawnSync(bin("wrangler"), ["d1", "migrations", "apply", "DB", "--local"], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
if (migrate.status !== 0) process.exit(migrate.status ?? 1);

const children: ChildProcess[] = [];
const wrangler = spawn(bin("wrangler"), ["dev", "--port", values.port, "--ip", "127.0.0.1"], { cwd: ROOT, env, stdio: ["ignore", "inherit", "inherit"] });
children.push(wrangler);

const baseUrl = `http://127.0.0.1:${values.port}`;
const token = await mintLocalToken(vars.JWT_SECRET!, values.email);
console.log(`
AI Sessions is starting at ${baseUrl}
  health:   ${baseUrl}/healthz
  API docs: ${baseUrl}/openapi
  sign in as ${values.email} with this token (valid 12 h; mint others with npm run token -- --email you@example.com):
  ${token}
`);

const stop = () => {
  for (const child of children) child.kill("SIGTERM");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
wrangler.on("exit", (code) => {
  stop();
  process.exit(code ?? 0);
});
