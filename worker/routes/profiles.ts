/** Profiles (docs/api.md §3): saved session settings, at most 10 per user, one default. */
import type { Hono } from "hono";
import { CaptureProfile, ProfileAnswer, ProfileCreate, ProfileDeleted, ProfileList, ProfileUpdate } from "../../schemas/profile.ts";
import { newId } from "../../platform/crypto/encoding.ts";
import { keyringFrom } from "../../platform/crypto/sealed-box.ts";
import {
  DEFAULT_SETTINGS,
  ProfileConflict,
  createProfile,
  deleteProfile,
  getProfile,
  listProfiles,
  saveProfile,
  setDefaultProfile,
} from "../../platform/db/profiles.ts";
import { openSessionSettings, redactSecrets, restoreRedacted } from "../../platform/secrets/profile-secrets.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError, notFound } from "../../platform/errors.ts";
import { findOwned } from "../sessions/session-views.ts";
import { sessionStub } from "../sessions/start-session.ts";

/** Maps a repository conflict to its 409. */
function conflict(error: unknown): never {
  if (error instanceof ProfileConflict) throw new ApiError(409, error.code, error.message);
  throw error;
}

export function profileRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "get",
      path: "/v1/profiles",
      summary: "List the caller's profiles, default first.",
      tag: "profiles",
      auth: "registered",
      response: ProfileList,
    },
    async (c) => c.json({ profiles: (await listProfiles(c.env.DB, await keyringFrom(c.env), c.var.user.id)).map(redactSecrets) }),
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/profiles",
      summary: "Create a profile.",
      tag: "profiles",
      auth: "registered",
      body: ProfileCreate,
      status: 201,
      response: ProfileAnswer,
      errors: ["profile_limit", "profile_name_taken"],
    },
    async (c, { body }) => {
      const { name, ...fields } = body;
      const settings = { ...DEFAULT_SETTINGS, ...fields };
      // A marker copied from another answer stands for nothing here: it is dropped, never stored.
      const secrets = restoreRedacted(settings, DEFAULT_SETTINGS);
      const profile = await createProfile(
        c.env.DB,
        await keyringFrom(c.env),
        c.var.user.id,
        newId(),
        name,
        { ...settings, ...secrets },
        new Date().toISOString(),
      ).catch(conflict);
      return c.json({ profile: redactSecrets(profile) }, 201);
    },
  );

  route(
    app,
    { method: "get", path: "/v1/profiles/:id", summary: "Get one profile.", tag: "profiles", auth: "registered", response: ProfileAnswer },
    async (c, { params }) => {
      const profile = await getProfile(c.env.DB, await keyringFrom(c.env), c.var.user.id, params.id!);
      if (!profile) throw notFound("profile");
      return c.json({ profile: redactSecrets(profile) });
    },
  );

  route(
    app,
    {
      method: "put",
      path: "/v1/profiles/:id",
      summary: "Update a profile: fields given replace stored ones; null clears a limit.",
      tag: "profiles",
      auth: "registered",
      body: ProfileUpdate,
      response: ProfileAnswer,
      errors: ["profile_name_taken"],
    },
    async (c, { params, body }) => {
      const ring = await keyringFrom(c.env);
      const current = await getProfile(c.env.DB, ring, c.var.user.id, params.id!);
      if (!current) throw notFound("profile");
      const merged = { ...current, ...body };
      const updated = await saveProfile(
        c.env.DB,
        ring,
        c.var.user.id,
        { ...merged, ...restoreRedacted(merged, current) },
        new Date().toISOString(),
      ).catch(conflict);
      return c.json({ profile: redactSecrets(updated) });
    },
  );

  route(
    app,
    {
      method: "delete",
      path: "/v1/profiles/:id",
      summary: "Delete a profile (not the default one).",
      tag: "profiles",
      auth: "registered",
      response: ProfileDeleted,
      errors: ["default_profile"],
    },
    async (c, { params }) => {
      const deleted = await deleteProfile(c.env.DB, c.var.user.id, params.id!).catch(conflict);
      if (!deleted) throw notFound("profile");
      return c.json({ deleted: true as const });
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/sessions/:id/capture-profile",
      summary: "Save a session's effective settings (session-scope approvals excluded) as a new profile.",
      tag: "profiles",
      auth: "registered",
      body: CaptureProfile,
      status: 201,
      response: ProfileAnswer,
      errors: ["profile_limit", "profile_name_taken"],
    },
    async (c, { params, body }) => {
      await findOwned(c.env, params.id!, c.var.user.id);
      const stored = await sessionStub(c.env, params.id!).storedSettings();
      if (!stored) throw notFound("session");
      const ring = await keyringFrom(c.env);
      const session = await openSessionSettings(ring, params.id!, stored);
      const settings = { ...session, ...(body.description !== undefined ? { description: body.description } : {}) };
      const profile = await createProfile(c.env.DB, ring, c.var.user.id, newId(), body.name, settings, new Date().toISOString()).catch(
        conflict,
      );
      return c.json({ profile: redactSecrets(profile) }, 201);
    },
  );

  route(
    app,
    {
      method: "post",
      path: "/v1/profiles/:id/default",
      summary: "Make this profile the default.",
      tag: "profiles",
      auth: "registered",
      response: ProfileAnswer,
    },
    async (c, { params }) => {
      if (!(await setDefaultProfile(c.env.DB, c.var.user.id, params.id!, new Date().toISOString()))) throw notFound("profile");
      return c.json({ profile: redactSecrets((await getProfile(c.env.DB, await keyringFrom(c.env), c.var.user.id, params.id!))!) });
    },
  );
}
