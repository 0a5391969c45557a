/**
 * An org's detection & response rules (DR.md §8): rules stored, replayed and deleted; events
 * posted for evaluation; detections listed. Every call acts for one org with its API key (the
 * client's token) and sends the org id as `X-LC-OID`, as the org routes require.
 */
import type { z } from "zod";
import {
  DetectionList,
  type DetectionsQuery,
  type EventInput,
  EventsResult,
  RuleDeleted,
  RuleInfo,
  RuleList,
  type RulePut,
  RuleSessionList,
  type RuleSessionsQuery,
  RuleTestResult,
} from "../../schemas/rules.ts";
import { segment, type RestTransport } from "../../client-core/rest.ts";
import { validated } from "../validate.ts";
import type { CallOptions } from "./call-options.ts";

/** A rule as data (`{detect, respond?, tests?, enabled?}`), or its YAML text. */
export type RuleBody = z.input<typeof RulePut> | string;

/** `/v1/orgs/{oid}/rules`, `/events`, `/detections` for one org. */
export class RulesApi {
  readonly #t: RestTransport;
  readonly #oid: string;

  constructor(transport: RestTransport, oid: string) {
    this.#t = transport;
    this.#oid = oid;
  }

  #base(): string {
    return `/v1/orgs/${segment(this.#oid)}`;
  }

  #headers(): Record<string, string> {
    return { "x-lc-oid": this.#oid };
  }

  /** Every rule of the org, by name. */
  async list(options: CallOptions = {}) {
    const path = `${this.#base()}/rules`;
    return (
      await this.#t.request({ method: "GET", path, headers: this.#headers(), parse: validated(RuleList), idempotent: true, ...options })
    ).rules;
  }

  /** One rule, with `enabled`, `version` and `updated_at`. */
  get(name: string, options: CallOptions = {}) {
    const path = `${this.#base()}/rules/${segment(name)}`;
    return this.#t.request({ method: "GET", path, headers: this.#headers(), parse: validated(RuleInfo), idempotent: true, ...options });
  }

  /**
   * Creates or replaces a rule; its tests run first (400 `invalid_rule` names the offending
   * node). New rules are disabled unless `enabled: true` (in the body, or the YAML).
   */
  set(name: string, rule: RuleBody, options: CallOptions = {}) {
    return this.#t.request({
      method: "PUT",
      path: `${this.#base()}/rules/${segment(name)}`,
      headers: this.#headers(),
      body: rule,
      ...(typeof rule === "string" ? { contentType: "application/yaml" } : {}),
      parse: validated(RuleInfo),
      idempotent: true,
      ...options,
    });
  }

  /** Deletes a rule (404 when there is none). */
  delete(name: string, options: CallOptions = {}) {
    // Not retried: a repeat after a lost answer would be a 404 although the delete worked.
    const path = `${this.#base()}/rules/${segment(name)}`;
    return this.#t.request({
      method: "DELETE",
      path,
      headers: this.#headers(),
      parse: validated(RuleDeleted),
      idempotent: false,
      ...options,
    });
  }

  /** Replays `events` through `rule` (data or YAML) without side effects: per event, whether it matched and the rendered actions. */
  async test(rule: RuleBody, events: unknown[], options: CallOptions & { name?: string } = {}) {
    const { name, ...call } = options;
    const body = { rule, events, ...(name ? { name } : {}) };
    const path = `${this.#base()}/rules/test`;
    return (
      await this.#t.request({
        method: "POST",
        path,
        headers: this.#headers(),
        body,
        parse: validated(RuleTestResult),
        idempotent: true,
        ...call,
      })
    ).results;
  }

  /**
   * Posts events for evaluation against the org's enabled rules: one event, a list (≤ 1000), or
   * NDJSON text (one event per line). Answers per event what matched, the detections reported,
   * and the sessions started or skipped. Not retried: a repeat would evaluate the events again.
   */
  async sendEvents(events: z.input<typeof EventInput> | unknown[] | string, options: CallOptions = {}) {
    const ndjson = typeof events === "string";
    return (
      await this.#t.request({
        method: "POST",
        path: `${this.#base()}/events`,
        headers: this.#headers(),
        body: Array.isArray(events) ? { events } : events,
        ...(ndjson ? { contentType: "application/x-ndjson" } : {}),
        parse: validated(EventsResult),
        idempotent: false,
        ...options,
      })
    ).results;
  }

  /** Reported detections, newest first; pass `next_cursor` back as `cursor` for the next page. */
  detections(query: z.input<typeof DetectionsQuery> = {}, options: CallOptions = {}) {
    return this.#t.request({
      method: "GET",
      path: `${this.#base()}/detections`,
      query: { cat: query.cat, since: query.since, limit: query.limit as number | undefined, cursor: query.cursor },
      headers: this.#headers(),
      parse: validated(DetectionList),
      idempotent: true,
      ...options,
    });
  }

  /** Sessions the org's rules started, newest first: the rule, the detection, the rendered keys, the session's state. */
  async sessions(query: z.input<typeof RuleSessionsQuery> = {}, options: CallOptions = {}) {
    return (
      await this.#t.request({
        method: "GET",
        path: `${this.#base()}/rule-sessions`,
        query: { rule: query.rule, detection_id: query.detection_id, limit: query.limit as number | undefined },
        headers: this.#headers(),
        parse: validated(RuleSessionList),
        idempotent: true,
        ...options,
      })
    ).sessions;
  }
}
