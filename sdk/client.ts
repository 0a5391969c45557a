/** `createClient`: one object with a typed method for every REST route of the platform. */
import { RestTransport, type RestOptions } from "../client-core/rest.ts";
import { AccountApi } from "./resources/account.ts";
import { AuthApi } from "./resources/auth.ts";
import { FilesApi } from "./resources/files.ts";
import type { CallOptions } from "./resources/call-options.ts";
import { ProfilesApi } from "./resources/profiles.ts";
import { RulesApi } from "./resources/rules.ts";
import { SessionsApi } from "./resources/sessions.ts";
import { createSessionWebSocket, type SdkSessionSocket, type SessionSocketOptions } from "./socket/open-socket.ts";

/** Options of {@link createClient}: where the platform is, who calls, how to retry. */
export type ClientOptions = RestOptions;

/** The REST client. */
export interface AiSessionsClient {
  /** The transport underneath (base URL, token, retry policy). */
  readonly transport: RestTransport;
  /** Claude credentials: API key and OAuth. */
  readonly auth: AuthApi;
  /** Saved session settings. */
  readonly profiles: ProfilesApi;
  /** Sessions: create, list, read, terminate, history. */
  readonly sessions: SessionsApi;
  /** Uploads into and downloads out of a session's workspace. */
  readonly files: FilesApi;
  /** An org's D&R rules, events and detections (the client's token is then that org's API key). */
  rules(oid: string): RulesApi;
  /** `GET /healthz`. */
  health: AccountApi["health"];
  /** `GET /openapi`. */
  openapi: AccountApi["openapi"];
  /** `POST /v1/register` (idempotent). */
  register: AccountApi["register"];
  /** `DELETE /v1/register`. */
  deregister: AccountApi["deregister"];
  /** Opens a session's WebSocket with this client's base URL and token. */
  connect(sessionId: string, options?: Omit<SessionSocketOptions, "baseUrl" | "token" | "sessionId">): SdkSessionSocket;
}

/** Creates a client for one platform and one user. */
export function createClient(options: ClientOptions): AiSessionsClient {
  const transport = new RestTransport(options);
  const account = new AccountApi(transport);
  return {
    transport,
    auth: new AuthApi(transport),
    profiles: new ProfilesApi(transport),
    sessions: new SessionsApi(transport),
    files: new FilesApi(transport),
    rules: (oid: string) => new RulesApi(transport, oid),
    health: (call?: CallOptions) => account.health(call),
    openapi: (call?: CallOptions) => account.openapi(call),
    register: (call?: CallOptions) => account.register(call),
    deregister: (call?: CallOptions) => account.deregister(call),
    connect: (sessionId, socketOptions = {}) =>
      createSessionWebSocket({ fetch: transport.fetch, ...socketOptions, baseUrl: transport.baseUrl, token: options.token, sessionId }),
  };
}
