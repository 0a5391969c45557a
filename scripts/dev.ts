/**
 * `npm start`: the whole platform on this machine, nothing outside loopback (see
 * scripts/local-platform.ts). By default the model is the project's scripted model server, so
 * a newcomer without an API key can run a full session offline and watch tools being used;
 * `--model anthropic` sends the model gateway to Anthropic's API with the user's stored key.
 */
import { parseArgs } from "node:util";
import { ensureDevVars } from "./local-env.ts";
import { startLocalPlatform } from "./local-platform.ts";
import { mintLocalToken } from "./mint-token.ts";

/** The API key stored for the demo user in offline mode: the scripted model accepts any key. */
const DEMO_API_KEY = "sk-ant-demo-offline-key-not-a-real-credential";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: process.env.PORT ?? "8787" },
    email: { type: "string", default: "you@example.com" },
    model: { type: "string", default: process.env.AI_SESSIONS_MODEL ?? "demo" },
    verbose: { type: "boolean", default: false },
  },
});
if (values.model !== "demo" && values.model !== "anthropic") {
  console.error("--model must be demo or anthropic");
  process.exit(2);
}
const demo = values.model === "demo";

const secrets = ensureDevVars();
const platform = await startLocalPlatform({ port: Number(values.port), scriptedModel: demo, verbose: values.verbose });
const token = await mintLocalToken(secrets.JWT_SECRET!, values.email);

if (demo) {
  // Register the demo user and store a placeholder key so a session can start right away.
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  await fetch(`${platform.baseUrl}/v1/register`, { method: "POST", headers });
  await fetch(`${platform.baseUrl}/v1/auth/claude/apikey`, { method: "POST", headers, body: JSON.stringify({ api_key: DEMO_API_KEY }) });
}

console.log(`
AI Sessions is running at ${platform.baseUrl}   (model: ${demo ? "scripted demo model, offline" : "Anthropic API"})
  health:   ${platform.baseUrl}/healthz
  API docs: ${platform.baseUrl}/openapi
  sign in as ${values.email} with this token (12 h; mint others: npm run token -- --email alice@example.com):

  ${token}
${demo ? `
  Try a session (the demo model lists the workspace, writes report.md and summarises):
  curl -X POST ${platform.baseUrl}/v1/sessions -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"initial_prompt":"Look around","permission_mode":"bypassPermissions"}'
` : ""}
Press Ctrl+C to stop.`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await platform.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
