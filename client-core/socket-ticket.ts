/**
 * Socket URLs that carry a single-use ticket instead of the bearer token: `POST /v1/ws-ticket`
 * answers a ticket redeemable once within 30 s, so the long-lived token never appears in a URL
 * (where proxies and browser histories keep it). A platform without the route (404) gets the
 * token, as older clients sent it.
 */
import { AiSessionsError } from "./errors.ts";
import type { RestTransport } from "./rest.ts";
import { socketUrl } from "./wire.ts";

/** A fresh socket URL for `sessionId`, resuming after `afterSeq` when given. */
export async function ticketedSocketUrl(rest: RestTransport, sessionId: string, afterSeq: number | null): Promise<string> {
  try {
    const { ticket } = await rest.request<{ ticket: string }>({
      method: "POST",
      path: "/v1/ws-ticket",
      body: { session_id: sessionId },
      idempotent: true,
    });
    return socketUrl(rest.baseUrl, sessionId, { ticket }, afterSeq);
  } catch (error) {
    if (error instanceof AiSessionsError && error.status === 404)
      return socketUrl(rest.baseUrl, sessionId, { token: await rest.token() }, afterSeq);
    throw error;
  }
}
