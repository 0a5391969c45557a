/**
 * The profiles table. Non-secret settings are stored as JSON; `environment` and
 * `mcp_servers` (which hold tokens and keys) are sealed like credentials. Reads return them
 * opened, for the platform's own use: routes redact them before answering.
 */
import { MAX_PROFILES_PER_USER, type Profile, type ProfileSettings } from "../../schemas/profile.ts";
import { open, seal, type Keyring } from "../crypto/sealed-box.ts";
import type { SecretSettings } from "../secrets/profile-secrets.ts";

interface ProfileRow {
  id: string;
  user_id: string;
  name: string;
  is_default: number;
  settings: string;
  secrets_ciphertext: string;
  created_at: string;
  updated_at: string;
}

type PlainSettings = Omit<ProfileSettings, keyof SecretSettings>;

/** Binds a profile's sealed secrets to its owner and its row. */
const contextFor = (userId: string, profileId: string) => `profile:${userId}:${profileId}`;

/** Settings of a profile created without any: the spec's defaults. */
export const DEFAULT_SETTINGS: ProfileSettings = {
  description: "",
  allowed_tools: [],
  denied_tools: [],
  permission_mode: "acceptEdits",
  model: null,
  max_turns: null,
  max_budget_usd: null,
  one_shot: false,
  ttl_seconds: null,
  environment: {},
  mcp_servers: {},
};

/** The two profiles every user starts with (docs/api.md §3); the first is the default. */
export const STARTER_PROFILES: { name: string; settings: ProfileSettings }[] = [
  {
    name: "Default",
    settings: {
      ...DEFAULT_SETTINGS,
      description: "Read-only tools run without asking; edits are auto-approved; anything else asks you.",
      // The product's documented Default (Read and read-only Bash prefixes), less `find`, `awk`
      // and `sed`: each has a form that runs any command (`find -exec`, awk's `system()`, sed's
      // `e`), so allowing the prefix would let a prompt-injected agent run anything unasked.
      // They ask instead. Grep and Glob are kept (read-only).
      allowed_tools: ["Read", "Grep", "Glob", ...["cat", "head", "tail", "less", "grep", "jq", "ls", "wc"].map((c) => `Bash(${c}:*)`)],
    },
  },
  {
    name: "Full Permissions",
    settings: {
      ...DEFAULT_SETTINGS,
      description: "Every tool runs without asking (denied tools still apply).",
      permission_mode: "bypassPermissions",
    },
  },
];

/** Thrown when a write would break a profile rule; routes map it to 409. */
export class ProfileConflict extends Error {
  readonly code: "profile_limit" | "profile_name_taken" | "default_profile";
  constructor(code: ProfileConflict["code"], message: string) {
    super(message);
    this.code = code;
  }
}

async function toProfile(ring: Keyring, row: ProfileRow): Promise<Profile> {
  const plain = JSON.parse(row.settings) as PlainSettings;
  const secrets = JSON.parse(await open(ring, row.secrets_ciphertext, contextFor(row.user_id, row.id))) as SecretSettings;
  return {
    id: row.id,
    name: row.name,
    is_default: row.is_default === 1,
    created_at: row.created_at,
    updated_at: row.updated_at,
    ...DEFAULT_SETTINGS,
    ...plain,
    ...secrets,
  };
}

function splitSettings(settings: ProfileSettings): { plain: PlainSettings; secrets: SecretSettings } {
  const { environment, mcp_servers, ...plain } = settings;
  return { plain, secrets: { environment, mcp_servers } };
}

/** A new profile row's insert, guarded so it cannot exceed the per-user limit even under races. */
export async function insertProfileStatement(
  db: D1Database,
  ring: Keyring,
  row: { id: string; userId: string; name: string; isDefault: boolean; settings: ProfileSettings; now: string },
): Promise<D1PreparedStatement> {
  const { plain, secrets } = splitSettings(row.settings);
  const sealed = await seal(ring, JSON.stringify(secrets), contextFor(row.userId, row.id));
  // One statement: SQLite evaluates the count and the insert atomically, so two
  // concurrent creates cannot both take the last slot.
  return db
    .prepare(
      `INSERT INTO profiles (id, user_id, name, is_default, settings, secrets_ciphertext, key_id, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8
       WHERE (SELECT COUNT(*) FROM profiles WHERE user_id = ?2) < ${MAX_PROFILES_PER_USER}`,
    )
    .bind(row.id, row.userId, row.name, row.isDefault ? 1 : 0, JSON.stringify(plain), sealed.ciphertext, sealed.keyId, row.now);
}

