// CLI: `node model-server/main.ts [--port 8790] [--host 127.0.0.1] [--latency-ms 0]`.
import { parseArgs } from "node:util";
import { startModelServer } from "./server.ts";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8790" },
    host: { type: "string", default: "127.0.0.1" },
    "latency-ms": { type: "string", default: "0" },
  },
});

const server = await startModelServer({
  port: Number(values.port),
  host: values.host,
  latencyMs: Number(values["latency-ms"]),
});
console.log(`model server listening on ${server.url}`);

let stopping = false;
async function stop(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`model server: ${signal}, shutting down`);
  await server.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
