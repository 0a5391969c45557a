/**
 * Forking a user's own session (docs/api.md §4): a new session of the forking user that starts
 * from a copy of the source's workspace archive (its files and Claude Code's transcript, which the
 * runner re-homes under the new workspace path so `--resume` finds it) and runs with the forking
 * profile's tools and settings. A fork is a wake of a copy: the new session starts dormant, its
 * sandbox restores the copy on hello and resumes the source's conversation. The source is only read.
 */
import type { Context } from "hono";
import { defaultForkName, type ForkPreflight, type ForkRequest } from "../../schemas/fork.ts";
import { MAX_LIVE_SESSIONS_PER_USER, type Session } from "../../schemas/session.ts";
import { sessionTimers } from "../../platform/config.ts";
import type { ArchiveRef, ForkPoint, ForkSeed } from "../../platform/contracts/session.ts";
import type { SessionRow } from "../../platform/db/sessions.ts";
import type { Env } from "../../platform/env.ts";
import { ApiError, notFound } from "../../platform/errors.ts";
import { archiveKey } from "../../platform/files/blob-keys.ts";
import type { AppEnv } from "../http/app-env.ts";
import { findOwned } from "./session-views.ts";
import { sessionStub, startSession } from "./start-session.ts";
import { chosenProfile, requireClaudeCredential } from "./user-profile-choice.ts";

/** The source as a fork sees it: its record, what a fork copies, and the chosen profile's MCP servers it lacks. */
interface ForkSource {
  row: SessionRow;
  record: Session;
  point: ForkPoint;
  sourceMcps: string[];
  missing: string[];
  profile: Awaited<ReturnType<typeof chosenProfile>>;
}

async function readSource(c: Context<AppEnv>, sourceId: string, profileId: string | undefined): Promise<ForkSource> {
  const userId = c.var.user.id;
  const row = await findOwned(c.env, sourceId, userId);
  const stub = sessionStub(c.env, sourceId);
  const [record, point] = await Promise.all([stub.describe(), stub.forkPoint()]);
  if (!record || !point) throw notFound("session");
  const profile = await chosenProfile(c, userId, profileId);
  const sourceMcps = Object.keys(record.profile.mcp_servers).sort();
  const missing = sourceMcps.filter((name) => !(name in profile.settings.mcp_servers));
  return { row, record, point, sourceMcps, missing, profile };
}

/** Why the source cannot be forked now, or null when it can. */
function unforkable(point: ForkPoint): { status: 409 | 410; code: string; message: string } | null {
  if (point.running) {
    return {
      status: 409,
      code: "session_not_forkable",
      message: "the session is running: fork it once it is dormant or has ended",
    };
  }
  if (!point.archive) {
    return {
      status: 410,
      code: "archive_gone",
      message: "the session's workspace archive is not available: it ended while awake (only a dormant session's workspace is archived)",
    };
  }
  return null;
}

/** GET /v1/sessions/{id}/fork-preflight. */
export async function forkPreflight(c: Context<AppEnv>, sourceId: string, profileId: string | undefined): Promise<ForkPreflight> {
  const { row, record, point, sourceMcps, missing } = await readSource(c, sourceId, profileId);
  const why = unforkable(point);
  return {
    source_session_id: record.id,
    source_session_type: row.org_id ? "api" : "user",
    source_status: record.status,
    source_name: record.name,
    source_lifetime_days: sessionTimers(c.env).retention / 86_400,
    default_fork_name: defaultForkName(record.name, record.id),
    source_mcp_servers: sourceMcps,
    missing_mcps: missing,
    is_forkable: why === null,
    is_forkable_reason: why?.message ?? "",
    history_available: point.archive !== null && point.agentSessionId !== null,
  };
}

/** POST /v1/sessions/{id}/fork: the new session (201). */
export async function forkSession(c: Context<AppEnv>, sourceId: string, body: ForkRequest): Promise<Session> {
  const userId = c.var.user.id;
  const { record, point, missing, profile } = await readSource(c, sourceId, body.profile_id);
  const why = unforkable(point);
  if (why) throw new ApiError(why.status, why.code, why.message);
  const archive = point.archive!;
  if (!(await c.env.FILES.head(archive.key))) throw archiveGone();
  const acknowledged = new Set(body.acknowledge_missing_tools ?? []);
  const unacknowledged = missing.filter((name) => !acknowledged.has(name));
  if (unacknowledged.length > 0) {
    throw new ApiError(
      412,
      "missing_mcps_not_acknowledged",
      `the source session uses MCP servers the fork's profile lacks: ${unacknowledged.join(", ")}; pass them in acknowledge_missing_tools to fork without them`,
    );
  }
  await requireClaudeCredential(c, userId);
  const { session } = await startSession(
    c,
    { ownerId: userId, orgId: null, keyId: null, liveLimit: MAX_LIVE_SESSIONS_PER_USER },
    {
      name: body.name ?? defaultForkName(record.name, record.id),
      profileId: profile.profileId,
      settings: profile.settings,
      initialPrompt: body.initial_prompt ?? null,
      idempotentKey: null,
      // A per-session limit, not a profile setting: the fork starts without one.
      taskBudgetTokens: null,
      credential: async () => ({ kind: "user" }),
      unattended: false,
      forkOf: async (id): Promise<ForkSeed> => ({
        sessionId: record.id,
        agentSessionId: point.agentSessionId,
        archive: await copyArchive(c.env, archive, id),
      }),
    },
  );
  return session;
}

function archiveGone(): ApiError {
  return new ApiError(410, "archive_gone", "the session's workspace archive is no longer available");
}

/** Copies the source's archive to the fork's own archive key, streamed (R2 has no server-side copy here). */
async function copyArchive(env: Env, from: ArchiveRef, toSessionId: string): Promise<ArchiveRef> {
  const source = await env.FILES.get(from.key);
  if (!source) throw archiveGone();
  const key = archiveKey(toSessionId);
  // A FixedLengthStream tells R2 the length up front, so the copy is never buffered whole.
  const sized = new FixedLengthStream(source.size);
  const [written] = await Promise.all([env.FILES.put(key, sized.readable), source.body.pipeTo(sized.writable)]);
  return { key, size: written?.size ?? source.size, at: from.at };
}
