/**
 * Logs never hold the credentials that travel in URLs (`?token=`, `?ticket=`): when a request
 * fails unexpectedly the Worker logs its method and path, never its query string.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Env } from "../../platform/env.ts";
import { createApp } from "../../worker/app.ts";
import { mintToken, newUser } from "./helpers.ts";

afterEach(() => vi.restoreAllMocks());

describe("logs", () => {
  it("of an unexpected failure name the path but not the query string's token or ticket", async () => {
    const logged: string[] = [];
    for (const method of ["error", "warn", "log", "info"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
    const token = await mintToken(newUser());
    const ticket = `wst_${"T".repeat(43)}`;
    // A database that fails: the request reaches the Worker's last-resort error handler.
    const brokenDb = {
      prepare: () => {
        throw new Error("database unavailable");
      },
    } as unknown as D1Database;
    const ctx = createExecutionContext();
    const response = await createApp().fetch(
      new Request(`http://platform.test/v1/sessions/abc/history?token=${token}&ticket=${ticket}&after_seq=0`, {
        headers: { authorization: `Bearer ${token}` },
      }),
      { ...(env as unknown as Env), DB: brokenDb },
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: "internal_error", message: "internal error" });
    const text = logged.join("\n");
    expect(text).toContain("/v1/sessions/abc/history");
    expect(text).not.toContain(token);
    expect(text).not.toContain(ticket);
    expect(text).not.toContain("token=");
  });
});
