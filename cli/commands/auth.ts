/** `auth claude ...`: store, inspect and remove the Claude credential sessions run with. */
import { isAiSessionsError } from "../../sdk/index.ts";
import { stringOption, UsageError } from "../args.ts";
import type { Command } from "../command.ts";
import { askLine, readAll } from "../io.ts";
import { PROGRAM } from "../help.ts";
import { EXIT } from "../output.ts";
import { ensureRegistered } from "../registration.ts";

/** How long to wait for the platform to have the authorization URL ready. */
const OAUTH_URL_WAIT_MS = 10_000;

const setKey: Command = {
  path: ["auth", "claude", "set-key"],
  args: "[--key K]",
  summary: "Store an Anthropic API key (from --key, or read from stdin).",
  options: { key: { type: "string" } },
  json: true,
  async run(ctx, { values }) {
    let key = stringOption(values, "key");
    if (key === undefined) {
      key = ctx.io.stdin.isTTY
        ? ((await askLine(ctx.io, "Anthropic API key (sk-ant-…): ", { hidden: true })) ?? "")
        : await readAll(ctx.io.stdin);
      key = key.trim();
    }
    if (key === "") throw new UsageError("no API key given: pass --key or type/pipe it on stdin");
    await ensureRegistered(ctx.client);
    const stored = await ctx.client.auth.setApiKey(key);
    ctx.out.result(stored, () => "API key stored. Sessions now run with it.");
  },
};

const login: Command = {
  path: ["auth", "claude", "login"],
  summary: "Connect a Claude Max account (OAuth): open the printed URL, then paste the code.",
  json: true,
  async run(ctx) {
    await ensureRegistered(ctx.client);
    const started = await ctx.client.auth.startOAuth();
    const deadline = Date.now() + OAUTH_URL_WAIT_MS;
    let url = await ctx.client.auth.oauthUrl(started.oauth_session_id);
    while (url.status !== "ready" && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      url = await ctx.client.auth.oauthUrl(started.oauth_session_id);
    }
    if (!url.url) {
      ctx.out.error("the platform did not produce an authorization URL in time; try again", {
        error: "oauth_url_timeout",
        message: url.message,
      });
      return EXIT.failure;
    }
    ctx.out.info(`Open this URL in a browser and authorize:\n\n  ${url.url}\n`);
    const code = (await askLine(ctx.io, "Paste the code shown after authorizing: "))?.trim();
    if (!code) throw new UsageError("no code entered");
    const completed = await ctx.client.auth.submitOAuthCode(started.oauth_session_id, code);
    ctx.out.result(completed, () => "Claude account connected. Sessions now run with it.");
  },
};

const status: Command = {
  path: ["auth", "claude", "status"],
  summary: "Whether a Claude credential is stored, and which kind.",
  json: true,
  async run(ctx) {
    let answer;
    try {
      answer = { registered: true, ...(await ctx.client.auth.credentialStatus()) };
    } catch (error) {
      // Not an error for this question: an unregistered caller simply has no credential.
      if (!isAiSessionsError(error, "not_registered")) throw error;
      answer = { registered: false, has_credentials: false, credential_type: null, created_at: null, simulated_model: false };
    }
    // The platform says its model is simulated (the offline demo): a stored key is then its placeholder.
    const demo = answer.simulated_model
      ? `\nOffline demo: the model is simulated and accepts any key${answer.has_credentials ? " (the stored one is a placeholder)" : ""}; its answers and costs are invented.`
      : "";
    ctx.out.result(answer, () => {
      if (!answer.registered) return `Not registered yet; no Claude credential. Run: ${PROGRAM} auth claude set-key`;
      if (!answer.has_credentials) return `No Claude credential stored. Run: ${PROGRAM} auth claude set-key (or login)${demo}`;
      return `Claude credential: ${answer.credential_type === "api_key" ? "API key" : "OAuth token"} (stored ${answer.created_at})${demo}`;
    });
  },
};

const logout: Command = {
  path: ["auth", "claude", "logout"],
  summary: "Remove the stored Claude credential.",
  json: true,
  async run(ctx) {
    const answer = await ctx.client.auth.deleteCredential();
    ctx.out.result(answer, () => (answer.deleted ? "Claude credential removed." : "No Claude credential was stored."));
  },
};

/** The `auth` commands. */
export const authCommands: Command[] = [setKey, login, status, logout];
