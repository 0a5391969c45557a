/** An org's lookups for the `lookup` operator of its rules (DR.md §8): key → metadata maps. */
import type { Hono } from "hono";
import { LookupDeleted, LookupInfo, LookupPut, MAX_LOOKUP_BYTES, RuleName } from "../../schemas/rules.ts";
import { deleteLookup, getLookup, putLookup } from "../../platform/db/lookups.ts";
import { notFound } from "../../platform/errors.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";

function lookupName(raw: string): string {
  if (!RuleName.safeParse(raw).success) throw notFound("lookup");
  return raw;
}

export function lookupRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "put",
      path: "/v1/orgs/:oid/lookups/:name",
      summary: "Create or replace a lookup (hive://lookup/<name>).",
      tag: "rules",
      auth: "org",
      body: LookupPut,
      maxBodyBytes: MAX_LOOKUP_BYTES,
      response: LookupInfo,
    },
    async (c, { params, body }) => {
      const now = new Date().toISOString();
      await putLookup(c.env.DB, c.var.org.id, lookupName(params.name!), JSON.stringify(body.data), now);
      return c.json({ name: params.name!, data: body.data, updated_at: now });
    },
  );

  route(
    app,
    { method: "get", path: "/v1/orgs/:oid/lookups/:name", summary: "Read a lookup.", tag: "rules", auth: "org", response: LookupInfo },
    async (c, { params }) => {
      const row = await getLookup(c.env.DB, c.var.org.id, lookupName(params.name!));
      if (!row) throw notFound("lookup");
      return c.json({ name: params.name!, data: JSON.parse(row.body), updated_at: row.updated_at });
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/orgs/:oid/lookups/:name",
      summary: "Delete a lookup.",
      tag: "rules",
      auth: "org",
      response: LookupDeleted,
    },
    async (c, { params }) => {
      if (!(await deleteLookup(c.env.DB, c.var.org.id, lookupName(params.name!)))) throw notFound("lookup");
      return c.json({ deleted: true as const });
    },
  );
}
