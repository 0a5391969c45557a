/**
 * The org routes the web UI reads when signed in with an org API key (DR.md §8): the org's
 * rules, its recent detections, the sessions its rules started and those sessions' records and
 * logs. Read-only on purpose: the view is for watching what rules do, and changing rules stays
 * with the CLI and the API, where a rule's tests run and its YAML lives in version control.
 * Every call sends the key as the bearer and the org id as `X-LC-OID`, as the org routes require.
 */
import { AiSessionsError } from "../../client-core/errors.ts";
import { RestTransport, segment, type Query } from "../../client-core/rest.ts";
import type { DetectionList, RuleList, RuleSessionList } from "../../schemas/rules.ts";
import type { HistoryPage, SessionAnswer } from "../../schemas/session.ts";
import type { z } from "zod";

type Out<T extends z.ZodType> = z.infer<T>;
export type RuleInfo = Out<typeof RuleList>["rules"][number];
export type DetectionInfo = Out<typeof DetectionList>["detections"][number];
export type RuleSessionInfo = Out<typeof RuleSessionList>["sessions"][number];
export type OrgSession = Out<typeof SessionAnswer>["session"];
export type StoredEvent = Out<typeof HistoryPage>["messages"][number];

/** What signing in with an org key needs: the org's id and one of its API keys. */
export interface OrgCredentials {
  oid: string;
  key: string;
}

export class OrgApi {
  readonly oid: string;
  readonly #rest: RestTransport;
  /** Called when the key is refused (revoked, expired, or not this org's). */
  onUnauthorized: (() => void) | null = null;

  constructor(credentials: OrgCredentials, base = location.origin) {
    this.oid = credentials.oid;
    this.#rest = new RestTransport({ baseUrl: base, token: credentials.key });
  }

  async #get<T>(path: string, query?: Query): Promise<T> {
    try {
      return await this.#rest.request<T>({
        method: "GET",
        path,
        headers: { "x-lc-oid": this.oid },
        idempotent: true,
        ...(query ? { query } : {}),
      });
    } catch (error) {
      if (error instanceof AiSessionsError && (error.status === 401 || error.status === 403)) this.onUnauthorized?.();
      if (error instanceof AiSessionsError && error.code === "network_error") {
        throw new AiSessionsError(0, "network_error", "The platform cannot be reached. Check your connection.", { cause: error });
      }
      throw error;
    }
  }

  #org = () => `/v1/orgs/${segment(this.oid)}`;

  rules = async () => (await this.#get<Out<typeof RuleList>>(`${this.#org()}/rules`)).rules;
  detections = async (limit = 25) => (await this.#get<Out<typeof DetectionList>>(`${this.#org()}/detections`, { limit })).detections;
  ruleSessions = async (limit = 50) => (await this.#get<Out<typeof RuleSessionList>>(`${this.#org()}/rule-sessions`, { limit })).sessions;
  session = async (id: string) => (await this.#get<Out<typeof SessionAnswer>>(`/v1/org/sessions/${segment(id)}`)).session;
  /** The session's stored events, oldest first (one page of up to `limit`). */
  history = async (id: string, limit = 1000) =>
    (await this.#get<Out<typeof HistoryPage>>(`/v1/org/sessions/${segment(id)}/history`, { after_seq: 0, limit })).messages;
}
