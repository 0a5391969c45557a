/**
 * POST /v1/ws-ticket: a single-use ticket for opening a session socket with `?ticket=`, so
 * browsers and SDKs need not put their bearer token in a URL (where proxies and logs keep it).
 */
import type { Hono } from "hono";
import { WsTicket, WsTicketRequest } from "../../schemas/ws-ticket.ts";
import { issueTicket } from "../../platform/db/ws-tickets.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { findOwned } from "../sessions/session-views.ts";

export function wsTicketRoutes(app: Hono<AppEnv>): void {
  route(
    app,
    {
      method: "post",
      path: "/v1/ws-ticket",
      summary:
        "Issue a socket ticket: redeemable once, within 30 s, as `?ticket=` on the caller's session sockets (only `session_id`'s when given).",
      tag: "websocket",
      auth: "registered",
      body: WsTicketRequest,
      response: WsTicket,
    },
    async (c, { body }) => {
      const user = c.var.user;
      if (body.session_id) await findOwned(c.env, body.session_id, user.id);
      const { ticket, expiresAt } = await issueTicket(
        c.env.DB,
        { userId: user.id, email: user.email, sessionId: body.session_id ?? null, tokenExpiresAt: user.expiresAt },
        Date.now(),
      );
      return c.json({ ticket, expires_at: new Date(expiresAt).toISOString() });
    },
  );
}
