/**
 * The web UI's files are served with a Content-Security-Policy that forbids framing and foreign
 * scripts. The asset store is a stand-in here (web/dist is built only for dev and deploy), behind
 * the same Fetcher interface the Worker calls.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../platform/env.ts";
import { createApp } from "../../worker/app.ts";

const INDEX = "<!doctype html><title>AI Sessions</title>";

/** Fetches `path` from the Worker with an asset store that serves the UI's index page for every path. */
async function get(path: string, method = "GET"): Promise<{ response: Response; assetCalls: string[] }> {
  const assetCalls: string[] = [];
  const ASSETS = {
    fetch: async (request: Request) => {
      assetCalls.push(new URL(request.url).pathname);
      return new Response(method === "HEAD" ? null : INDEX, { headers: { "content-type": "text/html; charset=utf-8" } });
    },
  } as unknown as Fetcher;
  const ctx = createExecutionContext();
  const response = await createApp().fetch(
    new Request(`http://platform.test${path}`, { method }),
    { ...(env as unknown as Env), ASSETS },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { response, assetCalls };
}

describe("the web UI's files", () => {
  it("carry a CSP with frame-ancestors 'none', script-src 'self', and no-sniff/no-frame headers", async () => {
    for (const path of ["/", "/index.html", "/sessions/abc", "/assets/main.js"]) {
      const { response, assetCalls } = await get(path);
      expect(assetCalls, path).toEqual([path]);
      expect(response.status).toBe(200);
      const csp = response.headers.get("content-security-policy") ?? "";
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("object-src 'none'");
      expect(csp).not.toContain("unsafe-inline");
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await response.text()).toBe(INDEX);
    }
    const head = await get("/", "HEAD");
    expect(head.response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
  });

  it("never serve API paths from the asset store", async () => {
    const { response, assetCalls } = await get("/v1/nothing-here");
    expect(assetCalls).toEqual([]);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: "not_found" });
  });
});
