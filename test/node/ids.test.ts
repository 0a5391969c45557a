/**
 * Ids the platform hands out (sessions, profiles, keys) are typed on command lines: none may start
 * with `-`, which the CLI would read as an option ("Unknown option '-e'").
 */
import { describe, expect, it } from "vitest";
import { newId } from "../../platform/crypto/encoding.ts";

describe("newId", () => {
  it("never starts with '-', and stays 24 URL-safe characters, unique", () => {
    // 20,000 draws: plain base64url would start with '-' about 300 times.
    const ids = Array.from({ length: 20_000 }, () => newId());
    expect(ids.filter((id) => id.startsWith("-"))).toEqual([]);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{24}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    // The other 63 first characters all still occur.
    expect(new Set(ids.map((id) => id[0])).size).toBe(63);
  });
});
