/**
 * Single-use socket tickets (POST /v1/ws-ticket, `?ticket=`): they open the holder's session
 * socket once, within their lifetime, and nobody else's; `?token=` keeps working.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { WS_TICKET_TTL_SECONDS } from "../../schemas/ws-ticket.ts";
import { sha256Hex } from "../../platform/crypto/encoding.ts";
import { call } from "./helpers.ts";
import { TestSocket, clientSocket, createSession, openSocket, userWithKey } from "./session-helpers.ts";

async function ticketFor(token: string, body: Record<string, unknown> = {}): Promise<string> {
  const answer = await call("POST", "/v1/ws-ticket", { token, body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.ticket;
}

/** Opens the session's socket with a ticket; the refusal's status and error code when it is refused. */
async function openWithTicket(sessionId: string, ticket: string): Promise<TestSocket | { status: number; error: string }> {
  const socket = await openSocket(`/v1/ws/sessions/${sessionId}?ticket=${encodeURIComponent(ticket)}`);
  if (socket instanceof TestSocket) return socket;
  return { status: socket.status, error: ((await socket.json()) as { error: string }).error };
}

describe("socket tickets", () => {
  it("issues a ticket that expires about 30 s later and opens the owner's socket once", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const before = Date.now();
    const answer = await call("POST", "/v1/ws-ticket", { token });
    expect(answer.body.ticket).toMatch(/^wst_[A-Za-z0-9_-]{43}$/);
    const expiresIn = Date.parse(answer.body.expires_at) - before;
    expect(expiresIn).toBeGreaterThan((WS_TICKET_TTL_SECONDS - 5) * 1000);
    expect(expiresIn).toBeLessThanOrEqual((WS_TICKET_TTL_SECONDS + 1) * 1000);

    const socket = await openWithTicket(id, answer.body.ticket);
    expect(socket).toBeInstanceOf(TestSocket);
    const history = await (socket as TestSocket).next("history");
    expect(history.session_id).toBe(id);
    (socket as TestSocket).close();

    // Reuse: the same ticket is refused the second time.
    expect(await openWithTicket(id, answer.body.ticket)).toEqual({ status: 401, error: "unauthorized" });
  });

  it("refuses an expired ticket", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    const ticket = await ticketFor(token);
    // Move its expiry into the past (the clock is what the test skips, not the check).
    await env.DB.prepare("UPDATE ws_tickets SET expires_at = ? WHERE ticket_hash = ?")
      .bind(Date.now() - 1, await sha256Hex(ticket))
      .run();
    expect(await openWithTicket(id, ticket)).toEqual({ status: 401, error: "unauthorized" });
  });

  it("never opens another user's session, and a session-bound ticket opens only that session", async () => {
    const alice = await userWithKey();
    const bob = await userWithKey();
    const alicesSession = await createSession(alice.token);
    const alicesOther = await createSession(alice.token);
    // Bob's ticket on Alice's session: the ownership check refuses it.
    expect(await openWithTicket(alicesSession, await ticketFor(bob.token))).toEqual({ status: 403, error: "forbidden" });
    // Bob cannot have a ticket bound to Alice's session issued at all.
    expect((await call("POST", "/v1/ws-ticket", { token: bob.token, body: { session_id: alicesSession } })).status).toBe(404);
    // Alice's ticket for one session does not open her other one.
    const bound = await ticketFor(alice.token, { session_id: alicesSession });
    expect(await openWithTicket(alicesOther, bound)).toEqual({ status: 403, error: "forbidden" });
    // ... and it was spent by that attempt.
    expect(await openWithTicket(alicesSession, bound)).toEqual({ status: 401, error: "unauthorized" });
    const fresh = await openWithTicket(alicesSession, await ticketFor(alice.token, { session_id: alicesSession }));
    expect(fresh).toBeInstanceOf(TestSocket);
    (fresh as TestSocket).close();
  });

  it("refuses forged tickets and needs a signed-in user to issue one; ?token= still opens sockets", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    expect(await openWithTicket(id, `wst_${"A".repeat(43)}`)).toEqual({ status: 401, error: "unauthorized" });
    expect(await openWithTicket(id, "garbage")).toEqual({ status: 401, error: "unauthorized" });
    expect((await call("POST", "/v1/ws-ticket", {})).status).toBe(401);
    expect((await call("POST", "/v1/ws-ticket", { token, body: { session_id: 5 } })).status).toBe(400);
    const legacy = await clientSocket(id, token);
    expect((await legacy.next("history")).session_id).toBe(id);
    legacy.close();
  });

  it("stores tickets only as hashes", async () => {
    const { token } = await userWithKey();
    const ticket = await ticketFor(token);
    const rows = await env.DB.prepare("SELECT * FROM ws_tickets").all();
    expect(JSON.stringify(rows.results)).not.toContain(ticket.slice(4));
  });
});

describe("socket URLs opened without an upgrade", () => {
  it("say they speak WebSocket only (426), whatever the credentials, instead of asking for a token", async () => {
    const { token } = await userWithKey();
    const id = await createSession(token);
    for (const path of [
      `/v1/ws/sessions/${id}?token=${encodeURIComponent(token)}`,
      `/v1/sessions/${id}/ws`,
      `/v1/ws/org/sessions/${id}`,
      `/v1/runner/sessions/${id}/ws`,
    ]) {
      const answer = await call("GET", path);
      expect(answer.status, path).toBe(426);
      expect(answer.body, path).toMatchObject({ error: "upgrade_required" });
      expect(answer.headers.get("upgrade"), path).toBe("websocket");
    }
    const doc = (await call("GET", "/openapi")).body;
    expect(doc.paths["/v1/ws/sessions/{id}"].get.responses.default.description).toContain("upgrade_required");
  });
});
