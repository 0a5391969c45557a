/**
 * `#token=` links in the web UI never silently switch the signed-in user (login CSRF), and the
 * UI runs under the CSP its files are served with (no violations). The platform on loopback
 * (wrangler dev serving web/dist), driven by Debian's Chromium.
 */
import { existsSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWebBuilt } from "../../web/build.ts";
import { e2eToken, readyUser, startE2EPlatform, type E2EPlatform } from "../node/e2e/platform-harness.ts";
import { CHROMIUM, launchChromium } from "./browser-harness.ts";

let platform: E2EPlatform;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Console messages reporting a Content-Security-Policy violation. */
const violations: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  await ensureWebBuilt();
  platform = await startE2EPlatform();
  browser = await launchChromium();
  context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
  page = await context.newPage();
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

const storedToken = (p: Page) => p.evaluate(() => (globalThis as any).localStorage.getItem("ai-sessions.token") as string | null);
const emailOf = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()).email as string;

/**
 * Forgets any signed-in user (each test starts signed out). The storage is cleared from a page of
 * the same origin that runs no app: on the app's own page a sign-in still in flight would store
 * its token again after the clear.
 */
async function signedOut(): Promise<void> {
  await page.goto(`${platform.baseUrl}/healthz`);
  await page.evaluate(() => (globalThis as any).localStorage.clear());
}

/** Opens the UI with a `#token=` link and waits until either the app or the switch question shows. */
async function openLink(token: string): Promise<"app" | "question"> {
  // As when the link is followed from elsewhere: a new document (a bare fragment change would not reload the app).
  await page.goto("about:blank");
  await page.goto(`${platform.baseUrl}/#token=${encodeURIComponent(token)}`);
  await page.waitForSelector("[data-testid=session-list], [data-testid=switch-account]");
  return (await page.locator("[data-testid=switch-account]").count()) > 0 ? "question" : "app";
}

describe("#token= links", () => {
  it("sign in when nobody is signed in, and the page is served with the CSP", async () => {
    const alice = await readyUser(platform.baseUrl);
    expect(await openLink(alice)).toBe("app");
    expect(await storedToken(page)).toBe(alice);
    expect(new URL(page.url()).hash).toBe("");
    const response = await page.goto(`${platform.baseUrl}/`);
    expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  });

  it("asking before switching to someone else: staying keeps the signed-in user, switching needs the click", async () => {
    const alice = await readyUser(platform.baseUrl);
    const mallory = await readyUser(platform.baseUrl);
    await signedOut();
    expect(await openLink(alice)).toBe("app");

    // A link for another account: the question names both, and nothing has changed yet.
    expect(await openLink(mallory)).toBe("question");
    expect(await page.locator("[data-testid=current-account]").textContent()).toBe(emailOf(alice));
    expect(await page.locator("[data-testid=offered-account]").textContent()).toBe(emailOf(mallory));
    expect(await storedToken(page)).toBe(alice);
    expect(new URL(page.url()).hash).toBe("");

    await page.click("[data-testid=stay]");
    await page.waitForSelector("[data-testid=session-list]");
    expect(await storedToken(page)).toBe(alice);
    expect(await page.locator("a[href='/settings']").getAttribute("title")).toBe(emailOf(alice));

    // Reloading after staying does not bring the question (or the other account) back.
    await page.reload();
    await page.waitForSelector("[data-testid=session-list]");
    expect(await storedToken(page)).toBe(alice);

    // Only an explicit choice switches.
    expect(await openLink(mallory)).toBe("question");
    await page.click("[data-testid=switch]");
    await page.waitForSelector("[data-testid=session-list]");
    expect(await storedToken(page)).toBe(mallory);
    expect(await page.locator("a[href='/settings']").getAttribute("title")).toBe(emailOf(mallory));
  });

  it("a new token of the signed-in user is taken without a question", async () => {
    const bob = await e2eToken("bob-same-user");
    await readyUserWith(bob);
    await signedOut();
    expect(await openLink(bob)).toBe("app");
    // Another token of the same user (minted in the same second, only its jti tells them apart).
    const fresher = await e2eToken("bob-same-user", { jti: crypto.randomUUID() });
    expect(fresher).not.toBe(bob);
    expect(await openLink(fresher)).toBe("app");
    // The app may show the list for the stored token before the link's sign-in has finished.
    await page.waitForFunction((t) => (globalThis as any).localStorage.getItem("ai-sessions.token") === t, fresher);
    expect(await storedToken(page)).toBe(fresher);
  });

  it("ran the UI without a single CSP violation", () => {
    expect(violations).toEqual([]);
  });
});

/** Registers `token`'s user and stores an API key, as readyUser does for a fresh one. */
async function readyUserWith(token: string): Promise<void> {
  const call = (route: string, body?: unknown) =>
    fetch(platform.baseUrl + route, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  expect((await call("/v1/register")).status).toBe(200);
  expect((await call("/v1/auth/claude/apikey", { api_key: "sk-ant-api03-e2e-browser-token-link-0123456789" })).status).toBe(200);
}
