/**
 * The ws_tickets table: single-use socket tickets, stored as hashes. Redeeming deletes the row
 * in the same statement that reads it, so two racing upgrades cannot both use one ticket.
 */
import { WS_TICKET_PREFIX, WS_TICKET_TTL_SECONDS } from "../../schemas/ws-ticket.ts";
import { randomBytes, sha256Hex, toBase64Url } from "../crypto/encoding.ts";

/** Who a ticket was issued to, and what it may open. */
export interface TicketHolder {
  userId: string;
  email: string | null;
  /** The one session whose socket the ticket opens; null: any of the user's sessions. */
  sessionId: string | null;
  /** When the bearer token that asked for the ticket expires (epoch ms). */
  tokenExpiresAt: number | null;
}

interface TicketRow {
  user_id: string;
  email: string | null;
  session_id: string | null;
  expires_at: number;
  token_expires_at: number | null;
}

/** Issues a ticket for `holder`; the plaintext is returned once and never stored. */
export async function issueTicket(db: D1Database, holder: TicketHolder, now: number): Promise<{ ticket: string; expiresAt: number }> {
  const ticket = `${WS_TICKET_PREFIX}${toBase64Url(randomBytes(32))}`;
  const expiresAt = now + WS_TICKET_TTL_SECONDS * 1000;
  await db.batch([
    // Unredeemed tickets are swept as new ones are issued, so the table stays small.
    db.prepare("DELETE FROM ws_tickets WHERE expires_at < ?").bind(now),
    db
      .prepare("INSERT INTO ws_tickets (ticket_hash, user_id, email, session_id, expires_at, token_expires_at) VALUES (?, ?, ?, ?, ?, ?)")
      .bind(await sha256Hex(ticket), holder.userId, holder.email, holder.sessionId, expiresAt, holder.tokenExpiresAt),
  ]);
  return { ticket, expiresAt };
}

/** Redeems a ticket: its holder, or null when it is unknown, already used or expired (it is gone either way). */
export async function redeemTicket(db: D1Database, ticket: string, now: number): Promise<TicketHolder | null> {
  const row = await db
    .prepare("DELETE FROM ws_tickets WHERE ticket_hash = ? RETURNING user_id, email, session_id, expires_at, token_expires_at")
    .bind(await sha256Hex(ticket))
    .first<TicketRow>();
  if (!row || row.expires_at < now) return null;
  return { userId: row.user_id, email: row.email, sessionId: row.session_id, tokenExpiresAt: row.token_expires_at };
}
