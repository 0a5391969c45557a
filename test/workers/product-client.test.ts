/**
 * Contract test for the product's own Python client (refractionPOINT/python-limacharlie,
 * `limacharlie ai ...`): the requests it makes, in the order `ai auth claude set-key` then
 * `ai chat` makes them, with its bodies and headers (an empty body with a JSON content type
 * where it sends `raw_body=b""`), and assertions on exactly the fields it reads. The client's
 * source was read for this, never copied.
 */
import { describe, expect, it } from "vitest";
import { call, mintToken, newUser } from "./helpers.ts";

/** What the client's `_user_request` sends with `raw_body`: that body, under a JSON content type. */
const JSON_TYPE = { "content-type": "application/json" };

describe("the product's client: ai auth claude set-key, then ai chat, then ai session list/get/history/terminate", () => {
  it("every call succeeds and answers the fields the client reads", async () => {
    // A user who never called /v1/register: the client does not register before set-key.
    const token = await mintToken(newUser());

    // `ai auth claude set-key --key ...`: POST v1/auth/claude/apikey {api_key}; reads `success`.
    const setKey = await call("POST", "/v1/auth/claude/apikey", {
      token,
      body: { api_key: "sk-ant-api03-product-client-0123456789" },
      headers: JSON_TYPE,
    });
    expect(setKey.status).toBe(200);
    expect(setKey.body.success).toBe(true);

    // `ai chat`: status first (reads `has_credentials`), then register with an empty JSON body.
    const status = await call("GET", "/v1/auth/claude/status", { token });
    expect(status.status).toBe(200);
    expect(status.body.has_credentials).toBe(true);
    const registered = await call("POST", "/v1/register", { token, body: "", headers: JSON_TYPE });
    expect(registered.status).toBe(200);

    // create_user_session: only the options given; reads `session.id`.
    const created = await call("POST", "/v1/sessions", {
      token,
      headers: JSON_TYPE,
      body: {
        name: "triage",
        max_turns: 5,
        permission_mode: "acceptEdits",
        allowed_tools: ["Read", "Bash(ls:*)"],
        denied_tools: ["WebFetch"],
      },
    });
    expect(created.status).toBe(201);
    const id = created.body.session.id;
    expect(typeof id).toBe("string");

    // `ai session list`: GET v1/sessions (status/limit/cursor only when given); reads `sessions`, `next_cursor`.
    const list = await call("GET", "/v1/sessions?limit=10", { token });
    expect(list.status).toBe(200);
    expect(list.body.sessions.map((s: any) => s.id)).toEqual([id]);
    expect(list.body.next_cursor).toBeNull();
    // The rows carry what the product's documentation shows in them.
    expect(list.body.sessions[0]).toMatchObject({
      region: "local",
      lc_auth_type: "jwt",
      allowed_tools: ["Read", "Bash(ls:*)"],
      denied_tools: ["WebFetch"],
      exit_code: null,
    });
    expect(Object.hasOwn(list.body.sessions[0], "started_at")).toBe(true);

    // `ai session get`: reads `session`, and its `initial_prompt` (and the record fields it shows).
    const got = await call("GET", `/v1/sessions/${id}`, { token });
    expect(got.status).toBe(200);
    expect(got.body.session).toMatchObject({
      id,
      name: "triage",
      initial_prompt: null,
      allowed_tools: ["Read", "Bash(ls:*)"],
      denied_tools: ["WebFetch"],
      exit_code: null,
      region: "local",
      lc_auth_type: "jwt",
    });
    expect(Object.hasOwn(got.body.session, "started_at")).toBe(true);
    expect(typeof got.body.session.created_at).toBe("string");

    // `ai session history`: GET without limit (it never pages); reads `messages[].type` and `.payload`.
    const history = await call("GET", `/v1/sessions/${id}/history`, { token });
    expect(history.status).toBe(200);
    expect(history.body.messages.length).toBeGreaterThan(0);
    expect(history.body.messages[0]).toMatchObject({ type: "session_status", payload: expect.any(Object) });

    // `ai session terminate`: DELETE v1/sessions/{id}; reads `terminated`.
    const terminated = await call("DELETE", `/v1/sessions/${id}`, { token });
    expect(terminated.status).toBe(200);
    expect(terminated.body.terminated).toBe(true);
    expect((await call("GET", `/v1/sessions/${id}`, { token })).body.session.status).toBe("ended");
  });
});
