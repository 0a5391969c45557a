/**
 * Org usage by identity (`limacharlie ai usage list|get`): every metered model call of an org
 * session, made through the real gateway, counts in the hourly usage of the key that started it.
 */
import { describe, expect, it } from "vitest";
import { gateway, messagesBody } from "./gateway-helpers.ts";
import { call } from "./helpers.ts";
import { newOrg, OPERATOR } from "./org-helpers.ts";
import { recordedSandbox, userWithKey, createSession } from "./session-helpers.ts";

/** Starts an org session with `headers`; returns its id. */
async function startWith(headers: Record<string, string>): Promise<string> {
  const created = await call("POST", "/v1/api/sessions", {
    headers,
    body: { prompt: "go", anthropic_key: "sk-ant-api03-usage-identities-0123456789" },
  });
  expect(created.status).toBe(201);
  return created.body.session_id;
}

/** One model call through the gateway, as the session's sandbox makes it. */
async function callModel(sessionId: string, text: string): Promise<void> {
  const sandbox = await recordedSandbox(sessionId);
  const answer = await gateway(`${sandbox.env.GATEWAY_URL}/v1/messages`, {
    token: sandbox.env.GATEWAY_TOKEN!,
    body: messagesBody(text, true),
  });
  expect(answer.status).toBe(200);
  await answer.text();
}

/** Polls an identity's usage until its hourly points count `requests` calls (usage is recorded after the answer ends). */
async function usageWith(headers: Record<string, string>, identity: string, requests: number): Promise<any[]> {
  for (let i = 0; i < 200; i++) {
    const answer = await call("GET", `/v1/org/usage/identities/${encodeURIComponent(identity)}`, { headers });
    expect(answer.status).toBe(200);
    expect(answer.body.identity).toBe(identity);
    const points = answer.body.usage as any[];
    if (points.reduce((n, p) => n + p.requests, 0) >= requests) return points;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${identity} never reached ${requests} requests`);
}

const sum = (points: any[], field: string) => points.reduce((n, p) => n + p[field], 0);

describe("org usage by identity", () => {
  it("lists the keys with usage and gives each one's hourly tokens and cost, matching its sessions' usage", async () => {
    const org = await newOrg();
    const second = await call("POST", `/v1/orgs/${org.oid}/keys`, { headers: OPERATOR, body: { name: "nightly triage" } });
    const secondHeaders = { authorization: `Bearer ${second.body.key}`, "x-lc-oid": org.oid };
    expect((await call("GET", "/v1/org/usage/identities", { headers: org.headers })).body).toEqual({ identities: [] });

    const a = await startWith(org.headers);
    const b = await startWith(secondHeaders);
    await callModel(a, "first answer");
    await callModel(a, "second, longer answer for the first key");
    await callModel(b, "third");

    const first = await usageWith(org.headers, "automation", 2);
    const other = await usageWith(org.headers, "nightly triage", 1);
    const listed = await call("GET", "/v1/org/usage/identities", { headers: secondHeaders });
    expect(listed.body).toEqual({ identities: ["automation", "nightly triage"] });

    // The points add up to exactly what the sessions' records metered.
    const usageOf = async (id: string) => (await call("GET", `/v1/org/sessions/${id}`, { headers: org.headers })).body.session.usage;
    const [ua, ub] = [await usageOf(a), await usageOf(b)];
    expect(sum(first, "input_tokens")).toBe(ua.input_tokens);
    expect(sum(first, "output_tokens")).toBe(ua.output_tokens);
    expect(sum(first, "cost_usd")).toBeCloseTo(ua.cost_usd, 6);
    expect(sum(other, "output_tokens")).toBe(ub.output_tokens);
    expect(sum(other, "requests")).toBe(1);
    for (const point of [...first, ...other]) expect(point.hour).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00:00\.000Z$/);
  });

  it("shows an org only its own identities, nothing for an unknown one, and never counts user sessions", async () => {
    const org = await newOrg();
    const other = await newOrg();
    await callModel(await startWith(org.headers), "mine");
    await usageWith(org.headers, "automation", 1);
    expect((await call("GET", "/v1/org/usage/identities", { headers: other.headers })).body).toEqual({ identities: [] });
    expect((await call("GET", "/v1/org/usage/identities/automation", { headers: other.headers })).body).toEqual({
      identity: "automation",
      usage: [],
    });
    // A user's own session pays with the user's key and is no org's usage.
    const { token } = await userWithKey();
    const userSession = await createSession(token);
    await callModel(userSession, "not the org's");
    expect((await call("GET", "/v1/org/usage/identities", { headers: org.headers })).body).toEqual({ identities: ["automation"] });
    expect((await call("GET", "/v1/org/usage/identities", { token })).status).toBe(401);
    expect((await call("GET", "/v1/org/usage/identities/bad%00name", { headers: org.headers })).status).toBe(404);
  });
});
