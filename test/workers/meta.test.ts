import { describe, expect, it } from "vitest";
import { exports } from "cloudflare:workers";
import { call } from "./helpers.ts";

describe("service routes", () => {
  it("GET /healthz answers 200 without auth", async () => {
    const answer = await call("GET", "/healthz");
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ ok: true });
  });

  it("GET /openapi describes every route with its schemas", async () => {
    const answer = await call("GET", "/openapi");
    expect(answer.status).toBe(200);
    const doc = answer.body;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/v1/register", "/v1/auth/claude/apikey", "/v1/profiles", "/v1/profiles/{id}", "/v1/profiles/{id}/default"]),
    );
    // The request schema is the strict zod schema: unknown fields are not allowed.
    const ref = doc.paths["/v1/profiles"].post.requestBody.content["application/json"].schema.$ref;
    expect(ref).toBe("#/components/schemas/ProfileCreate");
    const create = doc.components.schemas.ProfileCreate;
    expect(create.additionalProperties).toBe(false);
    expect(create.properties.name.maxLength).toBe(100);
    expect(doc.components.schemas.Profile).toBeDefined();
  });

  it("GET /docs is a readable page of every route, script-free", async () => {
    const response = await exports.default.fetch(new Request("http://platform.test/docs"));
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("content-security-policy")).toContain("default-src 'none'");
    const page = await response.text();
    const doc = (await call("GET", "/openapi")).body;
    // Every documented path appears on the page (with `{id}` parameters as written there).
    for (const path of Object.keys(doc.paths)) expect(page).toContain(`<code>${path}</code>`);
    expect(page).toContain('id="schema-ProfileCreate"');
    expect(page).not.toContain("<script");
  });

  it("unknown API paths answer 404 in the error shape", async () => {
    const answer = await call("GET", "/v1/nope");
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: "not_found", message: expect.any(String) });
  });
});
