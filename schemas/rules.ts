/** Detection & response rules, events, detections (spec DR.md §8). */
import { z } from "zod";
import { Id, Timestamp } from "./common.ts";

/** Events one JSON call may carry (`{events: [...]}`); NDJSON bodies have their own cap. */
export const MAX_EVENTS_PER_CALL = 1000;
/** Events one NDJSON body may carry: the stream is read line by line, answers are kept. */
export const MAX_NDJSON_EVENTS = 10_000;
/** Longest NDJSON line (one event). */
export const MAX_EVENT_BYTES = 256 * 1024;
/** Largest rule body (JSON or YAML). */
export const MAX_RULE_BYTES = 512 * 1024;
/** Largest JSON events body (or rules/test body). */
export const MAX_EVENTS_BODY_BYTES = 8 * 1024 * 1024;
/** Rules one org may keep. */
export const MAX_RULES_PER_ORG = 1000;
/** How long a rendered `idempotent_key` suppresses another session of the org (24 h, DR.md Q22). */
export const IDEMPOTENT_KEY_TTL_MS = 24 * 3600 * 1000;

/** Rule names: as path segments, letters, digits, '.', '-' and '_'. */
export const RuleName = z.string().regex(/^(?!\.)(?!.*\.\.)[A-Za-z0-9_.-]{1,128}$/, "rule names use letters, digits, '.', '-' and '_'");

/** PUT /v1/orgs/{oid}/rules/{name} (JSON, or the same as YAML with Content-Type application/yaml). */
export const RulePut = z
  .object({
    detect: z.record(z.string(), z.unknown()).describe("The detection node (DR.md §4)."),
    respond: z.array(z.record(z.string(), z.unknown())).optional().describe("Actions (DR.md §5)."),
    tests: z.object({ match: z.array(z.array(z.unknown())).optional(), non_match: z.array(z.array(z.unknown())).optional() }).optional(),
    enabled: z.boolean().optional().describe("Defaults to false for a new rule; a replace keeps the current value unless given."),
  })
  .meta({ id: "RulePut" });

