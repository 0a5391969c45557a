/**
 * Shared by the model gateway's workerd tests: a session with a stored credential, calls made
 * the way Claude Code makes them, and what the scripted model server received.
 */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { RecordedRequest } from "../../model-server/server.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { storeCredential } from "../../platform/db/credentials.ts";
import { call, registeredUser } from "./helpers.ts";
import { createSession, recordedSandbox } from "./session-helpers.ts";

declare global {
  namespace Cloudflare {
    interface Env {
      /** GET: the model server's recorded /v1/messages calls (vitest.config.ts). */
      TEST_MODEL_SERVER: Fetcher;
    }
  }
}

export const MODEL = "claude-sonnet-4-5-20250929";

/** A user whose stored credential is unique to this test, and a session of theirs. */
export async function sessionWith(credential: "api_key" | "oauth_token", body: Record<string, unknown> = {}) {
  const { user, token } = await registeredUser();
  const secret = `sk-ant-${credential === "api_key" ? "api03" : "oat01"}-${crypto.randomUUID()}`;
  await storeCredential(
    env.DB,
    await keyringFrom(env),
    user.sub,
    credential === "api_key"
      ? { type: "api_key", api_key: secret }
      : { type: "oauth_token", access_token: secret, refresh_token: null, expires_at: null },
    new Date().toISOString(),
  );
  const id = await createSession(token, body);
  const sandbox = await recordedSandbox(id);
  return { token, id, secret, baseUrl: sandbox.env.GATEWAY_URL!, gatewayToken: sandbox.env.GATEWAY_TOKEN! };
}

/** A Messages API body that the model server answers with `text`. */
export function messagesBody(text: string, stream: boolean): string {
  return JSON.stringify({
    model: MODEL,
    max_tokens: 1024,
    stream,
    messages: [{ role: "user", content: `[[scenario:text text="${text}"]]` }],
  });
}

/** Calls the gateway the way Claude Code does: POST with its headers and the gateway token. */
export function gateway(
  url: string,
  init: { token?: string | null; body?: BodyInit; method?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    "anthropic-version": "2023-06-01",
    "anthropic-beta": "claude-code-20250219",
    "content-type": "application/json",
    "user-agent": "claude-cli/2.1.329 (external, sdk-cli)",
    ...init.headers,
  };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  return exports.default.fetch(new Request(url, { method: init.method ?? "POST", headers, body: init.body }));
}

/** What the model server received with `secret` as credential. */
export async function receivedWith(secret: string): Promise<RecordedRequest[]> {
  const all = (await (await env.TEST_MODEL_SERVER.fetch("http://model-server/requests")).json()) as RecordedRequest[];
  return all.filter((request) => request.apiKey === secret);
}

export async function allReceived(): Promise<string> {
  return (await env.TEST_MODEL_SERVER.fetch("http://model-server/requests")).text();
}

/** Waits until the session's usage satisfies `done` (it is recorded after the answer ends). */
/** Polls the session record until `done` holds (usage is metered after the stream is answered). */
export async function recordOf(id: string, token: string, done: (record: any) => boolean): Promise<any> {
  for (let i = 0; i < 100; i++) {
    const record = await call("GET", `/v1/sessions/${id}`, { token });
    expect(record.status).toBe(200);
    if (done(record.body.session)) return record.body.session;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`session ${id} never reached the expected state`);
}

/** Waits until the session's usage satisfies `done` (it is recorded after the answer ends). */
export async function usageOf(id: string, token: string, done: (usage: any) => boolean): Promise<any> {
  return (await recordOf(id, token, (record) => done(record.usage))).usage;
}
