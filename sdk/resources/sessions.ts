/** Sessions over REST: create, list, read, terminate, delete, history, fork (docs/api.md §4). */
import type { z } from "zod";
import type { SessionStatus, StoredEnvelope } from "../../schemas/events.ts";
import {
  HistoryPage,
  SessionAnswer,
  type SessionCreate,
  SessionCreated,
  SessionList,
  SessionRecordDeleted,
  SessionTerminated,
  type SessionSummary,
} from "../../schemas/session.ts";
import { ForkPreflight, type ForkRequest } from "../../schemas/fork.ts";
import { segment, type RestTransport } from "../../client-core/rest.ts";
import { validated } from "../validate.ts";
import { flatten, walkPages } from "../paginate.ts";
import type { CallOptions } from "./call-options.ts";

/** Filters and paging of `GET /v1/sessions`. */
export interface ListSessionsQuery {
  status?: SessionStatus;
  /** Page size, 1..200 (server default 50). */
  limit?: number;
  /** `next_cursor` of the previous page. */
  cursor?: string;
}

/** Paging of `GET /v1/sessions/{id}/history`. */
export interface HistoryQuery {
  /** Only events after this seq (default 0: from the start). */
  afterSeq?: number;
  /** Page size, 1..1000; without it the server answers the whole history at once. */
  limit?: number;
}

/** `/v1/sessions/...`. */
export class SessionsApi {
  readonly #t: RestTransport;

  constructor(transport: RestTransport) {
    this.#t = transport;
  }

  /** Creates a session (from the default profile unless `profile_id`); answers the new record. */
  async create(body: z.input<typeof SessionCreate> = {}, options: CallOptions = {}) {
    // With an idempotent_key the server answers the live session it already made, so a retry cannot double it.
    const idempotent = body.idempotent_key !== undefined;
    return (await this.#t.request({ method: "POST", path: "/v1/sessions", body, parse: validated(SessionCreated), idempotent, ...options }))
      .session;
  }

  /** One page of the caller's sessions, newest first. */
  list(query: ListSessionsQuery = {}, options: CallOptions = {}) {
    return this.#t.request({
      method: "GET",
      path: "/v1/sessions",
      query: { ...query },
      parse: validated(SessionList),
      idempotent: true,
      ...options,
    });
  }

  /** Every page of the listing, fetched as the iteration goes. */
  pages(query: ListSessionsQuery = {}, options: CallOptions = {}) {
    return walkPages(
      query.cursor,
      (cursor) => this.list({ ...query, cursor }, options),
      (page) => page.next_cursor,
    );
  }

  /** Every session of the listing, one at a time (pages fetched lazily). */
  all(query: Omit<ListSessionsQuery, "cursor"> = {}, options: CallOptions = {}): AsyncGenerator<SessionSummary, void, undefined> {
    return flatten(this.pages(query, options), (page) => page.sessions);
  }

  /** The full record. */
  async get(id: string, options: CallOptions = {}) {
    return (
      await this.#t.request({
        method: "GET",
        path: `/v1/sessions/${segment(id)}`,
        parse: validated(SessionAnswer),
        idempotent: true,
        ...options,
      })
    ).session;
  }

  /** Terminates the session (end_reason `user_requested`); repeating it is harmless. */
  terminate(id: string, options: CallOptions = {}) {
    return this.#t.request({
      method: "DELETE",
      path: `/v1/sessions/${segment(id)}`,
      parse: validated(SessionTerminated),
      idempotent: true,
      ...options,
    });
  }

  /** Deletes an ended session's record, events and archive (409 `session_not_ended` while live). */
  deleteRecord(id: string, options: CallOptions = {}) {
    // Not retried: a repeat after a lost answer would be a 404 although the delete worked.
    return this.#t.request({
      method: "DELETE",
      path: `/v1/sessions/${segment(id)}/record`,
      parse: validated(SessionRecordDeleted),
      idempotent: false,
      ...options,
    });
  }

  /**
   * Whether a dormant or ended session can be forked with `profileId` (default: the default
   * profile), and which of its MCP servers that profile lacks (`missing_mcps`).
   */
  forkPreflight(id: string, profileId?: string, options: CallOptions = {}) {
    return this.#t.request({
      method: "GET",
      path: `/v1/sessions/${segment(id)}/fork-preflight`,
      query: { profile_id: profileId },
      parse: validated(ForkPreflight),
      idempotent: true,
      ...options,
    });
  }

  /**
   * Forks a dormant or ended session into a new one with its workspace and conversation and the
   * chosen profile's settings; answers the new record. MCP servers the profile lacks must be in
   * `acknowledge_missing_tools` (else 412); 409 while the source runs, 410 when its archive is gone.
   */
  async fork(id: string, body: ForkRequest = {}, options: CallOptions = {}) {
    // Not retried: a repeat after a lost answer would make a second fork.
    return (
      await this.#t.request({
        method: "POST",
        path: `/v1/sessions/${segment(id)}/fork`,
        body,
        parse: validated(SessionCreated),
        idempotent: false,
        ...options,
      })
    ).session;
  }

  /** One page of stored events after `afterSeq`. */
  history(id: string, query: HistoryQuery = {}, options: CallOptions = {}) {
    return this.#t.request({
      method: "GET",
      path: `/v1/sessions/${segment(id)}/history`,
      query: { after_seq: query.afterSeq, limit: query.limit },
      parse: validated(HistoryPage),
      idempotent: true,
      ...options,
    });
  }

  /** Every page of stored events after `afterSeq`. */
  historyPages(id: string, query: HistoryQuery = {}, options: CallOptions = {}) {
    return walkPages(
      query.afterSeq ?? 0,
      (afterSeq) => this.history(id, { ...query, afterSeq }, options),
      (page) => page.next_after_seq,
    );
  }

  /** Every stored event after `afterSeq`, in seq order (pages fetched lazily). */
  historyAll(id: string, query: HistoryQuery = {}, options: CallOptions = {}): AsyncGenerator<StoredEnvelope, void, undefined> {
    return flatten(this.historyPages(id, query, options), (page) => page.messages);
  }
}
