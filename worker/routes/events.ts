/**
 * Events in and detections out (DR.md §8): `POST /v1/orgs/{oid}/events` evaluates one event,
 * a batch, or an NDJSON stream against the org's enabled rules and answers per event; the
 * detections rules reported are listed newest first.
 */
import type { Hono } from "hono";
import { DetectionList, DetectionsQuery, EventsPost, EventsResult, type EventResult } from "../../schemas/rules.ts";
import { listDetections } from "../../platform/db/detections.ts";
import { ApiError } from "../../platform/errors.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { type EventItem, isNdjson, jsonEvents, ndjsonEvents } from "../rules/event-body.ts";
import { ingestEvent } from "../rules/ingest.ts";
import { loadRuleSet } from "../rules/rule-set.ts";
import { evalContext } from "../rules/eval-context.ts";

const failed = (error: string): EventResult => ({ matched_rules: [], detections: [], sessions: [], failed_actions: [], error });

function encodeCursor(createdAt: string, seq: number): string {
  return btoa(`${createdAt}|${seq}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeCursor(cursor: string): { createdAt: string; seq: number } {
  try {
    const [createdAt, seq, ...rest] = atob(cursor.replaceAll("-", "+").replaceAll("_", "/")).split("|");
    if (createdAt && seq && /^\d{1,15}$/.test(seq) && rest.length === 0) return { createdAt, seq: Number(seq) };
  } catch {
    // fall through
  }
  throw new ApiError(400, "invalid_request", "query: cursor is not one this API returned");
}

export function eventRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/v1/orgs/:oid/events",
      summary:
        "Evaluate events against the org's enabled rules: one {routing, event}, {events: [...]} (≤ 1000), or NDJSON (application/x-ndjson).",
      tag: "rules",
      auth: "org",
      body: EventsPost,
      rawBody: true,
      response: EventsResult,
      errors: ["too_many_events"],
    },
    async (c) => {
      const org = c.var.org;
      const items: Iterable<EventItem> | AsyncIterable<EventItem> = isNdjson(c.req.header("content-type"))
        ? ndjsonEvents(c.req.raw)
        : await jsonEvents(c.req.raw);
      const rules = await loadRuleSet(c.env.DB, org.id);
      const ctx = await evalContext(c.env.DB, org.id, rules.lookups);
      const results: EventResult[] = [];
      for await (const item of items) {
        results.push(item.ok ? await ingestEvent(c, org, rules, ctx, item.input) : failed(item.error));
      }
      return c.json({ results });
    },
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/orgs/:oid/detections",
      summary: "Detections the org's rules reported, newest first.",
      tag: "rules",
      auth: "org",
      query: DetectionsQuery,
      response: DetectionList,
    },
    async (c, { query }) => {
      const limit = query.limit ?? 50;
      const rows = await listDetections(c.env.DB, c.var.org.id, {
        cat: query.cat,
        since: query.since,
        limit: limit + 1,
        before: query.cursor ? decodeCursor(query.cursor) : undefined,
      });
      const page = rows.slice(0, limit);
      const detections = page.map((r) => {
        const d = JSON.parse(r.body);
        return {
          detect_id: r.id,
          cat: r.cat,
          source_rule: r.source_rule,
          routing: d.routing,
          detect: d.detect,
          priority: d.priority,
          detect_mtd: d.detect_mtd,
          detect_data: d.detect_data,
          gen_time: d.gen_time,
          created_at: r.created_at,
        };
      });
      const last = page.at(-1);
      return c.json({ detections, next_cursor: rows.length > limit && last ? encodeCursor(last.created_at, last.seq) : null });
    },
  );
}
