/**
 * WebSocket upgrades (docs/api.md §5). The Worker authenticates and checks ownership, then hands
 * the upgrade to the session's Durable Object, which accepts it with the hibernation API.
 */
import type { Hono } from "hono";
import { z } from "zod";
import { FORWARD_HEADERS } from "../../platform/contracts/session.ts";
import { findSessionRow } from "../../platform/db/sessions.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { ApiError, notFound } from "../../platform/errors.ts";
import { orgOwner } from "../sessions/owners.ts";
import { sessionStub } from "../sessions/start-session.ts";

/**
 * Query of a client socket: where to resume from, and for clients that cannot set headers a
 * single-use `ticket` (POST /v1/ws-ticket) or, for existing clients, the bearer `token` itself.
 */
const ClientSocketQuery = z
  .object({
    after_seq: z.coerce.number().int().min(0).optional(),
    token: z.string().max(8_192).optional(),
    ticket: z.string().max(128).optional(),
  })
  .strict();

/** Forwards an upgrade to the session DO with the identity the Worker established. */
function forward(request: Request, env: AppEnv["Bindings"], sessionId: string, headers: Record<string, string>): Promise<Response> {
  const forwarded = new Request(request);
  for (const name of Object.values(FORWARD_HEADERS)) forwarded.headers.delete(name);
  for (const [name, value] of Object.entries(headers)) forwarded.headers.set(name, value);
  return sessionStub(env, sessionId).fetch(forwarded);
}

/** Hands a client's upgrade to the session if `ownerId` owns it: 404 unknown, 403 someone else's. */
async function clientUpgrade(
  request: Request,
  env: AppEnv["Bindings"],
  sessionId: string,
  viewer: { ownerId: string; readOnly: boolean; expiresAt: number | null; keyId?: string },
): Promise<Response> {
  const row = await findSessionRow(env.DB, sessionId);
  if (!row) throw notFound("session");
  if (row.user_id !== viewer.ownerId) throw new ApiError(403, "forbidden", "this session belongs to someone else");
  return forward(request, env, sessionId, {
    [FORWARD_HEADERS.role]: "client",
    [FORWARD_HEADERS.user]: viewer.ownerId,
    [FORWARD_HEADERS.readOnly]: viewer.readOnly ? "1" : "0",
    [FORWARD_HEADERS.expiresAt]: viewer.expiresAt === null ? "" : String(viewer.expiresAt),
    [FORWARD_HEADERS.keyId]: viewer.keyId ?? "",
  });
}

export function sessionSocketRoutes(app: Hono<AppEnv>): void {
  for (const path of ["/v1/ws/sessions/:id", "/v1/sessions/:id/ws"]) {
    route(
      app,
      {
        method: "get",
        path,
        summary:
          "The session's WebSocket (owner, read-write). `?after_seq=N` resumes after event N; otherwise a `history` frame comes first.",
        tag: "websocket",
        auth: "registered",
        socketTicket: true,
        query: ClientSocketQuery,
        websocket: true,
      },
      // The token's expiry does not bound the socket: the product's client holds a 1 h token and
      // never reconnects. Deregistration ends the user's sessions, which closes their sockets.
      (c, { params }) => clientUpgrade(c.req.raw, c.env, params.id!, { ownerId: c.var.user.id, readOnly: false, expiresAt: null }),
    );
  }

  route(
    app,
    {
      method: "get",
      path: "/v1/ws/org/sessions/:id",
      summary: "Read-only WebSocket of an org session (org API key and X-LC-OID).",
      tag: "websocket",
      auth: "org",
      query: ClientSocketQuery,
      websocket: true,
    },
    // The key's id goes with the socket, so revoking the key closes it (routes/orgs.ts).
    (c, { params }) =>
      clientUpgrade(c.req.raw, c.env, params.id!, {
        ownerId: orgOwner(c.var.org.id),
        readOnly: true,
        expiresAt: c.var.org.expiresAt,
        keyId: c.var.org.keyId,
      }),
  );

  route(
    app,
    {
      method: "get",
      path: "/v1/runner/sessions/:id/ws",
      summary: "The runner's channel (sandbox only; `Authorization: Bearer <runner token>`).",
      tag: "internal",
      auth: "none",
      websocket: true,
    },
    async (c, { params }) => {
      if (!(await findSessionRow(c.env.DB, params.id!))) throw notFound("session");
      // The session DO checks the runner token against the hash it minted.
      return forward(c.req.raw, c.env, params.id!, { [FORWARD_HEADERS.role]: "runner" });
    },
  );
}
