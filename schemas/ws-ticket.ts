/**
 * WebSocket tickets: a short-lived, single-use credential a client puts in a socket URL
 * (`?ticket=`) instead of its bearer token, so the token never travels in a query string.
 */
import { z } from "zod";
import { Id, Timestamp } from "./common.ts";

/** How long a ticket can be redeemed: long enough to open the socket right after asking. */
export const WS_TICKET_TTL_SECONDS = 30;

/** Prefix of tickets, so a leaked one is recognisable in logs and scanners. */
export const WS_TICKET_PREFIX = "wst_";

/** A ticket as it appears in a URL: the prefix and 43 base64url characters (32 random bytes). */
export const WsTicketValue = z.string().regex(/^wst_[A-Za-z0-9_-]{43}$/, "not a ticket this platform issued");

/** POST /v1/ws-ticket: optionally bound to one session (the ticket then opens only its socket). */
export const WsTicketRequest = z.object({ session_id: Id.optional() }).strict().meta({ id: "WsTicketRequest" });

/** Answer of POST /v1/ws-ticket. */
export const WsTicket = z
  .object({
    ticket: z.string().describe("Put in the socket URL as `?ticket=`; redeemable once."),
    expires_at: Timestamp,
  })
  .meta({ id: "WsTicket" });
export type WsTicket = z.infer<typeof WsTicket>;
