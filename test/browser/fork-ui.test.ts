/**
 * The web UI's Fork (docs/api.md §4), in Chromium against the platform on loopback with the real
 * agent: a dormant session's header offers Fork; the form shows the preflight for the default
 * profile, keeps the button disabled until the MCP server that profile lacks is acknowledged,
 * and the fork it makes opens with the source's file read back by its first message.
 */
import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWebBuilt } from "../../web/build.ts";
import { Client, api, hasResult, readyUser, startE2EPlatform, type E2EPlatform } from "../node/e2e/platform-harness.ts";
import { CHROMIUM, launchChromium, shot } from "./browser-harness.ts";

let platform: E2EPlatform;
let browser: Browser;
let page: Page;
let token: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  await ensureWebBuilt();
  platform = await startE2EPlatform({ IDLE_HIBERNATE_SECONDS: "2" });
  token = await readyUser(platform.baseUrl);
  browser = await launchChromium();
  page = await (await browser.newContext({ viewport: { width: 1280, height: 820 } })).newPage();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe("forking in the web UI", () => {
  it("offers Fork on a dormant session, shows the preflight, and opens the fork", async () => {
    const created = await api(platform.baseUrl, token, "POST", "/v1/sessions", {
      name: "Word keeper",
      permission_mode: "bypassPermissions",
      mcp_servers: { ghost: { type: "http", url: "http://127.0.0.1:9/mcp" } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const source: string = created.body.session.id;
    const client = await Client.connect(platform.baseUrl, token, source);
    client.send({ type: "prompt", payload: { text: '[[scenario:write path=kept.txt content="seen through the fork"]]' } });
    await client.until(hasResult(), "the write turn", 90_000);
    await client.until((f) => f.some((x) => x.type === "session_status" && x.payload.dormant === true), "dormant", 60_000);
    client.close();

    await page.goto(`${platform.baseUrl}/sessions/${source}#token=${encodeURIComponent(token)}`);
    await page.click("[data-testid=fork]", { timeout: 60_000 });
    await page.waitForURL(new RegExp(`/sessions/${source}/fork$`));
    await page.waitForSelector("[data-testid=fork-forkable]");
    expect(await page.textContent("[data-testid=fork-preflight]")).toContain("This session can be forked.");
    expect(await page.textContent("[data-testid=fork-preflight]")).toContain("conversation come along");
    expect(await page.getAttribute("[data-testid=fork-name]", "placeholder")).toBe("Fork of Word keeper");
    // The default profile lacks the source's MCP server: no fork until it is acknowledged.
    expect(await page.isDisabled("[data-testid=fork-submit]")).toBe(true);
    await page.check("[data-testid=fork-ack-ghost]");
    expect(await page.isDisabled("[data-testid=fork-submit]")).toBe(false);
    await shot(page, "fork-form");

    await page.fill("[data-testid=fork-prompt]", "[[scenario:read path=kept.txt]]");
    await page.click("[data-testid=fork-submit]");
    await page.waitForURL(/\/sessions\/[A-Za-z0-9_-]+$/);
    const fork = new URL(page.url()).pathname.split("/").pop()!;
    expect(fork).not.toBe(source);
    await page.waitForSelector("[data-testid=turn-result]", { timeout: 120_000 });
    expect(await page.textContent("[data-testid=chat-stream]")).toContain("seen through the fork");
    const record = await api(platform.baseUrl, token, "GET", `/v1/sessions/${fork}`);
    expect(record.body.session).toMatchObject({ forked_from_session_id: source, name: "Fork of Word keeper" });
  }, 360_000);
});
