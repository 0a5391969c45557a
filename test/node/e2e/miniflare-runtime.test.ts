/**
 * The benchmarks' runtime (scripts/miniflare-dev.ts, `startLocalPlatform({ runtime: "miniflare" })`):
 * the Worker under Miniflare without wrangler dev's proxy must be the same platform over the same
 * local state. A user registered (D1) and an API key stored (sealed with CREDENTIALS_KEY) under
 * `wrangler dev` are found by the Miniflare runtime started on the same state directory, and a
 * session there runs a whole turn: Durable Objects, the runner's channel, the model gateway with
 * the stored credential, the scripted model.
 */
import { afterAll, describe, expect, it } from "vitest";
import { api, Client, hasResult, readyUser, startE2EPlatform, type E2EPlatform } from "./platform-harness.ts";

let platform: E2EPlatform | undefined;

afterAll(async () => {
  await platform?.stop();
}, 60_000);

describe("the Miniflare runtime", () => {
  it("serves the state wrangler dev left, and runs a turn", async () => {
    platform = await startE2EPlatform({}, { runtime: "wrangler" });
    const token = await readyUser(platform.baseUrl);
    platform = await platform.restart({ runtime: "miniflare" });

    const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions" });
    expect(created.status).toBe(201);
    const client = await Client.connect(platform.baseUrl, token, created.body.session.id);
    client.send({ type: "prompt", payload: { text: "[[scenario:text text=served-by-miniflare]]" } });
    const frames = await client.until(hasResult(), "the turn's result", 90_000);
    const texts = frames.filter((f) => f.type === "assistant").flatMap((f) => f.payload.content.map((c: { text?: string }) => c.text));
    expect(texts).toContain("served-by-miniflare");
    client.close();
  }, 240_000);
});
