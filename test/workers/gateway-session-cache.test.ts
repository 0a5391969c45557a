/**
 * The model gateway keeps, per isolate, the index row it reads on a model call (the session's
 * owner and sealed credential: platform/db/gateway-session-cache.ts). What a call right after a
 * remembered one must still see at once: the session's end, a deleted credential, a new key.
 */
import { describe, expect, it } from "vitest";
import { credentialChanged, readMark, recallGatewaySession, rememberGatewaySession } from "../../platform/db/gateway-session-cache.ts";
import { call } from "./helpers.ts";
import { gateway, messagesBody, receivedWith, sessionWith } from "./gateway-helpers.ts";

/** One served call: the session's row is then remembered by this isolate. */
async function servedCall(s: { baseUrl: string; gatewayToken: string }, text: string): Promise<void> {
  const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody(text, false) });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

describe("model gateway: the remembered index row", () => {
  it("refuses a terminated session's call right after a call that left its row remembered", async () => {
    const s = await sessionWith("api_key");
    await servedCall(s, "before the end");
    expect(recallGatewaySession(s.id, Date.now()).row).not.toBeNull();
    expect((await call("DELETE", `/v1/sessions/${s.id}`, { token: s.token })).status).toBe(200);
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("too late", false) });
    expect(response.status).toBe(403);
    expect((await response.json<any>()).error.type).toBe("permission_error");
    expect(await receivedWith(s.secret)).toHaveLength(1);
  });

  it("refuses a wrong token right after a served call", async () => {
    const s = await sessionWith("api_key");
    await servedCall(s, "with the right token");
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: "gt_not-the-token", body: messagesBody("forged", false) });
    expect(response.status).toBe(401);
    expect(await receivedWith(s.secret)).toHaveLength(1);
  });

  it("stops using a deleted credential at once, even right after a call paid with it", async () => {
    const s = await sessionWith("api_key");
    await servedCall(s, "paid with the key");
    expect((await call("DELETE", "/v1/auth/claude", { token: s.token })).body).toEqual({ deleted: true });
    const response = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("no key now", false) });
    expect(response.status).toBe(401);
    expect((await response.json<any>()).error.message).toContain("no Claude credential");
    expect(await receivedWith(s.secret)).toHaveLength(1);
  });

  it("pays the next call with a key stored right after a call paid with the old one", async () => {
    const s = await sessionWith("api_key");
    await servedCall(s, "paid with the old key");
    const replacement = `sk-ant-api03-${crypto.randomUUID()}`;
    expect((await call("POST", "/v1/auth/claude/apikey", { token: s.token, body: { api_key: replacement } })).status).toBe(200);
    await servedCall(s, "paid with the new key");
    expect(await receivedWith(s.secret)).toHaveLength(1);
    expect(await receivedWith(replacement)).toHaveLength(1);
  });

  it("does not keep a read that overlapped a credential change", () => {
    const row = { user_id: `user-${crypto.randomUUID()}`, org_id: null, ciphertext: "sealed" };
    const sessionId = `session-${crypto.randomUUID()}`;
    const mark = readMark(); // the read starts...
    credentialChanged(row.user_id); // ...the credential changes while it runs...
    rememberGatewaySession(sessionId, row, mark, Date.now()); // ...and it returns the old one
    expect(recallGatewaySession(sessionId, Date.now())).toEqual({ known: true, row: null });
    rememberGatewaySession(sessionId, row, readMark(), Date.now());
    expect(recallGatewaySession(sessionId, Date.now())).toEqual({ known: true, row });
  });
});
