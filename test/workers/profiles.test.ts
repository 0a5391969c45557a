import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { REDACTED_SECRET } from "../../schemas/profile.ts";
import { call, registeredUser } from "./helpers.ts";

const FULL_PROFILE = {
  name: "Investigation",
  description: "Profile for security investigations",
  allowed_tools: ["Bash", "Read", "Grep", "Glob", "WebFetch", "Bash(git:*)", "mcp__intel", "mcp__intel__lookup"],
  denied_tools: ["Write", "Edit"],
  permission_mode: "plan",
  model: "claude-sonnet-4-5",
  max_turns: 100,
  max_budget_usd: 10.5,
  one_shot: true,
  ttl_seconds: 3600,
  environment: { VT_API_KEY: "vt-secret-value-123", REGION: "eu" },
  mcp_servers: {
    intel: { type: "http", url: "https://intel.example/mcp", headers: { Authorization: "Bearer mcp-secret-token" } },
    local: { type: "stdio", command: "node", args: ["server.js"], env: { DEBUG: "1" } },
  },
};

describe("profiles", () => {
  it("creates a profile with every field and reads it back unchanged (secret values as names only)", async () => {
    const { token } = await registeredUser();
    const created = await call("POST", "/v1/profiles", { token, body: FULL_PROFILE });
    expect(created.status).toBe(201);
    expect(created.body.profile).toMatchObject({
      ...FULL_PROFILE,
      environment: { VT_API_KEY: REDACTED_SECRET, REGION: REDACTED_SECRET },
      mcp_servers: {
        intel: { ...FULL_PROFILE.mcp_servers.intel, headers: { Authorization: REDACTED_SECRET } },
        local: { ...FULL_PROFILE.mcp_servers.local, env: { DEBUG: REDACTED_SECRET } },
      },
      id: expect.any(String),
      is_default: false,
    });
    const read = await call("GET", `/v1/profiles/${created.body.profile.id}`, { token });
    expect(read.body).toEqual(created.body);
  });

  it("fills defaults for omitted fields", async () => {
    const { token } = await registeredUser();
    const { body } = await call("POST", "/v1/profiles", { token, body: { name: "Minimal" } });
    expect(body.profile).toMatchObject({
      permission_mode: "acceptEdits",
      one_shot: false,
      allowed_tools: [],
      denied_tools: [],
      model: null,
      max_turns: null,
      ttl_seconds: null,
      environment: {},
      mcp_servers: {},
    });
  });

  it("seals environment and mcp_servers at rest", async () => {
    const { token } = await registeredUser();
    const { body } = await call("POST", "/v1/profiles", { token, body: FULL_PROFILE });
    const row = await env.DB.prepare("SELECT * FROM profiles WHERE id = ?").bind(body.profile.id).first();
    const text = JSON.stringify(row);
    expect(text).not.toContain("vt-secret-value-123");
    expect(text).not.toContain("mcp-secret-token");
    expect(text).toContain("Investigation");
  });

  it("updates only the fields given, clears limits with null, and keeps names unique", async () => {
    const { token } = await registeredUser();
    const created = (await call("POST", "/v1/profiles", { token, body: FULL_PROFILE })).body.profile;
    const updated = await call("PUT", `/v1/profiles/${created.id}`, {
      token,
      body: { max_turns: null, denied_tools: ["WebFetch"], environment: { REGION: "us" } },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.profile).toMatchObject({
      name: "Investigation",
      max_turns: null,
      denied_tools: ["WebFetch"],
      environment: { REGION: REDACTED_SECRET },
      max_budget_usd: 10.5,
    });
    const taken = await call("PUT", `/v1/profiles/${created.id}`, { token, body: { name: "Default" } });
    expect(taken.status).toBe(409);
    expect(taken.body.error).toBe("profile_name_taken");
    const duplicate = await call("POST", "/v1/profiles", { token, body: { name: "Investigation" } });
    expect(duplicate.status).toBe(409);
  });

  it("answers 409 profile_limit for the 11th profile, even when creates race", async () => {
    const { token } = await registeredUser(); // 2 starter profiles
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => call("POST", "/v1/profiles", { token, body: { name: `P${i}` } })),
    );
    expect(answers.filter((a) => a.status === 201)).toHaveLength(8);
    const refused = answers.filter((a) => a.status === 409);
    expect(refused).toHaveLength(4);
    expect(refused[0]!.body.error).toBe("profile_limit");
    expect((await call("GET", "/v1/profiles", { token })).body.profiles).toHaveLength(10);
  });

  it("switches the default, refuses to delete it, and deletes others", async () => {
    const { token } = await registeredUser();
    const { body: list } = await call("GET", "/v1/profiles", { token });
    const [starter, full] = list.profiles;
    expect((await call("DELETE", `/v1/profiles/${starter.id}`, { token })).status).toBe(409);

    const made = await call("POST", `/v1/profiles/${full.id}/default`, { token, headers: { "content-type": "application/json" } });
    expect(made.status).toBe(200);
    expect(made.body.profile.is_default).toBe(true);
    const after = (await call("GET", "/v1/profiles", { token })).body.profiles;
    expect(after.filter((p: any) => p.is_default).map((p: any) => p.id)).toEqual([full.id]);

    const deleted = await call("DELETE", `/v1/profiles/${starter.id}`, { token });
    expect(deleted.body).toEqual({ deleted: true });
    expect((await call("GET", `/v1/profiles/${starter.id}`, { token })).status).toBe(404);
    expect((await call("POST", "/v1/profiles/unknown-id/default", { token })).status).toBe(404);
  });

  it("hides one user's profiles from another: reads, changes and deletes are 404", async () => {
    const alice = await registeredUser();
    const bob = await registeredUser();
    const profile = (await call("POST", "/v1/profiles", { token: alice.token, body: FULL_PROFILE })).body.profile;
    expect((await call("GET", `/v1/profiles/${profile.id}`, { token: bob.token })).status).toBe(404);
    expect((await call("PUT", `/v1/profiles/${profile.id}`, { token: bob.token, body: { name: "Stolen" } })).status).toBe(404);
    expect((await call("DELETE", `/v1/profiles/${profile.id}`, { token: bob.token })).status).toBe(404);
    expect((await call("POST", `/v1/profiles/${profile.id}/default`, { token: bob.token })).status).toBe(404);
    const bobs = (await call("GET", "/v1/profiles", { token: bob.token })).body.profiles.map((p: any) => p.id);
    expect(bobs).not.toContain(profile.id);
    expect((await call("GET", `/v1/profiles/${profile.id}`, { token: alice.token })).body.profile.name).toBe("Investigation");
  });

  it("rejects invalid values with 400 and the field at fault", async () => {
    const { token } = await registeredUser();
    const cases: [string, unknown][] = [
      ["name", { name: "x".repeat(101) }],
      ["name", { name: "" }],
      ["description", { name: "a", description: "d".repeat(501) }],
      ["unknown", { name: "a", allowed_tool: ["Read"] }],
      ["allowed_tools", { name: "a", allowed_tools: ["read"] }],
      ["allowed_tools", { name: "a", allowed_tools: ["Bash(git)"] }],
      ["permission_mode", { name: "a", permission_mode: "yolo" }],
      ["max_turns", { name: "a", max_turns: 0 }],
      ["max_budget_usd", { name: "a", max_budget_usd: 0 }],
      ["ttl_seconds", { name: "a", ttl_seconds: 86_401 }],
      ["ttl_seconds", { name: "a", ttl_seconds: 59 }],
      ["environment", { name: "a", environment: { "BAD-NAME": "x" } }],
      ["mcp_servers", { name: "a", mcp_servers: { s: { type: "ftp", url: "ftp://x" } } }],
      ["mcp_servers", { name: "a", mcp_servers: { s: { type: "http", url: "https://x", extra: true } } }],
    ];
    for (const [field, body] of cases) {
      const answer = await call("POST", "/v1/profiles", { token, body });
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(answer.body.error).toBe("invalid_request");
      expect(answer.body.message).toContain(field === "unknown" ? "allowed_tool" : field);
    }
    expect((await call("GET", "/v1/profiles", { token })).body.profiles).toHaveLength(2);
  });

  it("answers 413 to a body over the size limit", async () => {
    const { token } = await registeredUser();
    const answer = await call("POST", "/v1/profiles", { token, body: { name: "big", description: "x".repeat(300 * 1024) } });
    expect(answer.status).toBe(413);
    expect(answer.body.error).toBe("payload_too_large");
  });
});
