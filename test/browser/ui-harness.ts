/**
 * What the web UI tests share: a page of its own for each test (a fresh browser context and a
 * fresh, registered user with a Claude key, so no test depends on what another left behind),
 * and the small steps every chat test takes (start a session from the form, send a prompt, wait
 * for elements, compare the page with the server's event log).
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from "playwright-core";
import { expect } from "vitest";
import { api, readyUser } from "../node/e2e/platform-harness.ts";

/** One test's browser: its own context (storage, network), page and user. */
export interface UserPage {
  page: Page;
  context: BrowserContext;
  token: string;
  /** Script alerts the page opened: agent output must never open one. */
  alerts: string[];
}

/** The desktop viewport the screenshots are taken at. */
export const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 820 }, acceptDownloads: true };

/** Opens a new context and page that answers dialogs as the tests script them. */
export async function openPage(browser: Browser, options: BrowserContextOptions = DESKTOP): Promise<Omit<UserPage, "token">> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  const user = { page, context, alerts: [] as string[] };
  page.on("dialog", (dialog) => {
    if (dialog.type() === "alert") user.alerts.push(dialog.message());
    // No view asks with a native prompt (the Download button opens an in-page picker): confirm() is accepted.
    void dialog.accept();
  });
  return user;
}

/** A new user, registered with a Claude key, signed in through a `#token=` link on a page of its own. */
export async function signedInPage(browser: Browser, base: string, options: BrowserContextOptions = DESKTOP): Promise<UserPage> {
  const token = await readyUser(base);
  const user: UserPage = Object.assign(await openPage(browser, options), { token });
  await user.page.goto(`${base}/#token=${encodeURIComponent(token)}`);
  await user.page.waitForSelector("[data-testid=session-list]");
  return user;
}

/** Number of elements matching `selector`. */
export const count = (p: Page, selector: string) => p.locator(selector).count();

/** Waits until at least `n` elements match `selector`. */
export async function atLeast(p: Page, selector: string, n: number, timeout = 60_000): Promise<void> {
  await p.waitForFunction(([s, k]) => (globalThis as any).document.querySelectorAll(s).length >= k, [selector, n] as const, { timeout });
}

/** Starts a session from the "New session" form; returns its id. */
export async function newSession(p: Page, mode: "acceptEdits" | "bypassPermissions" | "plan", name: string): Promise<string> {
  await p.click("[data-testid=session-list] a[href='/new']");
  await p.waitForSelector("[data-testid=ns-profile] option", { state: "attached" });
  await p.selectOption("[data-testid=ns-mode]", mode);
  await p.fill("[data-testid=ns-name]", name);
  await p.click("[data-testid=ns-create]");
  await p.waitForURL(/\/sessions\/[A-Za-z0-9_-]+$/);
  await p.waitForSelector("[data-testid=chat]");
  return new URL(p.url()).pathname.split("/").pop()!;
}

/** Types a prompt into the composer and sends it with Enter. */
export async function send(p: Page, text: string): Promise<void> {
  await p.fill("[data-testid=composer-input]", text);
  await p.press("[data-testid=composer-input]", "Enter");
}

/** Every stored event of a session, from the REST history. */
export async function history(base: string, token: string, id: string): Promise<any[]> {
  const all: any[] = [];
  let after = 0;
  for (;;) {
    const page = await api(base, token, "GET", `/v1/sessions/${id}/history?after_seq=${after}&limit=1000`);
    all.push(...page.body.messages);
    if (page.body.next_after_seq === null) return all;
    after = page.body.next_after_seq;
  }
}

/** The conversation as the page shows it vs. the server's log: every item once, nothing missing. */
export async function expectConversationMatchesLog(p: Page, base: string, token: string, id: string): Promise<void> {
  const log = await history(base, token, id);
  const shown = await p.evaluate(() => {
    const g = globalThis as any;
    const items = [...g.document.querySelectorAll("[data-testid=chat-stream] .items > [data-seq]")];
    return {
      seqs: items.map((el: any) => Number(el.dataset.seq)),
      users: g.document.querySelectorAll("[data-testid=msg-user]").length,
      assistants: g.document.querySelectorAll("[data-testid=msg-assistant]").length,
      tools: g.document.querySelectorAll("[data-testid=tool-card]").length,
      results: g.document.querySelectorAll("[data-testid=turn-result]").length,
      events: g.__aiSessions.events.map((e: any) => e.seq),
    };
  });
  const ofType = (t: string) => log.filter((e) => e.type === t).length;
  expect(new Set(shown.seqs).size).toBe(shown.seqs.length);
  expect(shown.events).toEqual(log.map((e) => e.seq));
  expect(shown.users).toBe(ofType("user"));
  expect(shown.assistants).toBe(ofType("assistant"));
  expect(shown.tools).toBe(ofType("tool_use"));
  expect(shown.results).toBe(ofType("result"));
}
