/**
 * `npm start`: the whole platform on this machine, nothing outside loopback (see
 * scripts/local-platform.ts). By default the model is the project's scripted model server, so
 * a newcomer without an API key can run a full session offline and watch tools being used;
 * `--model anthropic` sends the model gateway to Anthropic's API with the user's stored key.
 */
import { buildSandboxImage } from "./build-sandbox-image.ts";
import { ensureDevVars } from "./local-env.ts";
import { PortInUseError, startLocalPlatform } from "./local-platform.ts";
import { mintLocalToken } from "./mint-token.ts";
import { parseScriptArgs } from "./script-args.ts";

/** The API key stored for the demo user in offline mode: the scripted model accepts any key. */
const DEMO_API_KEY = "sk-ant-demo-offline-key-not-a-real-credential";

const USAGE = `Usage: npm start -- [options]

Runs the whole platform on this machine: wrangler dev (Worker, Durable Objects, local D1 and R2),
the local sandbox host and, by default, the scripted demo model. Ctrl+C stops everything.

Options:
  --port N          port of the platform on 127.0.0.1 (default 8787, or $PORT)
  --email ADDRESS   who the printed sign-in token is for (default you@example.com)
  --model demo|anthropic
                    demo: the offline scripted model (default, or $AI_SESSIONS_MODEL);
                    anthropic: Anthropic's API with the key you store
  --sandbox process|container
                    process: each session's agent runs as a child process (default, or
                    $AI_SESSIONS_SANDBOX); container: in a container of the production image
                    (podman or docker; built or refreshed first), for machines shared by several
                    people, with SANDBOX_NETWORK=private to keep agents off the machine's loopback
  --verbose         print wrangler's and the runners' output
  -h, --help        this text`;

const values = parseScriptArgs(USAGE, {
  port: { type: "string", default: process.env.PORT ?? "8787" },
  email: { type: "string", default: "you@example.com" },
  model: { type: "string", default: process.env.AI_SESSIONS_MODEL ?? "demo" },
  sandbox: { type: "string", default: process.env.AI_SESSIONS_SANDBOX ?? "process" },
  verbose: { type: "boolean", default: false },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`--port must be a port number, not ${JSON.stringify(values.port)}`, 2);
if (values.model !== "demo" && values.model !== "anthropic") fail("--model must be demo or anthropic", 2);
if (values.sandbox !== "process" && values.sandbox !== "container") fail("--sandbox must be process or container", 2);
const demo = values.model === "demo";
const sandbox = values.sandbox as "process" | "container";

/** Says what went wrong in one paragraph and exits: the platform is not running. */
function fail(message: string, code = 1): never {
  console.error(`npm start: ${message}`);
  process.exit(code);
}

const secrets = ensureDevVars();
if (sandbox === "container") {
  // Cached layers: seconds when nothing changed; the first build takes a few minutes.
  const built = await buildSandboxImage({ log: (line) => console.error(line) }).catch((error: unknown) =>
    fail(`the container mode needs the sandbox image, and building it failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  console.error(`sandbox image ${built.image} ready (${built.seconds.toFixed(1)} s)`);
}
const platform = await startLocalPlatform({
  port,
  scriptedModel: demo,
  sandbox,
  verbose: values.verbose!,
  // Anything that stops on its own takes the platform down loudly, never silently.
  onUnexpectedExit: (message) => fail(`${message}\nAI Sessions has stopped.`),
}).catch((error: unknown) => {
  if (error instanceof PortInUseError)
    fail(`${error.message}.\nPick another port: npm start -- --port ${port + 1}   (or PORT=${port + 1} npm start)`);
  return fail(error instanceof Error ? error.message : String(error));
});
const token = await mintLocalToken(secrets.JWT_SECRET!, values.email!);

if (demo) {
  // Register the demo user and store a placeholder key so a session can start right away.
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  await fetch(`${platform.baseUrl}/v1/register`, { method: "POST", headers });
  await fetch(`${platform.baseUrl}/v1/auth/claude/apikey`, { method: "POST", headers, body: JSON.stringify({ api_key: DEMO_API_KEY }) });
}

console.log(`
AI Sessions is running at ${platform.baseUrl}   (model: ${demo ? "scripted demo model, offline; costs shown are simulated" : "Anthropic API"}; sandboxes: ${sandbox === "container" ? "containers" : "local processes"})

  Open in a browser to sign in as ${values.email} (asks before switching a signed-in user):
    ${platform.baseUrl}/#token=${token}
  API reference: ${platform.baseUrl}/docs   (machine-readable: ${platform.baseUrl}/openapi)

  Or from a shell (the token is valid 12 h; mint others: npm run token -- --email alice@example.com):
    export TOKEN=${token}
    export AI_SESSIONS_TOKEN=$TOKEN        # for the CLI: npm run cli -- chat
${
  demo
    ? `    curl -X POST ${platform.baseUrl}/v1/sessions -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' \\
      -d '{"initial_prompt":"Look around","permission_mode":"bypassPermissions"}'
    (the demo model lists the workspace, writes report.md and summarises)
`
    : ""
}
Accounts, profiles, session records and history, and archived workspaces persist in .wrangler/state
across restarts. Ctrl+C stops everything.`);

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await platform.stop();
  process.exit(0);
};
process.on("SIGINT", () => void shutdown());
process.on("SIGTERM", () => void shutdown());
