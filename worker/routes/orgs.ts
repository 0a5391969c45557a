/** Organisations (API.md §8): API keys (issued by the operator) and org secrets. */
import type { Hono } from "hono";
import { z } from "zod";
import { OrgKeyCreate, OrgKeyCreated, OrgSecretList, OrgSecretPut } from "../../schemas/org.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { createOrgKey } from "../../platform/db/org-keys.ts";
import { deleteOrgSecret, listOrgSecrets, putOrgSecret } from "../../platform/db/org-secrets.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { notFound } from "../../platform/errors.ts";

/** Answer of a secret write or delete. */
const SecretWritten = z.object({ name: z.string(), stored: z.boolean() }).meta({ id: "OrgSecretWritten" });

export function orgRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    { method: "post", path: "/v1/orgs/:oid/keys", summary: "Issue an org API key (operator only); the key is shown once.", tag: "orgs", auth: "operator", body: OrgKeyCreate, status: 201, response: OrgKeyCreated },
    async (c, { params, body }) => {
      const id = newId();
      const createdAt = new Date().toISOString();
      const key = await createOrgKey(c.env.DB, params.oid!, body.name, id, createdAt);
      return c.json({ id, org_id: params.oid!, name: body.name, key, created_at: createdAt }, 201);
    },
  );

  route(
    app,
    { method: "put", path: "/v1/orgs/:oid/secrets/:name", summary: "Create or replace an org secret (sealed at rest).", tag: "orgs", auth: "org", body: OrgSecretPut, response: SecretWritten },
    async (c, { params, body }) => {
      await putOrgSecret(c.env.DB, await keyringFrom(c.env), c.var.org.id, params.name!, body.value, new Date().toISOString());
      return c.json({ name: params.name!, stored: true });
    },
  );

  route(
    app,
    { method: "get", path: "/v1/orgs/:oid/secrets", summary: "List the org's secret names (never their values).", tag: "orgs", auth: "org", response: OrgSecretList },
    async (c) => c.json({ secrets: await listOrgSecrets(c.env.DB, c.var.org.id) }),
  );

  route(
    app,
    { method: "delete", path: "/v1/orgs/:oid/secrets/:name", summary: "Delete an org secret.", tag: "orgs", auth: "org", response: SecretWritten },
    async (c, { params }) => {
      if (!(await deleteOrgSecret(c.env.DB, c.var.org.id, params.name!))) throw notFound("secret");
      return c.json({ name: params.name!, stored: false });
    },
  );
}