/** A stored rule. */
export const RuleInfo = z
  .object({
    name: z.string(),
    namespace: z.string(),
    enabled: z.boolean(),
    version: z.int(),
    rule: z.object({ detect: z.unknown(), respond: z.array(z.unknown()).optional(), tests: z.unknown().optional() }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: "RuleInfo" });
export type RuleInfo = z.infer<typeof RuleInfo>;

export const RuleList = z.object({ rules: z.array(RuleInfo) }).meta({ id: "RuleList" });
export const RuleDeleted = z.object({ deleted: z.literal(true) }).meta({ id: "RuleDeleted" });

/** One event as ingested: `{routing, event}` (routing.event_type selects rules). */
export const EventInput = z
  .object({
    routing: z.record(z.string(), z.unknown()),
    event: z.unknown(),
    ts: z.unknown().optional(),
  })
  .meta({ id: "EventInput" });

/** POST /v1/orgs/{oid}/events as JSON: one event, or `{events: [...]}`; NDJSON also accepted. */
export const EventsPost = z
  .union([EventInput, z.object({ events: z.array(z.unknown()).max(MAX_EVENTS_PER_CALL) }).strict()])
  .meta({ id: "EventsPost" });

/** What happened to one `start ai agent` action. */
export const SessionOutcome = z
  .object({
    rule: z.string(),
    id: Id.optional().describe("The session started."),
    skipped: z.boolean().optional(),
    reason: z.string().optional().describe("idempotent_key | debounced | failed"),
    session_id: Id.optional().describe("The existing session that made this one unnecessary."),
    queued: z
      .boolean()
      .optional()
      .describe("Debounced: kept as the key's pending start, which starts when the live session ends unless a newer event replaces it."),
    message: z.string().optional(),
  })
  .meta({ id: "SessionOutcome" });

/** The answer for one event. */
export const EventResult = z
  .object({
    matched_rules: z.array(z.string()),
    detections: z.array(Id),
    sessions: z.array(SessionOutcome),
    failed_actions: z.array(z.object({ rule: z.string(), action: z.string(), error: z.string() })),
    error: z.string().optional().describe("Set when this event itself was malformed (the rest of the batch still ran)."),
  })
  .meta({ id: "EventResult" });
export type EventResult = z.infer<typeof EventResult>;

export const EventsResult = z.object({ results: z.array(EventResult) }).meta({ id: "EventsResult" });

/** POST /v1/orgs/{oid}/rules/test. */
export const RuleTestRequest = z
  .object({
    rule: z.union([z.record(z.string(), z.unknown()), z.string().max(MAX_RULE_BYTES)]).describe("The rule, as JSON or as YAML text."),
    name: RuleName.optional().describe("The rule's name, as templates see it (default 'test')."),
    events: z.array(z.unknown()).min(1).max(MAX_EVENTS_PER_CALL),
  })
  .strict()
  .meta({ id: "RuleTestRequest" });

export const RuleTestResult = z
  .object({
    results: z.array(z.object({ matched: z.boolean(), actions: z.array(z.record(z.string(), z.unknown())), error: z.string().optional() })),
  })
  .meta({ id: "RuleTestResult" });

/** A stored detection (DR.md §7 Q7/Q8). */
export const DetectionInfo = z
  .object({
    detect_id: Id,
    cat: z.string(),
    source_rule: z.string(),
    routing: z.unknown(),
    detect: z.unknown(),
    priority: z.int().nullable(),
    detect_mtd: z.unknown(),
    detect_data: z.unknown(),
    gen_time: z.int(),
    created_at: Timestamp,
  })
  .meta({ id: "DetectionInfo" });

export const DetectionsQuery = z
  .object({
    cat: z.string().max(512).optional(),
    since: z.iso.datetime().optional(),
    limit: z.coerce.number().int().min(1).max(500).optional(),
    cursor: z.string().max(512).optional(),
  })
  .strict();

export const DetectionList = z
  .object({ detections: z.array(DetectionInfo), next_cursor: z.string().nullable() })
  .meta({ id: "DetectionList" });

/** Largest lookup body. */
export const MAX_LOOKUP_BYTES = 4 * 1024 * 1024;

/** PUT /v1/orgs/{oid}/lookups/{name}: the lookup's keys, each with its metadata (any JSON). */
export const LookupPut = z
  .object({ data: z.record(z.string().min(1).max(1024), z.unknown()) })
  .strict()
  .meta({ id: "LookupPut" });

export const LookupInfo = z
  .object({ name: z.string(), data: z.record(z.string(), z.unknown()), updated_at: Timestamp })
  .meta({ id: "LookupInfo" });
export const LookupDeleted = z.object({ deleted: z.literal(true) }).meta({ id: "LookupDeleted" });

/** A session a rule's `start ai agent` action started, with its session's state now. */
export const RuleSessionInfo = z
  .object({
    session_id: Id,
    rule: z.string(),
    detection_id: z.string().nullable().describe("The detection the session triages (null: its rule reported none)."),
    idempotent_key: z.string().nullable(),
    debounce_key: z.string().nullable(),
    created_at: Timestamp,
    name: z.string().nullable(),
    status: z.enum(["starting", "running", "ended"]),
    end_reason: z.string().nullable(),
  })
  .meta({ id: "RuleSessionInfo" });

export const RuleSessionsQuery = z
  .object({
    rule: RuleName.optional(),
    detection_id: z.string().max(64).optional(),
    limit: z.coerce.number().int().min(1).max(200).optional(),
  })
  .strict();

/** GET /v1/orgs/{oid}/rule-sessions: newest first. */
export const RuleSessionList = z.object({ sessions: z.array(RuleSessionInfo) }).meta({ id: "RuleSessionList" });
