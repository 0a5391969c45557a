/**
 * What a user's new session (created or forked) starts from: the caller must hold a Claude
 * credential, and runs with the profile they name or else their default profile.
 */
import type { Context } from "hono";
import type { ProfileSettings } from "../../schemas/profile.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import { credentialInfo } from "../../platform/db/credentials.ts";
import { getDefaultProfile, getProfile } from "../../platform/db/profiles.ts";
import { ApiError } from "../../platform/errors.ts";
import type { AppEnv } from "../http/app-env.ts";

/** 403 `no_credentials` unless the user stored a Claude credential (their sessions' model calls need it). */
export async function requireClaudeCredential(c: Context<AppEnv>, userId: string): Promise<void> {
  if (!(await credentialInfo(c.env.DB, userId))) {
    throw new ApiError(403, "no_credentials", "store a Claude credential first: POST /v1/auth/claude/apikey or the OAuth flow");
  }
}

/** The chosen profile's id and settings (secrets opened); 400 `profile_not_found` for an unknown id or no default. */
export async function chosenProfile(
  c: Context<AppEnv>,
  userId: string,
  profileId: string | undefined,
): Promise<{ profileId: string; settings: ProfileSettings }> {
  const ring = await keyringFrom(c.env);
  const profile = profileId ? await getProfile(c.env.DB, ring, userId, profileId) : await getDefaultProfile(c.env.DB, ring, userId);
  if (!profile) throw new ApiError(400, "profile_not_found", profileId ? "no such profile" : "you have no default profile");
  const { id, name: _name, is_default: _d, created_at: _c, updated_at: _u, ...settings } = profile;
  return { profileId: id, settings };
}
