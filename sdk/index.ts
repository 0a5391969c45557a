/** @ai-sessions/sdk: a typed client for the AI Sessions REST API and session WebSocket. */
export { createClient, type AiSessionsClient, type ClientOptions } from "./client.ts";
export { AiSessionsError, isAiSessionsError, type ClientErrorCode } from "./errors.ts";
export type { ConnectionOptions, TokenSource, Query } from "./http.ts";
export type { RetryOptions } from "./retry.ts";
export type { CallOptions } from "./resources/call-options.ts";
export type { ListSessionsQuery, HistoryQuery } from "./resources/sessions.ts";
export { AccountApi } from "./resources/account.ts";
export { AuthApi } from "./resources/auth.ts";
export { FilesApi, type Download, type UploadBody, type UploadOptions } from "./resources/files.ts";
export type { ProgressListener, TransferProgress } from "./progress.ts";
export { ProfilesApi } from "./resources/profiles.ts";
export { SessionsApi } from "./resources/sessions.ts";
export {
  createSessionWebSocket,
  FINAL_CLOSE_CODES,
  SessionSocket,
  socketUrl,
  type SessionSocketOptions,
  type SocketState,
  type WebSocketConstructor,
  type WebSocketLike,
} from "./socket/session-socket.ts";
export type { CloseInfo, EventContext, EventHandlers, PayloadOf, SessionHandlers } from "./socket/handlers.ts";
export type { ClientFrameInput, UnknownFrame } from "./socket/frames.ts";
export type * from "./types.ts";
