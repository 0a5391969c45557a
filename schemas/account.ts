/** Registration and Claude credentials (docs/api.md §2). */
import { z } from "zod";
import { Id, Timestamp } from "./common.ts";

/** POST /v1/register. */
export const Registered = z.object({ registered: z.literal(true), registered_at: Timestamp }).meta({ id: "Registered" });

/** DELETE /v1/register. */
export const Deregistered = z.object({ deregistered: z.literal(true) }).meta({ id: "Deregistered" });

/** POST /v1/auth/claude/apikey. */
export const ApiKeyBody = z
  .object({
    api_key: z
      .string()
      .trim()
      .min(20, "api_key is too short")
      .max(512)
      .startsWith("sk-ant-", "api_key must start with sk-ant-")
      .regex(/^[\x21-\x7e]+$/, "api_key must be printable ASCII without spaces"),
  })
  .strict()
  .meta({ id: "ApiKeyBody" });

/** Answer of a credential write. */
export const CredentialStored = z
  .object({ success: z.literal(true), credential_type: z.enum(["api_key", "oauth_token"]), message: z.string() })
  .meta({ id: "CredentialStored" });

/** POST /v1/auth/claude/start. */
export const OAuthStarted = z
  .object({ oauth_session_id: Id, expires_in: z.literal(300), message: z.string() })
  .meta({ id: "OAuthStarted" });

/** GET /v1/auth/claude/url query. */
export const OAuthUrlQuery = z.object({ session_id: Id }).strict();

/** GET /v1/auth/claude/url. `ready` is what the product's client polls for (the stored flow says `url_ready`). */
export const OAuthUrl = z
  .object({ status: z.enum(["pending", "ready"]), url: z.url().optional(), message: z.string() })
  .meta({ id: "OAuthUrl" });

/** POST /v1/auth/claude/code. The code may arrive as `code#state`, as Claude's page shows it. */
export const OAuthCodeBody = z
  .object({ session_id: Id, code: z.string().trim().min(1).max(2_048) })
  .strict()
  .meta({ id: "OAuthCodeBody" });

/** Answer of a completed OAuth exchange. */
export const OAuthCompleted = z
  .object({ success: z.literal(true), status: z.literal("completed"), message: z.string() })
  .meta({ id: "OAuthCompleted" });

/** GET /v1/auth/claude/status. Never includes the credential itself. */
export const CredentialStatus = z
  .object({
    has_credentials: z.boolean(),
    credential_type: z.enum(["api_key", "oauth_token"]).nullable(),
    created_at: Timestamp.nullable(),
    /**
     * The deployment's model is simulated (the offline demo's scripted model server): it accepts
     * any key, so a stored key may be the demo's placeholder, and costs are invented.
     */
    simulated_model: z.boolean(),
  })
  .meta({ id: "CredentialStatus" });

/** DELETE /v1/auth/claude. */
export const CredentialDeleted = z.object({ deleted: z.boolean() }).meta({ id: "CredentialDeleted" });

/** GET /healthz. */
export const Health = z.object({ ok: z.literal(true), version: z.string() }).meta({ id: "Health" });
