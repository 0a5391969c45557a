/** Helpers of the D&R rules tests: a fresh org with a key and an Anthropic secret, rules stored and enabled. */
import { expect } from "vitest";
import { call } from "./helpers.ts";

const OPERATOR = { authorization: "Bearer test-operator-token" };

export interface TestOrg {
  oid: string;
  headers: Record<string, string>;
}

/** A new org with an API key and the secret `anthropic` (a literal test key). */
export async function orgWithSecret(): Promise<TestOrg> {
  const oid = `org-${crypto.randomUUID().slice(0, 8)}`;
  const created = await call("POST", `/v1/orgs/${oid}/keys`, { headers: OPERATOR, body: { name: "rules" } });
  expect(created.status).toBe(201);
  const headers = { authorization: `Bearer ${created.body.key}`, "x-lc-oid": oid };
  expect(
    (await call("PUT", `/v1/orgs/${oid}/secrets/anthropic`, { headers, body: { value: "sk-ant-rules-test-key-0123456789" } })).status,
  ).toBe(200);
  return { oid, headers };
}

/** Stores `rule` (enabled unless it says otherwise) and returns the answer's body. */
export async function putRule(org: TestOrg, name: string, rule: Record<string, unknown>): Promise<any> {
  const answer = await call("PUT", `/v1/orgs/${org.oid}/rules/${name}`, { headers: org.headers, body: { enabled: true, ...rule } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body;
}

/** Posts events (one, `{events}`, or an NDJSON string) and returns the per-event results. */
export async function postEvents(org: TestOrg, body: unknown, contentType?: string): Promise<any[]> {
  const headers = contentType ? { ...org.headers, "content-type": contentType } : org.headers;
  const answer = await call("POST", `/v1/orgs/${org.oid}/events`, { headers, body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.results;
}

/** A NEW_PROCESS event. */
export function processEvent(
  commandLine: string,
  routing: Record<string, unknown> = {},
): { routing: Record<string, unknown>; event: Record<string, unknown> } {
  return {
    routing: { event_type: "NEW_PROCESS", hostname: "ws-1", sid: "sensor-1", event_id: crypto.randomUUID(), ...routing },
    event: { COMMAND_LINE: commandLine, USER_NAME: "bob" },
  };
}
