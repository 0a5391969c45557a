// Entry point of the local sandbox host:
// `node sandbox-host/main.ts [--port 8788] [--host 127.0.0.1] [--sandbox process|container]
//   [--warm-sandboxes 1]`.
// Env: SANDBOX_HOST_TOKEN (required), SANDBOX_ROOT (default: a new temporary directory),
// AI_SESSIONS_SANDBOX (the --sandbox default), SANDBOX_IMAGE/CPUS/MEMORY/PIDS/NETWORK (container mode).
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { startSandboxHost } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8788" },
    host: { type: "string", default: "127.0.0.1" },
    sandbox: { type: "string", default: process.env["AI_SESSIONS_SANDBOX"] ?? "process" },
    // Started sandboxes kept waiting for new sessions (warm-pool.ts); 0 disables the pool.
    "warm-sandboxes": { type: "string", default: "1" },
  },
});
if (values.sandbox !== "process" && values.sandbox !== "container") {
  process.stderr.write(`sandbox host: --sandbox must be process or container, not ${values.sandbox}\n`);
  process.exit(2);
}
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`sandbox host: invalid --port ${values.port}\n`);
  process.exit(2);
}
const warmSandboxes = Number(values["warm-sandboxes"]);
if (!Number.isInteger(warmSandboxes) || warmSandboxes < 0 || warmSandboxes > 64) {
  process.stderr.write(`sandbox host: --warm-sandboxes must be a whole number from 0 to 64, not ${values["warm-sandboxes"]}\n`);
  process.exit(2);
}
const token = process.env["SANDBOX_HOST_TOKEN"];
if (!token) {
  process.stderr.write("sandbox host: SANDBOX_HOST_TOKEN is required\n");
  process.exit(2);
}
const ownRoot = !process.env["SANDBOX_ROOT"];
const root = process.env["SANDBOX_ROOT"] ?? mkdtempSync(path.join(os.tmpdir(), "sandboxes-"));

const host = await startSandboxHost({
  port,
  token,
  root,
  host: values.host,
  echoLogs: true,
  sandbox: values.sandbox,
  warmSandboxes,
});
process.stderr.write(`sandbox host listening on ${host.url} (sandboxes in ${root})\n`);

let closing = false;
const shutdown = async (signal: string): Promise<void> => {
  if (closing) return;
  closing = true;
  process.stderr.write(`sandbox host: ${signal}, stopping all sandboxes\n`);
  await host.close();
  // A root we made ourselves is scratch space; one the operator chose is theirs to keep.
  if (ownRoot) rmSync(root, { recursive: true, force: true });
  process.exit(0);
};
process.once("SIGINT", () => void shutdown("SIGINT"));
process.once("SIGTERM", () => void shutdown("SIGTERM"));
