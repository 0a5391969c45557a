import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, mintToken, newUser, registeredUser } from "./helpers.ts";

describe("registration", () => {
  it("registers once and repeats return the same registered_at", async () => {
    const token = await mintToken(newUser());
    const first = await call("POST", "/v1/register", { token, headers: { "content-type": "application/json" } });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ registered: true, registered_at: expect.any(String) });
    const again = await call("POST", "/v1/register", { token, body: {} });
    expect(again.body.registered_at).toBe(first.body.registered_at);
  });

  it("creates the Default and Full Permissions profiles, the first as default", async () => {
    const { token } = await registeredUser();
    const { body } = await call("GET", "/v1/profiles", { token });
    expect(body.profiles.map((p: any) => [p.name, p.is_default, p.permission_mode])).toEqual([
      ["Default", true, "acceptEdits"],
      ["Full Permissions", false, "bypassPermissions"],
    ]);
    expect(body.profiles[0].allowed_tools).toEqual([
      "Read",
      "Grep",
      "Glob",
      "Bash(cat:*)",
      "Bash(head:*)",
      "Bash(tail:*)",
      "Bash(less:*)",
      "Bash(grep:*)",
      "Bash(jq:*)",
      "Bash(ls:*)",
      "Bash(wc:*)",
    ]);
    expect(body.profiles[1].allowed_tools).toEqual([]);
  });

  it("refuses email domains outside ALLOWED_EMAIL_DOMAINS and tokens without email", async () => {
    const outsider = await call("POST", "/v1/register", { token: await mintToken(newUser("gmail.test")) });
    expect(outsider.status).toBe(403);
    expect(outsider.body.error).toBe("email_domain_not_allowed");
    const noEmail = await call("POST", "/v1/register", { token: await mintToken({ sub: "no-email-user" }) });
    expect(noEmail.status).toBe(403);
    // The second allowed domain works too.
    expect((await call("POST", "/v1/register", { token: await mintToken(newUser("corp.example")) })).status).toBe(200);
  });

  it("deregistration deletes the credential and profiles, and the user is unregistered again", async () => {
    const { user, token } = await registeredUser();
    await call("POST", "/v1/auth/claude/apikey", { token, body: { api_key: "sk-ant-api03-deregister-me-0123456789" } });
    const answer = await call("DELETE", "/v1/register", { token });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ deregistered: true });
    const rows = await env.DB.prepare(
      "SELECT (SELECT COUNT(*) FROM claude_credentials WHERE user_id = ?1) AS creds, (SELECT COUNT(*) FROM profiles WHERE user_id = ?1) AS profiles",
    )
      .bind(user.sub)
      .first<{ creds: number; profiles: number }>();
    expect(rows).toEqual({ creds: 0, profiles: 0 });
    expect((await call("GET", "/v1/profiles", { token })).status).toBe(403);
  });

  it("allows exactly 10 registration requests per minute, even when they race", async () => {
    const token = await mintToken(newUser());
    const answers = await Promise.all(Array.from({ length: 15 }, () => call("POST", "/v1/register", { token })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(5);
    const limited = answers.find((a) => a.status === 429)!;
    expect(limited.body.error).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    // All ten successes agree on one registration.
    expect(new Set(answers.filter((a) => a.status === 200).map((a) => a.body.registered_at)).size).toBe(1);
    // Another user is not affected by this user's limit.
    expect((await call("POST", "/v1/register", { token: await mintToken(newUser()) })).status).toBe(200);
  });
});
