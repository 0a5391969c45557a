/**
 * Organisations (docs/api.md §8): API keys (issued, listed, revoked and expired by the operator)
 * and org secrets.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { OrgKeyCreate, OrgKeyCreated, OrgKeyInfo, OrgKeyList, OrgKeyUpdate, OrgSecretList, OrgSecretPut } from "../../schemas/org.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { createOrgKey, listOrgKeys, revokeOrgKey, setOrgKeyExpiry } from "../../platform/db/org-keys.ts";
import { liveOrgSessionIds } from "../../platform/db/sessions.ts";
import type { Env } from "../../platform/env.ts";
import { deleteOrgSecret, listOrgSecrets, putOrgSecret } from "../../platform/db/org-secrets.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { notFound } from "../../platform/errors.ts";
import { sessionStub } from "../sessions/start-session.ts";

/** Closes the sockets a key that no longer works has open on the org's live sessions. */
async function closeSocketsOfKey(env: Env, orgId: string, keyId: string): Promise<void> {
  const ids = await liveOrgSessionIds(env.DB, orgId);
  await Promise.all(ids.map((id) => sessionStub(env, id).closeClientsOfKey(keyId)));
}

/** Answer of a secret write or delete. */
const SecretWritten = z.object({ name: z.string(), stored: z.boolean() }).meta({ id: "OrgSecretWritten" });

export function orgRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/v1/orgs/:oid/keys",
      summary: "Issue an org API key (operator only); the key is shown once.",
      tag: "orgs",
      auth: "operator",
      body: OrgKeyCreate,
      status: 201,
      response: OrgKeyCreated,
    },
    async (c, { params, body }) => {
      const id = newId();
      const createdAt = new Date().toISOString();
      const expiresAt = body.expires_at ? new Date(body.expires_at).toISOString() : null;
      const key = await createOrgKey(c.env.DB, params.oid!, body.name, id, createdAt, expiresAt);
      return c.json({ id, org_id: params.oid!, name: body.name, key, created_at: createdAt, expires_at: expiresAt }, 201);
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/orgs/:oid/keys",
      summary: "List the org's API keys (operator only): names, dates, last use; never the keys.",
      tag: "orgs",
      auth: "operator",
      response: OrgKeyList,
    },
    async (c, { params }) => c.json({ keys: await listOrgKeys(c.env.DB, params.oid!) }),
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/orgs/:oid/keys/:id",
      summary: "Revoke an org API key (operator only): refused from the next request on; its open sockets close (4001).",
      tag: "orgs",
      auth: "operator",
      response: OrgKeyInfo,
    },
    async (c, { params }) => {
      const key = await revokeOrgKey(c.env.DB, params.oid!, params.id!, new Date().toISOString());
      if (!key) throw notFound("key");
      await closeSocketsOfKey(c.env, params.oid!, key.id);
      return c.json(key);
    },
  );

  route(
    app,
    {
      method: "put",
      path: "/v1/orgs/:oid/keys/:id",
      summary: "Set or clear an org API key's expiry (operator only); a time not in the future expires it now.",
      tag: "orgs",
      auth: "operator",
      body: OrgKeyUpdate,
      response: OrgKeyInfo,
    },
    async (c, { params, body }) => {
      const key = await setOrgKeyExpiry(c.env.DB, params.oid!, params.id!, body.expires_at);
      if (!key) throw notFound("key");
      if (key.expires_at !== null && Date.parse(key.expires_at) <= Date.now()) await closeSocketsOfKey(c.env, params.oid!, key.id);
      return c.json(key);
    },
  );

  route(
    app,
    {
      method: "put",
      path: "/v1/orgs/:oid/secrets/:name",
      summary: "Create or replace an org secret (sealed at rest).",
      tag: "orgs",
      auth: "org",
      body: OrgSecretPut,
      response: SecretWritten,
    },
    async (c, { params, body }) => {
      await putOrgSecret(
        c.env.DB,
        await keyringFrom(c.env),
        c.var.org.id,
        params.name!,
        body.value,
        new Date().toISOString(),
        body.expose_to_sessions,
      );
      return c.json({ name: params.name!, stored: true });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/orgs/:oid/secrets",
      summary: "List the org's secret names (never their values).",
      tag: "orgs",
      auth: "org",
      response: OrgSecretList,
    },
    async (c) => c.json({ secrets: await listOrgSecrets(c.env.DB, c.var.org.id) }),
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/orgs/:oid/secrets/:name",
      summary: "Delete an org secret.",
      tag: "orgs",
      auth: "org",
      response: SecretWritten,
    },
    async (c, { params }) => {
      if (!(await deleteOrgSecret(c.env.DB, c.var.org.id, params.name!))) throw notFound("secret");
      return c.json({ name: params.name!, stored: false });
    },
  );
}
