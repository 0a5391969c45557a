/**
 * The REST side of the platform for the web UI: the client core's transport (client-core/rest.ts:
 * error shape, retries of idempotent calls, Retry-After), typed with the wire schemas through
 * type-only imports, so nothing of zod reaches the bundle. Every failure is an AiSessionsError.
 */
import { AiSessionsError } from "../../client-core/errors.ts";
import { RestTransport, segment, type Query } from "../../client-core/rest.ts";
import { ticketedSocketUrl } from "../../client-core/socket-ticket.ts";
import type { CredentialStatus, OAuthStarted, OAuthUrl, Registered } from "../../schemas/account.ts";
import type { DownloadTicket, UploadCompleted, UploadTicket } from "../../schemas/files.ts";
import type { Profile, ProfileCreate, ProfileUpdate } from "../../schemas/profile.ts";
import type { HistoryPage, Session, SessionCreate, SessionList } from "../../schemas/session.ts";
import type { ForkPreflight, ForkRequest } from "../../schemas/fork.ts";
import type { z } from "zod";

type Out<T extends z.ZodType> = z.infer<T>;

export type { Profile, Session };

/** One call: `idempotent` says whether the transport may repeat it after a failure. */
interface Call {
  method: "GET" | "POST" | "PUT" | "DELETE";
  path: string;
  idempotent: boolean;
  body?: unknown;
  query?: Query;
}

export class Api {
  readonly base: string;
  readonly rest: RestTransport;
  readonly #token: string;
  /** Called when the token is refused (expired or revoked). */
  onUnauthorized: (() => void) | null = null;

  constructor(token: string, base = location.origin) {
    this.base = base;
    this.#token = token;
    this.rest = new RestTransport({ baseUrl: base, token });
  }

  get bearer(): string {
    return this.#token;
  }

  async request<T>(call: Call): Promise<T> {
    try {
      return await this.rest.request<T>(call);
    } catch (error) {
      if (error instanceof AiSessionsError && error.status === 401) this.onUnauthorized?.();
      // The transport names the failed call; a person wants to know what to do.
      if (error instanceof AiSessionsError && error.code === "network_error") {
        throw new AiSessionsError(0, "network_error", "The platform cannot be reached. Check your connection.", { cause: error });
      }
      throw error;
    }
  }

  // Short forms, which keep the method table below (and the bundle) small.
  #get = <T>(path: string, query?: Query) => this.request<T>({ method: "GET", path, idempotent: true, ...(query ? { query } : {}) });
  #post = <T>(path: string, body: unknown, idempotent: boolean) => this.request<T>({ method: "POST", path, body, idempotent });
  #delete = <T>(path: string, idempotent: boolean) => this.request<T>({ method: "DELETE", path, idempotent });

  // Registration and credentials (docs/api.md §2)
  register = () => this.#post<Out<typeof Registered>>("/v1/register", undefined, true);
  deregister = () => this.#delete<{ deregistered: true }>("/v1/register", false);
  credentialStatus = () => this.#get<Out<typeof CredentialStatus>>("/v1/auth/claude/status");
  storeApiKey = (api_key: string) => this.#post<{ success: true }>("/v1/auth/claude/apikey", { api_key }, true);
  deleteCredential = () => this.#delete<{ deleted: boolean }>("/v1/auth/claude", true);
  oauthStart = () => this.#post<Out<typeof OAuthStarted>>("/v1/auth/claude/start", undefined, false);
  oauthUrl = (session_id: string) => this.#get<Out<typeof OAuthUrl>>("/v1/auth/claude/url", { session_id });
  oauthCode = (session_id: string, code: string) => this.#post<{ success: true }>("/v1/auth/claude/code", { session_id, code }, false);

