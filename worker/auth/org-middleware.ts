/** Authentication of automation callers: org API keys, and the operator who issues them. */
import type { MiddlewareHandler } from "hono";
import { OrgId } from "../../schemas/org.ts";
import { sha256Hex } from "../../platform/crypto/encoding.ts";
import { findOrgKey } from "../../platform/db/org-keys.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError } from "../../platform/errors.ts";
import { bearerToken } from "./jwt.ts";

/** Header naming the org a key acts for (as the product's clients send it). */
export const ORG_HEADER = "x-lc-oid";

/** 401 unless `Authorization: Bearer <org API key>` and `X-LC-OID` name the same org; sets `c.var.org`. */
export const requireOrg: MiddlewareHandler<AppEnv> = async (c, next) => {
  const key = bearerToken(c.req.raw);
  const claimed = c.req.header(ORG_HEADER);
  if (!key || !claimed) throw new ApiError(401, "unauthorized", `org routes need an org API key (Bearer) and ${ORG_HEADER}`);
  if (!OrgId.safeParse(claimed).success) throw new ApiError(400, "invalid_request", `${ORG_HEADER} is not a valid org id`);
  const match = await findOrgKey(c.env.DB, key);
  if (!match || match.org_id !== claimed) throw new ApiError(401, "unauthorized", "invalid org API key for this org");
  const inPath = c.req.param("oid");
  if (inPath !== undefined && inPath !== match.org_id) throw new ApiError(403, "wrong_org", "this key belongs to another org");
  c.set("org", { id: match.org_id, keyId: match.id, expiresAt: match.expires_at === null ? null : Date.parse(match.expires_at) });
  await next();
};

/** 401 unless the caller presents the operator's `ORG_ADMIN_TOKEN`. */
export const requireOperator: MiddlewareHandler<AppEnv> = async (c, next) => {
  const presented = bearerToken(c.req.raw);
  const expected = c.env.ORG_ADMIN_TOKEN;
  if (!expected) throw new ApiError(403, "operator_disabled", "ORG_ADMIN_TOKEN is not configured on this deployment");
  // Compare digests so the comparison takes the same time whatever the input.
  if (!presented || (await sha256Hex(presented)) !== (await sha256Hex(expected)))
    throw new ApiError(401, "unauthorized", "operator token required");
  await next();
};
