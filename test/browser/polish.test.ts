/**
 * The web UI's polish a newcomer noticed (issue 14, points 5, 10 and 11), each checked in
 * Chromium against the platform on loopback with the scripted (simulated) model:
 * - the demo's model and money are labelled simulated, and the header shows the record's figure;
 * - the session's effective permission mode, by its readable name, in the form and the header;
 * - a Write card shows the file as text and offers its download without unfolding; the header's
 *   Download is an in-page picker; a session is named from its first prompt; no "Start the
 *   conversation" once a first message was given; the demo's placeholder key is marked.
 * Screenshots land in test-artifacts/screenshots/ (10-… to 14-…).
 */
import { existsSync, readFileSync } from "node:fs";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureWebBuilt } from "../../web/build.ts";
import { api, startE2EPlatform, type E2EPlatform } from "../node/e2e/platform-harness.ts";
import { CHROMIUM, launchChromium, shot } from "./browser-harness.ts";
import { history, send, signedInPage } from "./ui-harness.ts";

let platform: E2EPlatform;
let browser: Browser;
const base = () => platform.baseUrl;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  await ensureWebBuilt();
  platform = await startE2EPlatform();
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

const opened: BrowserContext[] = [];
afterEach(async () => {
  for (const context of opened.splice(0)) await context.close();
});

async function user() {
  const u = await signedInPage(browser, base());
  opened.push(u.context);
  return u;
}

/**
 * From now on, counts each time the empty chat's invitation ("Start the conversation") comes on
 * screen; and, for every Enter, whether it is still there once the frame after the keypress was
 * drawn (the app renders in that frame). The app navigates without reloading, so both live on.
 */
async function watchEmptyChat(page: Page): Promise<void> {
  await page.evaluate(() => {
    const g = globalThis as any;
    const present = () => Boolean(g.document.querySelector(".chat-empty")?.textContent?.includes("Start the conversation"));
    g.__emptyShown = 0;
    g.__emptyAfterEnter = [] as boolean[];
    let was = present();
    new g.MutationObserver(() => {
      const now = present();
      if (now && !was) g.__emptyShown++;
      was = now;
    }).observe(g.document.body, { childList: true, subtree: true, characterData: true });
    // Bubbling to window: after the composer's own handler, whose render is queued for the next frame.
    g.addEventListener("keydown", (e: any) => {
      if (e.key === "Enter") g.requestAnimationFrame(() => g.setTimeout(() => g.__emptyAfterEnter.push(present()), 0));
    });
  });
}

const emptyShown = (page: Page): Promise<number> => page.evaluate(() => (globalThis as any).__emptyShown);

/** Opens the "New session" form and waits for its profiles. */
async function openNewSessionForm(page: Page): Promise<void> {
  await page.click("[data-testid=session-list] a[href='/new']");
  await page.waitForSelector("[data-testid=ns-profile] option", { state: "attached" });
}

/** Submits the form; the new session's id. */
async function create(page: Page): Promise<string> {
  await page.click("[data-testid=ns-create]");
  await page.waitForURL(/\/sessions\/[A-Za-z0-9_-]+$/);
  await page.waitForSelector("[data-testid=chat]");
  return new URL(page.url()).pathname.split("/").pop()!;
}