  // Profiles (docs/api.md §3)
  listProfiles = async () => (await this.#get<{ profiles: Profile[] }>("/v1/profiles")).profiles;
  createProfile = async (body: ProfileCreate) => (await this.#post<{ profile: Profile }>("/v1/profiles", body, false)).profile;
  updateProfile = async (id: string, body: ProfileUpdate) =>
    (await this.request<{ profile: Profile }>({ method: "PUT", path: `/v1/profiles/${segment(id)}`, body, idempotent: true })).profile;
  deleteProfile = (id: string) => this.#delete<{ deleted: true }>(`/v1/profiles/${segment(id)}`, false);
  setDefaultProfile = async (id: string) =>
    (await this.#post<{ profile: Profile }>(`/v1/profiles/${segment(id)}/default`, undefined, true)).profile;

  // Sessions (docs/api.md §4); a create is repeated only with an idempotent_key (the server then answers the same session).
  createSession = async (body: SessionCreate) =>
    (await this.#post<{ session: Session }>("/v1/sessions", body, body.idempotent_key !== undefined)).session;
  listSessions = (cursor?: string | null, limit = 50) =>
    this.#get<Out<typeof SessionList>>("/v1/sessions", { limit, cursor: cursor ?? undefined });
  getSession = async (id: string) => (await this.#get<{ session: Session }>(`/v1/sessions/${segment(id)}`)).session;
  terminateSession = (id: string) => this.#delete<{ terminated: true }>(`/v1/sessions/${segment(id)}`, true);
  deleteSessionRecord = (id: string) => this.#delete<{ deleted: true }>(`/v1/sessions/${segment(id)}/record`, false);
  forkPreflight = (id: string, profile_id?: string) =>
    this.#get<ForkPreflight>(`/v1/sessions/${segment(id)}/fork-preflight`, profile_id ? { profile_id } : undefined);
  /** Not repeated: a retry after a lost answer would make a second fork. */
  forkSession = async (id: string, body: ForkRequest) =>
    (await this.#post<{ session: Session }>(`/v1/sessions/${segment(id)}/fork`, body, false)).session;
  history = (id: string, afterSeq: number, limit = 500) =>
    this.#get<Out<typeof HistoryPage>>(`/v1/sessions/${segment(id)}/history`, { after_seq: afterSeq, limit });

  // Files (docs/api.md §7)
  requestUpload = (id: string, file: { filename: string; content_type: string; size: number }) =>
    this.#post<UploadTicket>(`/v1/io/sessions/${segment(id)}/upload`, file, false);
  completeUpload = (id: string, upload_id: string) =>
    this.#post<UploadCompleted>(`/v1/io/sessions/${segment(id)}/upload/complete`, { upload_id }, false);
  requestDownload = (id: string, path: string) => this.#post<DownloadTicket>(`/v1/io/sessions/${segment(id)}/download`, { path }, true);

  /** A WebSocket URL of a session with a fresh single-use ticket (browsers cannot set headers on upgrades). */
  socketUrl(id: string, afterSeq: number | null): Promise<string> {
    return ticketedSocketUrl(this.rest, id, afterSeq);
  }
}

let fileRoutes: Promise<boolean> | null = null;

/** Whether this platform serves the file routes of docs/api.md §7 (read once from /openapi). */
export function hasFileRoutes(base = location.origin): Promise<boolean> {
  fileRoutes ??= fetch(`${base}/openapi`)
    .then((r) => (r.ok ? r.json() : null))
    .then((doc: { paths?: Record<string, unknown> } | null) => {
      const paths = Object.keys(doc?.paths ?? {});
      return (
        paths.some((p) => /^\/v1\/io\/sessions\/\{[^}]+\}\/upload$/.test(p)) &&
        paths.some((p) => /^\/v1\/io\/sessions\/\{[^}]+\}\/download$/.test(p))
      );
    })
    .catch(() => false);
  return fileRoutes;
}

/** The email and expiry a JWT claims (display only; the server verifies it). */
export function tokenClaims(token: string): { email: string | null; sub: string | null; exp: number | null } {
  try {
    const part = token.split(".")[1];
    if (!part) return { email: null, sub: null, exp: null };
    const json = JSON.parse(
      atob(
        part
          .replace(/-/g, "+")
          .replace(/_/g, "/")
          .padEnd(Math.ceil(part.length / 4) * 4, "="),
      ),
    );
    return {
      email: typeof json.email === "string" ? json.email : null,
      sub: typeof json.sub === "string" ? json.sub : null,
      exp: typeof json.exp === "number" ? json.exp : null,
    };
  } catch {
    return { email: null, sub: null, exp: null };
  }
}
