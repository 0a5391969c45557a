/**
 * The REST side of the platform, typed with the wire schemas (type-only imports: nothing of
 * zod reaches the bundle). Every error is `{error, message}` (API.md §0) → `ApiFailure`.
 */
import type { CredentialStatus, OAuthStarted, OAuthUrl, Registered } from "../../schemas/account.ts";
import type { Profile, ProfileCreate, ProfileUpdate } from "../../schemas/profile.ts";
import type { HistoryPage, Session, SessionCreate, SessionList } from "../../schemas/session.ts";
import type { z } from "zod";

type Out<T extends z.ZodType> = z.infer<T>;

export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export type { Profile, Session };

/** Answer of POST /v1/io/sessions/{id}/upload (API.md §7). */
export interface UploadTicket {
  upload_url: string;
  upload_id: string;
  target_path: string;
  expires_at: string;
}

export class Api {
  readonly base: string;
  private token: string;
  /** Called when the token is refused (expired or revoked). */
  onUnauthorized: (() => void) | null = null;

  constructor(token: string, base = location.origin) {
    this.base = base;
    this.token = token;
  }

  get bearer(): string {
    return this.token;
  }

  async request<T>(method: string, route: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.base + route, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        body: body === undefined ? null : JSON.stringify(body),
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if ((error as Error).name === "AbortError") throw error;
      throw new ApiFailure(0, "network_error", "The platform cannot be reached. Check your connection.");
    }
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      // not JSON
    }
    if (!response.ok) {
      const err = json as { error?: string; message?: string } | null;
      if (response.status === 401) this.onUnauthorized?.();
      throw new ApiFailure(response.status, err?.error ?? `http_${response.status}`, err?.message ?? (response.statusText || "request failed"));
    }
    return json as T;
  }

  // Registration and credentials (API.md §2)
  register = () => this.request<Out<typeof Registered>>("POST", "/v1/register");
  deregister = () => this.request<{ deregistered: true }>("DELETE", "/v1/register");
  credentialStatus = () => this.request<Out<typeof CredentialStatus>>("GET", "/v1/auth/claude/status");
  storeApiKey = (api_key: string) => this.request<{ success: true }>("POST", "/v1/auth/claude/apikey", { api_key });
  deleteCredential = () => this.request<{ deleted: boolean }>("DELETE", "/v1/auth/claude");
  oauthStart = () => this.request<Out<typeof OAuthStarted>>("POST", "/v1/auth/claude/start");
  oauthUrl = (id: string) => this.request<Out<typeof OAuthUrl>>("GET", `/v1/auth/claude/url?session_id=${encodeURIComponent(id)}`);
  oauthCode = (session_id: string, code: string) => this.request<{ success: true }>("POST", "/v1/auth/claude/code", { session_id, code });

  // Profiles (API.md §3)
  listProfiles = async () => (await this.request<{ profiles: Profile[] }>("GET", "/v1/profiles")).profiles;
  createProfile = (body: ProfileCreate) => this.request<Profile>("POST", "/v1/profiles", body);
  updateProfile = (id: string, body: ProfileUpdate) => this.request<Profile>("PUT", `/v1/profiles/${encodeURIComponent(id)}`, body);
  deleteProfile = (id: string) => this.request<{ deleted: true }>("DELETE", `/v1/profiles/${encodeURIComponent(id)}`);
  setDefaultProfile = (id: string) => this.request<Profile>("POST", `/v1/profiles/${encodeURIComponent(id)}/default`);

  // Sessions (API.md §4)
  createSession = async (body: SessionCreate) => (await this.request<{ session: Session }>("POST", "/v1/sessions", body)).session;
  listSessions = (cursor?: string | null, limit = 50) =>
    this.request<Out<typeof SessionList>>("GET", `/v1/sessions?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
  getSession = (id: string) => this.request<Session>("GET", `/v1/sessions/${encodeURIComponent(id)}`);
  terminateSession = (id: string) => this.request<{ terminated: true }>("DELETE", `/v1/sessions/${encodeURIComponent(id)}`);
  deleteSessionRecord = (id: string) => this.request<{ deleted: true }>("DELETE", `/v1/sessions/${encodeURIComponent(id)}/record`);
  history = (id: string, afterSeq: number, limit = 500) =>
    this.request<Out<typeof HistoryPage>>("GET", `/v1/sessions/${encodeURIComponent(id)}/history?after_seq=${afterSeq}&limit=${limit}`);

  // Files (API.md §7)
  requestUpload = (id: string, file: { filename: string; content_type: string; size: number }) =>
    this.request<UploadTicket>("POST", `/v1/io/sessions/${encodeURIComponent(id)}/upload`, file);
  completeUpload = (id: string, upload_id: string) =>
    this.request<{ success: boolean; path: string }>("POST", `/v1/io/sessions/${encodeURIComponent(id)}/upload/complete`, { upload_id });
  requestDownload = (id: string, path: string) =>
    this.request<{ download_url: string; expires_at: string }>("POST", `/v1/io/sessions/${encodeURIComponent(id)}/download`, { path });

  /** The WebSocket URL of a session (`?token=`, as browsers cannot set headers on upgrades). */
  socketUrl(id: string, afterSeq: number | null): string {
    const ws = this.base.replace(/^http/, "ws");
    return `${ws}/v1/ws/sessions/${encodeURIComponent(id)}?token=${encodeURIComponent(this.token)}${afterSeq === null ? "" : `&after_seq=${afterSeq}`}`;
  }
}

let fileRoutes: Promise<boolean> | null = null;

/** Whether this platform serves the file routes of API.md §7 (read once from /openapi). */
export function hasFileRoutes(base = location.origin): Promise<boolean> {
  fileRoutes ??= fetch(`${base}/openapi`)
    .then((r) => (r.ok ? r.json() : null))
    .then((doc: { paths?: Record<string, unknown> } | null) => {
      const paths = Object.keys(doc?.paths ?? {});
      return paths.some((p) => /^\/v1\/io\/sessions\/\{[^}]+\}\/upload$/.test(p)) && paths.some((p) => /^\/v1\/io\/sessions\/\{[^}]+\}\/download$/.test(p));
    })
    .catch(() => false);
  return fileRoutes;
}

/** The email and expiry a JWT claims (display only; the server verifies it). */
export function tokenClaims(token: string): { email: string | null; sub: string | null; exp: number | null } {
  try {
    const part = token.split(".")[1];
    if (!part) return { email: null, sub: null, exp: null };
    const json = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=")));
    return {
      email: typeof json.email === "string" ? json.email : null,
      sub: typeof json.sub === "string" ? json.sub : null,
      exp: typeof json.exp === "number" ? json.exp : null,
    };
  } catch {
    return { email: null, sub: null, exp: null };
  }
}