describe("the web UI, polished", () => {
  it("labels the demo's model and money simulated, and shows the one figure the record has", async () => {
    const { page, token } = await user();
    await openNewSessionForm(page);
    await page.selectOption("[data-testid=ns-mode]", "bypassPermissions");
    await page.fill("[data-testid=ns-prompt]", '[[scenario:write path=a.txt content="one"]]');
    await watchEmptyChat(page);
    const id = await create(page);
    await page.waitForSelector("[data-testid=turn-result]", { timeout: 60_000 });
    await page.waitForSelector("[data-testid=cost-simulated]");
    // Started with a first message: the chat never invited one, not even before its history arrived.
    expect(await emptyShown(page)).toBe(0);

    const record = (await api(base(), token, "GET", `/v1/sessions/${id}`)).body.session;
    expect(record.usage.simulated).toBe(true);
    expect(record.usage.cost_usd).toBeGreaterThan(0);
    const cost = page.locator("[data-testid=cost]");
    expect(await cost.getAttribute("data-simulated")).toBe("true");
    expect(await cost.textContent()).toBe(`$${record.usage.cost_usd.toFixed(4)}simulated`);
    expect(await page.textContent("[data-testid=turn-cost]")).toBe(` · $${record.usage.cost_usd.toFixed(4)} (simulated)`);
    // The turn's result carries the same figure, stamped by the session.
    const result = (await history(base(), token, id)).find((e) => e.type === "result");
    expect(result.payload).toMatchObject({ session_cost_usd: record.usage.cost_usd, cost_simulated: true });
    expect(await page.textContent("[data-testid=notice-init]")).toMatch(/simulated model/);
    await shot(page, "10-simulated-cost-header");

    // Settings: the key `npm start`-style setup stored is a placeholder the simulated model accepts.
    await page.click("a[href='/settings']");
    await page.waitForSelector("[data-testid=simulated-model-note]");
    expect(await page.textContent("[data-testid=simulated-model-note]")).toMatch(/placeholder/);
    await shot(page, "11-settings-demo-key");
  });

  it("shows the session's effective permission mode by name, in the form and the chat header", async () => {
    const { page, token } = await user();
    await openNewSessionForm(page);
    const options = await page.locator("[data-testid=ns-profile] option").allTextContents();
    expect(options).toEqual(["Default", "Full Permissions"]);
    // The Default profile, its mode overridden: the hint speaks of the mode the session will run in.
    expect(await page.textContent("[data-testid=ns-effective-mode]")).toBe("Accept edits");
    await page.selectOption("[data-testid=ns-mode]", "bypassPermissions");
    expect(await page.textContent("[data-testid=ns-effective-mode]")).toBe("Bypass permissions");
    const hint = await page.locator("[data-testid=ns-effective-mode]").locator("..").textContent();
    expect(hint).not.toContain("anything else asks you");
    expect(hint).toContain("every tool runs without asking");
    await shot(page, "12-new-session-effective-mode");

    await page.fill("[data-testid=ns-prompt]", "[[scenario:text text=hello]]");
    const id = await create(page);
    const chip = page.locator("[data-testid=chat-mode]");
    await chip.waitFor();
    expect(await chip.textContent()).toBe("Bypass permissions");
    expect(await chip.getAttribute("data-mode")).toBe("bypassPermissions");
    await page.waitForSelector("[data-testid=turn-result]", { timeout: 60_000 });
    const init = (await history(base(), token, id)).find((e) => e.type === "system" && e.payload.subtype === "init");
    expect(init.payload.permission_mode).toBe("bypassPermissions");
  });

  it("shows a written file as text with its download on the card's title row, and picks downloads in the page", async () => {
    const { page } = await user();
    await openNewSessionForm(page);
    await page.selectOption("[data-testid=ns-mode]", "bypassPermissions");
    const id = await create(page);
    // Named from the first prompt; the invitation to start never shows once it was given.
    await page.waitForSelector("[data-testid=composer-input]");
    // Created without a prompt, the chat invites one once its (empty) history arrived, which can
    // come after the composer: watched from then, only a return of the invitation counts.
    await page.waitForSelector(".chat-empty h2");
    await watchEmptyChat(page);
    await send(page, '[[scenario:write path=findings.md content="# Findings\\nhost web-01 is clean\\n"]]');
    await page.waitForSelector("[data-testid=tool-card][data-tool=Write][data-tool-state=done]", { timeout: 60_000 });
    await page.waitForFunction(
      (sid) =>
        (globalThis as any).document
          .querySelector(`[data-testid=session-row][data-session-id="${sid}"] .session-name`)
          ?.textContent.startsWith("[[scenario:write"),
      id,
    );
    expect(await page.textContent("[data-testid=chat-title]")).toMatch(/^\[\[scenario:write path=findings\.md/);
    expect(await emptyShown(page)).toBe(0);
    expect(await page.evaluate(() => (globalThis as any).__emptyAfterEnter)).toEqual([false]);

    // The download button is on the folded card's title row.
    const card = page.locator("[data-testid=tool-card][data-tool=Write]");
    expect(await card.getAttribute("open")).toBeNull();
    expect(await card.locator("[data-testid=tool-download]").isVisible()).toBe(true);
    const first = page.waitForEvent("download");
    await card.locator("[data-testid=tool-download]").click();
    expect(readFileSync((await (await first).path())!, "utf8")).toBe("# Findings\nhost web-01 is clean\n");
    expect(await card.getAttribute("open")).toBeNull(); // the click did not unfold it

    // Unfolded, the content is the file's text, not JSON with \n escapes.
    await card.locator("summary").click();
    expect(await card.locator("[data-testid=tool-content]").textContent()).toBe("# Findings\nhost web-01 is clean\n");
    await shot(page, "13-write-card");

    // The header's Download: an in-page picker of the files the conversation wrote.
    await page.click("[data-testid=download]");
    await page.waitForSelector("[data-testid=download-picker]");
    expect(await page.locator("[data-testid=download-file]").allTextContents()).toEqual(["/workspace/findings.md"]);
    await shot(page, "14-download-picker");
    const second = page.waitForEvent("download");
    await page.click("[data-testid=download-file]");
    expect((await second).suggestedFilename()).toBe("findings.md");
    expect(await page.locator("[data-testid=download-picker]").count()).toBe(0);
  });
});