/** Runs a profile write, translating constraint failures into `ProfileConflict`. */
async function guarded<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    if (String(error).includes("UNIQUE constraint failed: profiles.user_id, profiles.name")) {
      throw new ProfileConflict("profile_name_taken", "a profile with this name already exists");
    }
    throw error;
  }
}

/** Creates a profile; throws `ProfileConflict` at the limit or on a duplicate name. */
export async function createProfile(
  db: D1Database,
  ring: Keyring,
  userId: string,
  id: string,
  name: string,
  settings: ProfileSettings,
  now: string,
): Promise<Profile> {
  const statement = await insertProfileStatement(db, ring, { id, userId, name, isDefault: false, settings, now });
  const result = await guarded(() => statement.run());
  if (result.meta.changes === 0) {
    throw new ProfileConflict("profile_limit", `at most ${MAX_PROFILES_PER_USER} profiles per user`);
  }
  return (await getProfile(db, ring, userId, id))!;
}

/** All of the user's profiles, default first, then by creation. */
export async function listProfiles(db: D1Database, ring: Keyring, userId: string): Promise<Profile[]> {
  const { results } = await db
    .prepare("SELECT * FROM profiles WHERE user_id = ? ORDER BY is_default DESC, created_at, name")
    .bind(userId)
    .all<ProfileRow>();
  return Promise.all(results.map((row) => toProfile(ring, row)));
}

/** The user's profile with this id; null for unknown ids and for other users' profiles alike. */
export async function getProfile(db: D1Database, ring: Keyring, userId: string, id: string): Promise<Profile | null> {
  const row = await db.prepare("SELECT * FROM profiles WHERE id = ? AND user_id = ?").bind(id, userId).first<ProfileRow>();
  return row ? toProfile(ring, row) : null;
}

/** The user's default profile, or null if they have none. */
export async function getDefaultProfile(db: D1Database, ring: Keyring, userId: string): Promise<Profile | null> {
  const row = await db.prepare("SELECT * FROM profiles WHERE user_id = ? AND is_default = 1").bind(userId).first<ProfileRow>();
  return row ? toProfile(ring, row) : null;
}

/** Replaces a profile's name and settings (re-sealing its secrets under the current key). */
export async function saveProfile(db: D1Database, ring: Keyring, userId: string, profile: Profile, now: string): Promise<Profile> {
  const { id, name, is_default: _d, created_at: _c, updated_at: _u, ...settings } = profile;
  const { plain, secrets } = splitSettings(settings);
  const sealed = await seal(ring, JSON.stringify(secrets), contextFor(userId, id));
  await guarded(() =>
    db
      .prepare(
        "UPDATE profiles SET name = ?, settings = ?, secrets_ciphertext = ?, key_id = ?, updated_at = ? WHERE id = ? AND user_id = ?",
      )
      .bind(name, JSON.stringify(plain), sealed.ciphertext, sealed.keyId, now, id, userId)
      .run(),
  );
  return (await getProfile(db, ring, userId, id))!;
}

/** Deletes a non-default profile; false when it does not exist; `ProfileConflict` for the default. */
export async function deleteProfile(db: D1Database, userId: string, id: string): Promise<boolean> {
  const row = await db
    .prepare("SELECT is_default FROM profiles WHERE id = ? AND user_id = ?")
    .bind(id, userId)
    .first<{ is_default: number }>();
  if (!row) return false;
  if (row.is_default === 1)
    throw new ProfileConflict("default_profile", "the default profile cannot be deleted; make another profile the default first");
  await db.prepare("DELETE FROM profiles WHERE id = ? AND user_id = ? AND is_default = 0").bind(id, userId).run();
  return true;
}

/** Makes `id` the user's only default profile; false when it does not exist. */
export async function setDefaultProfile(db: D1Database, userId: string, id: string, now: string): Promise<boolean> {
  // A batch is one transaction: clear the old default, then set the new one, so the
  // one-default index never sees two and a missing id leaves the old default in place.
  const [, set] = await db.batch([
    db
      .prepare(
        "UPDATE profiles SET is_default = 0 WHERE user_id = ?1 AND is_default = 1 AND EXISTS (SELECT 1 FROM profiles WHERE id = ?2 AND user_id = ?1)",
      )
      .bind(userId, id),
    db.prepare("UPDATE profiles SET is_default = 1, updated_at = ?3 WHERE id = ?2 AND user_id = ?1").bind(userId, id, now),
  ]);
  return (set?.meta.changes ?? 0) > 0;
}
