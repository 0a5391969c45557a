/** Opening a session socket with a single-use ticket (`?ticket=`, from POST /v1/ws-ticket). */
import { WsTicketValue } from "../../schemas/ws-ticket.ts";
import { redeemTicket } from "../../platform/db/ws-tickets.ts";
import type { Env } from "../../platform/env.ts";
import { ApiError } from "../../platform/errors.ts";
import type { AuthUser } from "../http/app-env.ts";

/** The `?ticket=` of a WebSocket upgrade without an Authorization header; null otherwise. */
export function socketTicket(request: Request): string | null {
  if (request.headers.get("authorization") || request.headers.get("upgrade")?.toLowerCase() !== "websocket") return null;
  return new URL(request.url).searchParams.get("ticket");
}

/** The user a ticket was issued to, for the socket of `sessionId`; the ticket is spent whatever the outcome. */
export async function redeemSocketTicket(env: Env, ticket: string, sessionId: string | null): Promise<AuthUser> {
  const holder = WsTicketValue.safeParse(ticket).success ? await redeemTicket(env.DB, ticket, Date.now()) : null;
  if (!holder)
    throw new ApiError(401, "unauthorized", "socket ticket is invalid, expired or already used; ask POST /v1/ws-ticket for a new one");
  if (holder.sessionId !== null && holder.sessionId !== sessionId)
    throw new ApiError(403, "forbidden", "this socket ticket was issued for another session");
  // Only registered users get tickets, so the email was good enough to register with.
  return { id: holder.userId, email: holder.email, emailVerified: true, expiresAt: holder.tokenExpiresAt };
}
