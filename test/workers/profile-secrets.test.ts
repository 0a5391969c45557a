/**
 * Secret settings (`environment` values, MCP headers/env values) are never returned by the
 * API, stay sealed in the session's Durable Object, and reach only the runner's configuration.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { REDACTED_SECRET } from "../../schemas/profile.ts";
import { call } from "./helpers.ts";
import { createSession, runnerSocket, userWithKey } from "./session-helpers.ts";

const SECRET_PROFILE = {
  name: "With secrets",
  environment: { VT_API_KEY: "vt-secret-value-123", REGION: "eu" },
  mcp_servers: {
    intel: { type: "http", url: "https://intel.example/mcp", headers: { Authorization: "Bearer mcp-secret-token" } },
    local: { type: "stdio", command: "node", args: ["server.js"], env: { DB_PASSWORD: "stdio-secret-pw" } },
  },
};

const SECRETS = ["vt-secret-value-123", "mcp-secret-token", "stdio-secret-pw"];

/** The redacted view of SECRET_PROFILE's secret settings: names only. */
const REDACTED = {
  environment: { VT_API_KEY: REDACTED_SECRET, REGION: REDACTED_SECRET },
  mcp_servers: {
    intel: { type: "http", url: "https://intel.example/mcp", headers: { Authorization: REDACTED_SECRET } },
    local: { type: "stdio", command: "node", args: ["server.js"], env: { DB_PASSWORD: REDACTED_SECRET } },
  },
};

const expectNoSecret = (value: unknown) => {
  const text = JSON.stringify(value);
  for (const secret of SECRETS) expect(text).not.toContain(secret);
};

/** Everything the session's Durable Object stores, as text. */
async function storedInSessionObject(sessionId: string): Promise<string> {
  const { runInDurableObject } = await import("cloudflare:test");
  const stub = env.SESSION.get(env.SESSION.idFromName(sessionId));
  return runInDurableObject(stub, async (_instance, state) => {
    const tables = state.storage.sql
      .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'sqlite_%'")
      .toArray();
    const rows = tables.map(({ name }) => state.storage.sql.exec(`SELECT * FROM "${name}"`).toArray());
    return JSON.stringify(rows);
  });
}

describe("profile secrets", () => {
  it("profile routes answer with names only, for create, read, list, update and default", async () => {
    const { token } = await userWithKey();
    const created = await call("POST", "/v1/profiles", { token, body: SECRET_PROFILE });
    expect(created.status).toBe(201);
    expect(created.body.profile).toMatchObject(REDACTED);
    const id = created.body.profile.id;
    expect((await call("GET", `/v1/profiles/${id}`, { token })).body.profile).toMatchObject(REDACTED);
    const list = await call("GET", "/v1/profiles", { token });
    expectNoSecret(list.body);
    const updated = await call("PUT", `/v1/profiles/${id}`, { token, body: { description: "changed" } });
    expect(updated.body.profile).toMatchObject({ description: "changed", ...REDACTED });
    expectNoSecret((await call("POST", `/v1/profiles/${id}/default`, { token })).body);
  });

  it("a session's record holds names only, its object stores the values sealed, and only the runner's configuration carries them", async () => {
    const { token } = await userWithKey();
    const profile = await call("POST", "/v1/profiles", { token, body: SECRET_PROFILE });
    const id = await createSession(token, {
      profile_id: profile.body.profile.id,
      environment: { ...SECRET_PROFILE.environment, EXTRA: "extra-override-secret" },
    });
    const record = await call("GET", `/v1/sessions/${id}`, { token });
    expect(record.body.session.profile).toMatchObject({ ...REDACTED, environment: { ...REDACTED.environment, EXTRA: REDACTED_SECRET } });
    expectNoSecret(record.body);
    expect(JSON.stringify(record.body)).not.toContain("extra-override-secret");

    const stored = await storedInSessionObject(id);
    expectNoSecret(stored);
    expect(stored).not.toContain("extra-override-secret");

    const runner = await runnerSocket(id);
    const configure = runner.frames.find((f) => f.type === "configure");
    expect(configure.settings.environment).toEqual({ VT_API_KEY: "vt-secret-value-123", REGION: "eu", EXTRA: "extra-override-secret" });
    expect(configure.settings.mcp_servers).toEqual(SECRET_PROFILE.mcp_servers);
    runner.close();
  });

  it("sending the redaction marker back keeps the stored value; a marker for an unknown name is dropped", async () => {
    const { token } = await userWithKey();
    const created = (
      await call("POST", "/v1/profiles", {
        token,
        body: { ...SECRET_PROFILE, environment: { ...SECRET_PROFILE.environment, GHOST: REDACTED_SECRET } },
      })
    ).body.profile;
    expect(Object.keys(created.environment)).toEqual(["VT_API_KEY", "REGION"]);
    // A client that read the profile edits one value and sends the rest back as it got them.
    const edited = await call("PUT", `/v1/profiles/${created.id}`, {
      token,
      body: { environment: { ...created.environment, REGION: "us", NEW_NAME: REDACTED_SECRET }, mcp_servers: created.mcp_servers },
    });
    expect(edited.status).toBe(200);
    expect(Object.keys(edited.body.profile.environment)).toEqual(["VT_API_KEY", "REGION"]);
    const id = await createSession(token, { profile_id: created.id });
    const runner = await runnerSocket(id);
    const configure = runner.frames.find((f) => f.type === "configure");
    expect(configure.settings.environment).toEqual({ VT_API_KEY: "vt-secret-value-123", REGION: "us" });
    expect(configure.settings.mcp_servers).toEqual(SECRET_PROFILE.mcp_servers);
    runner.close();
  });

  it("capture-profile keeps the session's secret values (sealed) while answering with names only", async () => {
    const { token } = await userWithKey();
    const profile = await call("POST", "/v1/profiles", { token, body: SECRET_PROFILE });
    const id = await createSession(token, { profile_id: profile.body.profile.id });
    const captured = await call("POST", `/v1/sessions/${id}/capture-profile`, { token, body: { name: "Captured" } });
    expect(captured.status).toBe(201);
    expect(captured.body.profile).toMatchObject(REDACTED);
    const again = await createSession(token, { profile_id: captured.body.profile.id });
    const runner = await runnerSocket(again);
    expect(runner.frames.find((f) => f.type === "configure").settings.environment).toEqual(SECRET_PROFILE.environment);
    runner.close();
  });
});
