/** Shared by the org API's workerd tests: a fresh org with an API key, and headers that act for it. */
import { expect } from "vitest";
import { call } from "./helpers.ts";

/** The operator's token (vitest.config.ts `ORG_ADMIN_TOKEN`). */
export const OPERATOR = { authorization: "Bearer test-operator-token" };

/** A fresh org with an API key; returns headers that act for it (the key and `X-LC-OID`). */
export async function newOrg(): Promise<{ oid: string; headers: Record<string, string>; key: string }> {
  const oid = `org-${crypto.randomUUID().slice(0, 8)}`;
  const created = await call("POST", `/v1/orgs/${oid}/keys`, { headers: OPERATOR, body: { name: "automation" } });
  expect(created.status).toBe(201);
  expect(created.body.key).toMatch(/^ais_org_/);
  return { oid, key: created.body.key, headers: { authorization: `Bearer ${created.body.key}`, "x-lc-oid": oid } };
}
