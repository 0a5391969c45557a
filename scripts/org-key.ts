/**
 * Issues an org API key on the local platform (or any deployment, given its URL and operator
 * token):  npm run org-key -- --org acme [--name automation] [--url http://127.0.0.1:8787]
 * The key is printed once; the platform keeps only its hash.
 */
import { ensureDevVars } from "./local-env.ts";
import { parseScriptArgs } from "./script-args.ts";

const USAGE = `Usage: npm run org-key -- --org <org id> [--name automation] [--url http://127.0.0.1:8787]

Issues an API key for an organisation and prints it once (the platform keeps only its hash).
Authenticates with ORG_ADMIN_TOKEN from the environment, or from .dev.vars locally.`;
const values = parseScriptArgs(USAGE, {
  org: { type: "string" },
  name: { type: "string", default: "automation" },
  url: { type: "string", default: process.env.AI_SESSIONS_URL ?? "http://127.0.0.1:8787" },
});
if (!values.org) {
  console.error(`--org is required\n\n${USAGE}`);
  process.exit(2);
}
const operatorToken = process.env.ORG_ADMIN_TOKEN ?? ensureDevVars().ORG_ADMIN_TOKEN!;
const response = await fetch(`${values.url}/v1/orgs/${encodeURIComponent(values.org)}/keys`, {
  method: "POST",
  headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
  body: JSON.stringify({ name: values.name }),
});
const body = (await response.json()) as { key?: string; message?: string };
if (!response.ok || !body.key) {
  console.error(`could not issue a key: ${response.status} ${body.message ?? ""}`);
  process.exit(1);
}
console.log(body.key);
