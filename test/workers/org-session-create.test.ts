/**
 * `POST /v1/api/sessions` with the body the product's client sends (python-limacharlie
 * `start_session`): `anthropic_key` (literal or `hive://secret/`), `lc_api_key`/`lc_uid` sealed
 * into the session's environment, a nested `profile` that overrides top-level fields, `plugins`,
 * and the `{session_id, status, created_at}` answer it reads.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { newOrg } from "./org-helpers.ts";
import { recordedSandbox, runnerSocket } from "./session-helpers.ts";

const KEY = "sk-ant-api03-org-create-literal-0123456789";

describe("org session create: the product client's body", () => {
  it("answers 201 {session_id, status, created_at, session}, applies the nested profile and seals the LC credentials", async () => {
    const org = await newOrg();
    const created = await call("POST", "/v1/api/sessions", {
      headers: org.headers,
      body: {
        prompt: "Investigate the detection",
        anthropic_key: KEY,
        trigger_source: "cli",
        lc_api_key: "lc-api-key-value-xyz",
        lc_uid: "lc-user-uid-abc",
        name: "triage",
        permission_mode: "plan",
        profile: {
          allowed_tools: ["Read"],
          denied_tools: ["WebFetch"],
          permission_mode: "acceptEdits",
          max_turns: 7,
          task_budget_tokens: 50_000,
          one_shot: false,
          plugins: [],
          environment: { TEAM: "blue" },
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.session_id;
    expect(created.body).toMatchObject({ status: "starting", created_at: expect.any(String), session: { id } });
    // The nested profile wins over the top-level field; the rest comes from it too.
    expect(created.body.session.profile).toMatchObject({
      permission_mode: "acceptEdits",
      allowed_tools: ["Read"],
      denied_tools: ["WebFetch"],
      max_turns: 7,
      one_shot: false,
    });
    expect(created.body.session.task_budget_tokens).toBe(50_000);
    // The LC credentials are names only in every answer.
    expect(created.body.session.profile.environment).toEqual({
      TEAM: "[redacted]",
      LC_API_KEY: "[redacted]",
      LC_OID: "[redacted]",
      LC_UID: "[redacted]",
    });
    const read = await call("GET", `/v1/org/sessions/${id}`, { headers: org.headers });
    expect(JSON.stringify(read.body)).not.toContain("lc-api-key-value-xyz");
    expect(JSON.stringify(read.body)).not.toContain("lc-user-uid-abc");
    // Nor are they in the sandbox's start environment or the session's stored state in clear.
    const sandbox = await recordedSandbox(id);
    expect(JSON.stringify(sandbox.env)).not.toContain("lc-api-key-value-xyz");
    const { runInDurableObject } = await import("cloudflare:test");
    const stored = await runInDurableObject(env.SESSION.get(env.SESSION.idFromName(id)), async (_i, state) =>
      JSON.stringify(state.storage.sql.exec("SELECT json FROM state").toArray()),
    );
    expect(stored).not.toContain("lc-api-key-value-xyz");
    // The runner gets them, opened, at configure time: the agent's `limacharlie` CLI reads them.
    const runner = await runnerSocket(id);
    expect(runner.frames.find((f) => f.type === "configure").settings.environment).toEqual({
      TEAM: "blue",
      LC_API_KEY: "lc-api-key-value-xyz",
      LC_OID: org.oid,
      LC_UID: "lc-user-uid-abc",
    });
    expect((await runner.next("prompt")).text).toBe("Investigate the detection");
    // The literal key pays, sealed for this session.
    const admission = await env.SESSION.get(env.SESSION.idFromName(id)).admitModelRequest(sandbox.env.GATEWAY_TOKEN!);
    expect(admission).toMatchObject({ allowed: true, credential: { kind: "sealed" } });
  });

  it("takes anthropic_key as an org secret reference, keeps anthropic_secret as an alias, and returns a live session for the same idempotent_key", async () => {
    const org = await newOrg();
    await call("PUT", `/v1/orgs/${org.oid}/secrets/claude`, { headers: org.headers, body: { value: KEY } });
    const body = { prompt: "go", anthropic_key: "hive://secret/claude", idempotent_key: "det-42" };
    const first = await call("POST", "/v1/api/sessions", { headers: org.headers, body });
    expect(first.status).toBe(201);
    const sandbox = await recordedSandbox(first.body.session_id);
    const admission = await env.SESSION.get(env.SESSION.idFromName(first.body.session_id)).admitModelRequest(sandbox.env.GATEWAY_TOKEN!);
    expect(admission).toMatchObject({ allowed: true, credential: { kind: "org_secret", name: "claude" } });

    const again = await call("POST", "/v1/api/sessions", { headers: org.headers, body });
    expect(again.status).toBe(200);
    expect(again.body.session_id).toBe(first.body.session_id);

    const alias = await call("POST", "/v1/api/sessions", {
      headers: org.headers,
      body: { prompt: "go", anthropic_secret: "hive://secret/claude" },
    });
    expect(alias.status).toBe(201);
    expect(alias.body.session_id).not.toBe(first.body.session_id);
  });

  it("refuses what it cannot honour with a clear 400", async () => {
    const org = await newOrg();
    const post = (body: unknown) => call("POST", "/v1/api/sessions", { headers: org.headers, body });
    // The client sends an empty key when its template names none.
    const noKey = await post({ prompt: "go", anthropic_key: "", trigger_source: "cli" });
    expect(noKey.status).toBe(400);
    expect(noKey.body.message).toContain("anthropic_key");
    const plugin = await post({ prompt: "go", anthropic_key: KEY, profile: { plugins: ["lc-essentials"] } });
    expect(plugin.status).toBe(400);
    expect(plugin.body).toMatchObject({ error: "unknown_plugin", message: expect.stringContaining("lc-essentials") });
    const missing = await post({ prompt: "go", anthropic_key: "hive://secret/nope" });
    expect(missing.body.error).toBe("secret_not_found");
    const typo = await post({ prompt: "go", anthropic_key: KEY, profile: { max_turn: 3 } });
    expect(typo.status).toBe(400);
    const both = await post({ prompt: "go", anthropic_key: KEY, anthropic_secret: "hive://secret/other" });
    expect(both.status).toBe(400);
    // 100 variables at the top level and 100 in the profile are each fine alone, not together.
    const vars = (prefix: string) => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`${prefix}_${i}`, "x"]));
    const tooMany = await post({ prompt: "go", anthropic_key: KEY, environment: vars("TOP"), profile: { environment: vars("NESTED") } });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.message).toContain("at most 100 environment variables");
    const lcExtra = await post({ prompt: "go", anthropic_key: KEY, lc_api_key: "lc-key", profile: { environment: vars("NESTED") } });
    expect(lcExtra.status).toBe(400);
  });
});
