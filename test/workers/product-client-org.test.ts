/**
 * Contract test, org half, for the product's own Python client (refractionPOINT/python-limacharlie,
 * `limacharlie ai start-session` and `limacharlie ai session list|get|history|terminate`): the
 * requests `sdk/ai.py` makes with an org API key, exactly as it makes them — `Authorization:
 * Bearer <key>`, `X-LC-OID`, `X-LC-UID` when it knows one (ignored here), `start_session`'s body
 * built from an ai_agent template plus overrides, and GET/DELETE calls that carry an empty body
 * under urllib's default form content type — with assertions on exactly the fields it reads.
 * The client's source was read for this, never copied.
 */
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { newOrg } from "./org-helpers.ts";
import { runnerSocket } from "./session-helpers.ts";

/**
 * What urllib adds to a request that has a body (the client always passes one: `b""` when it
 * has none) but no content type of its own: an empty form body. (A GET keeps only the header
 * here: the Workers `Request` refuses a GET with a body, even an empty one.)
 */
const FORM = { "content-type": "application/x-www-form-urlencoded" };

describe("the product's client with an org API key: ai start-session, then ai session list/get/history/terminate", () => {
  it("every call succeeds and answers the fields the client reads", async () => {
    const org = await newOrg();
    // `_org_auth_headers` + the raw API key as bearer (`is_no_auth=True` with an explicit Authorization).
    const headers = { ...org.headers, "x-lc-uid": "lc-user-7f3a", "user-agent": "lc-cli/5.0 (python-limacharlie)" };

    // `start_session(definition, prompt=..., data=..., max_turns=3, plugins=None)`: the template's
    // fields copied into `profile`, the anthropic key resolved from the template's secret to its
    // literal value, `lc_api_key` falling back to the caller's own API key, data appended as YAML.
    const startBody = {
      prompt: "Triage the detection.\n\nEvent data:\n```yaml\nhostname: web-1\nuser: root\n```",
      anthropic_key: "sk-ant-api03-product-client-org-0123456789",
      trigger_source: "cli",
      lc_api_key: org.key,
      lc_uid: "lc-user-7f3a",
      name: "my-security-analyst",
      idempotent_key: "det-0001",
      profile: {
        allowed_tools: ["Read", "Bash(limacharlie:*)"],
        denied_tools: ["WebFetch"],
        permission_mode: "acceptEdits",
        model: "claude-sonnet-4-6",
        max_turns: 3,
        max_budget_usd: 2.5,
        task_budget_tokens: 200_000,
        ttl_seconds: 3600,
        one_shot: true,
        plugins: [],
        environment: { TICKET_QUEUE: "soc" },
        mcp_servers: { intel: { type: "http", url: "https://intel.example/mcp", headers: { Authorization: "Bearer intel-token" } } },
      },
    };
    const started = await call("POST", "/v1/api/sessions", {
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify(startBody),
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    // The client prints the answer; its docstring promises `session_id` and `status`.
    const id = started.body.session_id;
    expect(typeof id).toBe("string");
    expect(started.body.status).toBe("starting");
    expect(typeof started.body.created_at).toBe("string");

    // The session runs what the template asked for.
    const runner = await runnerSocket(id);
    expect((await runner.next("prompt")).text).toBe(startBody.prompt);

    // `ai session list`: GET v1/org/sessions with no query (no filter, no page size); reads
    // `sessions` (and each one's `initial_prompt`, shortened for display) and `next_cursor`.
    const list = await call("GET", "/v1/org/sessions", { headers: { ...headers, ...FORM } });
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.sessions.map((s: any) => s.id)).toEqual([id]);
    expect(list.body.next_cursor).toBeNull();
    // The rows carry what the product's documentation shows in them.
    expect(list.body.sessions[0]).toMatchObject({
      region: "local",
      lc_auth_type: "org_api_key",
      allowed_tools: ["Read", "Bash(limacharlie:*)"],
      denied_tools: ["WebFetch"],
      exit_code: null,
    });
    expect(Object.hasOwn(list.body.sessions[0], "started_at")).toBe(true);

    // `ai session get --id`: reads `session` and its `initial_prompt`.
    const got = await call("GET", `/v1/org/sessions/${id}`, { headers: { ...headers, ...FORM } });
    expect(got.status).toBe(200);
    expect(got.body.session).toMatchObject({
      id,
      name: "my-security-analyst",
      initial_prompt: startBody.prompt,
      allowed_tools: ["Read", "Bash(limacharlie:*)"],
      denied_tools: ["WebFetch"],
      lc_auth_type: "org_api_key",
      task_budget_tokens: 200_000,
    });
    // The keys it handed over are never shown back.
    expect(JSON.stringify(got.body)).not.toContain(org.key);
    expect(JSON.stringify(got.body)).not.toContain("intel-token");

    // `ai session history --id`: GET without limit (it never pages); reads `messages[].type` and,
    // for `system` ones, `payload.subtype`.
    const history = await call("GET", `/v1/org/sessions/${id}/history`, { headers: { ...headers, ...FORM } });
    expect(history.status).toBe(200);
    expect(history.body.messages.map((m: any) => m.type)).toContain("user");
    for (const message of history.body.messages) expect(message.payload).toEqual(expect.any(Object));

    // `ai session terminate --id`: DELETE with the same empty form body; reads `terminated`.
    const terminated = await call("DELETE", `/v1/org/sessions/${id}`, { headers: { ...headers, ...FORM }, body: "" });
    expect(terminated.status, JSON.stringify(terminated.body)).toBe(200);
    expect(terminated.body.terminated).toBe(true);
    const after = await call("GET", `/v1/org/sessions/${id}`, { headers });
    expect(after.body.session).toMatchObject({ status: "ended", end_reason: "org_api_requested" });
  });
});
