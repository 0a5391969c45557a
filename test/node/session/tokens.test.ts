// The sandbox token checks (durable-objects/session/tokens.ts), without workerd.
import { describe, expect, it } from "vitest";
import { bearerToken, hashToken, mintToken, tokenMatches } from "../../../durable-objects/session/tokens.ts";

describe("tokens", () => {
  it("matches a token only against its own stored hash", async () => {
    const token = mintToken("rt");
    const hash = await hashToken(token);
    expect(await tokenMatches(token, hash)).toBe(true);
    expect(await tokenMatches(mintToken("rt"), hash)).toBe(false);
    expect(await tokenMatches(null, hash)).toBe(false);
    expect(await tokenMatches(token, null)).toBe(false);
  });

  it("reads a bearer token and nothing else from an Authorization header", () => {
    expect(bearerToken("Bearer rt_abc")).toBe("rt_abc");
    expect(bearerToken("bearer   rt_abc")).toBe("rt_abc");
    expect(bearerToken("Basic dXNlcg==")).toBeNull();
    expect(bearerToken(null)).toBeNull();
  });
});
