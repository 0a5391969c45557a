/**
 * Feeds junk to every route the OpenAPI document lists (so routes added later are covered
 * automatically) and checks that none answers 500 or a non-JSON error.
 */
import { describe, expect, it } from "vitest";
import { call, registeredUser } from "./helpers.ts";

const JUNK_BODIES: (string | unknown)[] = [
  "not json",
  "{",
  "[]",
  "null",
  "42",
  '"string"',
  { unexpected: true },
  { name: { nested: [1, 2, 3] }, api_key: 7, session_id: null, code: [] },
  "\u0000\u0001\u0002",
  JSON.stringify({ name: "a".repeat(10_000) }),
];

const JUNK_PATH_IDS = ["..%2F..%2Fetc", "%00", "a".repeat(300), "'; DROP TABLE users; --", "%F0%9F%92%A9"];

describe("junk input never causes a 500", () => {
  it("every documented route answers junk with a 4xx in the error shape", async () => {
    const { token } = await registeredUser();
    const doc = (await call("GET", "/openapi")).body;
    const seen: string[] = [];
    for (const [template, operations] of Object.entries<Record<string, unknown>>(doc.paths)) {
      for (const method of Object.keys(operations)) {
        const paths = template.includes("{")
          ? JUNK_PATH_IDS.map((id) => template.replace(/\{[^}]+\}/g, id))
          : [template + "?session_id=%ZZ&limit=-1"];
        for (const path of paths) {
          const bodies = method === "get" ? [undefined] : JUNK_BODIES;
          for (const body of bodies) {
            for (const auth of [token, undefined]) {
              const answer = await call(method.toUpperCase(), path, { token: auth, body });
              const label = `${method} ${path.slice(0, 60)} ${String(typeof body === "string" ? body : JSON.stringify(body)).slice(0, 30)}`;
              expect(answer.status, label).toBeLessThan(500);
              if (answer.status >= 400) {
                expect(answer.body, label).toEqual({ error: expect.any(String), message: expect.any(String) });
              }
            }
          }
        }
        seen.push(`${method} ${template}`);
      }
    }
    expect(seen.length).toBeGreaterThanOrEqual(12);
  });
});
