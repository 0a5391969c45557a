/**
 * Manages org API keys on the local platform (or any deployment, given its URL and operator
 * token): issue one (printed once; the platform keeps only its hash), list, revoke, expire.
 *   npm run org-key -- --org acme [--name automation] [--expires-at 2027-01-01T00:00:00Z]
 *   npm run org-key -- --org acme --list
 *   npm run org-key -- --org acme --revoke <key id>
 *   npm run org-key -- --org acme --expire <key id> --expires-at <time>
 */
import { ensureDevVars } from "./local-env.ts";
import { parseScriptArgs } from "./script-args.ts";

const USAGE = `Usage: npm run org-key -- --org <org id> [--name automation] [--expires-at <ISO time>] [--url http://127.0.0.1:8787]
       npm run org-key -- --org <org id> --list
       npm run org-key -- --org <org id> --revoke <key id>
       npm run org-key -- --org <org id> --expire <key id> --expires-at <ISO time>

Issues an API key for an organisation and prints it once (the platform keeps only its hash);
or lists the org's keys (never the keys themselves), revokes one (refused from the next request
on; its open sockets close), or sets when one expires.
Authenticates with ORG_ADMIN_TOKEN from the environment, or from .dev.vars locally.`;
const values = parseScriptArgs(USAGE, {
  org: { type: "string" },
  name: { type: "string", default: "automation" },
  "expires-at": { type: "string" },
  list: { type: "boolean", default: false },
  revoke: { type: "string" },
  expire: { type: "string" },
  url: { type: "string", default: process.env.AI_SESSIONS_URL ?? "http://127.0.0.1:8787" },
});
if (!values.org) {
  console.error(`--org is required\n\n${USAGE}`);
  process.exit(2);
}
if (values.expire && !values["expires-at"]) {
  console.error(`--expire needs --expires-at\n\n${USAGE}`);
  process.exit(2);
}
const operatorToken = process.env.ORG_ADMIN_TOKEN ?? ensureDevVars().ORG_ADMIN_TOKEN!;
const keys = `${values.url}/v1/orgs/${encodeURIComponent(values.org)}/keys`;

/** Calls the operator API; exits with its message on failure. */
async function operator(method: string, url: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${operatorToken}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = (await response.json()) as Record<string, unknown>;
  if (!response.ok) {
    console.error(`${method} ${new URL(url).pathname}: ${response.status} ${String(answer.message ?? "")}`);
    process.exit(1);
  }
  return answer;
}

if (values.list) {
  console.log(JSON.stringify((await operator("GET", keys)).keys, null, 2));
} else if (values.revoke) {
  console.log(JSON.stringify(await operator("DELETE", `${keys}/${encodeURIComponent(values.revoke)}`), null, 2));
} else if (values.expire) {
  console.log(
    JSON.stringify(await operator("PUT", `${keys}/${encodeURIComponent(values.expire)}`, { expires_at: values["expires-at"] }), null, 2),
  );
} else {
  const created = await operator("POST", keys, {
    name: values.name,
    ...(values["expires-at"] ? { expires_at: values["expires-at"] } : {}),
  });
  console.log(created.key);
}
