/**
 * How long a client socket lives (issue 11): not bounded by the token that opened it (the
 * product's client holds a 1 h token and never reconnects), but closed at once when its user
 * deregisters, and never sent another event once the org key that opened it has expired.
 */
import { describe, expect, it } from "vitest";
import { call, mintToken, registeredUser } from "./helpers.ts";
import { newOrg, OPERATOR } from "./org-helpers.ts";
import { clientSocket, createSession, openSocket, runnerSocket, TestSocket, userWithKey } from "./session-helpers.ts";

/** Waits until `epochMs` has passed: the precondition of an expiry, not an assertion about time. */
async function waitUntil(epochMs: number): Promise<void> {
  while (Date.now() <= epochMs) await new Promise((resolve) => setTimeout(resolve, epochMs - Date.now() + 50));
}

describe("socket lifetime", () => {
  it("keeps a socket open after the token that opened it expires: prompts still go through and events still arrive", async () => {
    const { user, token } = await registeredUser();
    await call("POST", "/v1/auth/claude/apikey", { token, body: { api_key: "sk-ant-api03-socket-lifetime-0123456789" } });
    const id = await createSession(token);
    const runner = await runnerSocket(id);
    const expiresAt = Math.floor(Date.now() / 1000) + 2;
    const client = await clientSocket(id, await mintToken(user, { expiresIn: expiresAt }));
    await client.next("history");
    await waitUntil(expiresAt * 1000);

    client.send({ type: "prompt", payload: { text: "still here" } });
    expect((await runner.next("prompt")).text).toBe("still here");
    runner.send({
      type: "event",
      rseq: 1,
      event: { type: "assistant", payload: { content: [{ type: "text", text: "hello" }], model: "m" } },
    });
    expect((await client.next("assistant")).payload.content[0].text).toBe("hello");
    expect(client.closeCode).toBeNull();
    client.close();
  });

  it("closes every socket of a user at once when they deregister, and refuses their next upgrade", async () => {
    const { token } = await userWithKey();
    const sockets: TestSocket[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const id = await createSession(token);
      ids.push(id);
      const socket = await clientSocket(id, token);
      await socket.next("history");
      sockets.push(socket);
    }
    expect((await call("DELETE", "/v1/register", { token })).status).toBe(200);
    for (const socket of sockets) {
      expect((await socket.next("session_end")).payload.reason).toBe("user_requested");
      expect(await socket.closed()).toBe(4100);
    }
    const again = await openSocket(`/v1/ws/sessions/${ids[0]}?token=${token}`);
    expect(again).not.toBeInstanceOf(TestSocket);
    expect((again as Response).status).toBe(403);
  });

  it("closes (4001) an org socket whose key expired instead of sending it the next event", async () => {
    const org = await newOrg();
    const expiresAt = Date.now() + 2_000;
    const shortKey = await call("POST", `/v1/orgs/${org.oid}/keys`, {
      headers: OPERATOR,
      body: { name: "short-lived", expires_at: new Date(expiresAt).toISOString() },
    });
    expect(shortKey.status).toBe(201);
    const created = await call("POST", "/v1/api/sessions", {
      headers: org.headers,
      body: { prompt: "go", anthropic_key: "sk-ant-api03-socket-lifetime-0123456789" },
    });
    const id = created.body.session_id;
    const watcher = await openSocket(`/v1/ws/org/sessions/${id}`, { authorization: `Bearer ${shortKey.body.key}`, "x-lc-oid": org.oid });
    expect(watcher).toBeInstanceOf(TestSocket);
    const socket = watcher as TestSocket;
    await socket.next("history");
    await waitUntil(expiresAt);

    // The org ends the session with its other key: the expired key's socket is closed, not told.
    expect((await call("DELETE", `/v1/org/sessions/${id}`, { headers: org.headers })).status).toBe(200);
    expect(await socket.closed()).toBe(4001);
    expect(socket.frames.map((f) => f.type)).toEqual(["history"]);
  });
});
