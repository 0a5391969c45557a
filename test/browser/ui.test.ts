/**
 * The web UI end to end: the platform on loopback (wrangler dev serving web/dist, the real
 * runner and Claude Code, the scripted model), driven by Debian's Chromium via playwright-core.
 * Each test has a browser context and a user of its own (ui-harness.ts), so any one of them runs
 * alone and none depends on what another left behind. Screenshots of the main views land in
 * test-artifacts/screenshots/.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Browser, BrowserContext, BrowserContextOptions } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ensureWebBuilt } from "../../web/build.ts";
import {
  Client,
  E2E_API_KEY,
  api,
  e2eToken,
  hasResult,
  readyUser,
  startE2EPlatform,
  type E2EPlatform,
} from "../node/e2e/platform-harness.ts";
import { CHROMIUM, launchChromium, shot, startProxy } from "./browser-harness.ts";
import { atLeast, count, expectConversationMatchesLog, newSession, openPage, send, signedInPage } from "./ui-harness.ts";

let platform: E2EPlatform;
let browser: Browser;

const base = () => platform.baseUrl;
const workspace = (id: string) => path.join(platform.sandbox.root, id, "workspace");

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

/** The contexts this test opened, closed after it. */
const opened: BrowserContext[] = [];
afterEach(async () => {
  for (const context of opened.splice(0)) await context.close();
});

/** A page of this test's own, signed in as a new user with a Claude key. */
async function user(options?: BrowserContextOptions) {
  const u = await signedInPage(browser, base(), options);
  opened.push(u.context);
  return u;
}

/** A page of this test's own with nobody signed in. */
async function blankPage(options?: BrowserContextOptions) {
  const u = await openPage(browser, options);
  opened.push(u.context);
  return u;
}

describe("the web UI", () => {
  it("signs in with a token, registers, and stores the Claude API key", async () => {
    const { page } = await blankPage();
    const token = await e2eToken();
    await page.goto(base());
    await page.waitForSelector("[data-testid=signin-form]");
    await shot(page, "01-sign-in");

    await page.fill("#token", "not-a-token");
    await page.click("[data-testid=signin-form] button[type=submit]");
    await page.waitForSelector("[data-testid=signin-form] .form-error:not(:empty)");

    await page.fill("#token", token);
    await page.click("[data-testid=signin-form] button[type=submit]");
    await page.click("[data-testid=register]");
    await page.waitForSelector("[data-testid=session-list]");
    expect((await api(base(), token, "POST", "/v1/register")).body.registered).toBe(true);

    await page.click(".topbar a[href='/settings']");
    await page.waitForSelector("[data-testid=credential-status][data-has-credentials=false]");
    await page.fill("[data-testid=api-key-input]", "sk-ant-short");
    await page.click("[data-testid=api-key-save]");
    await page.waitForSelector("[data-testid=credential-card] .form-error:not(:empty)");
    await page.fill("[data-testid=api-key-input]", E2E_API_KEY);
    await page.click("[data-testid=api-key-save]");
    await page.waitForSelector("[data-testid=credential-status][data-has-credentials=true]");
    const status = await api(base(), token, "GET", "/v1/auth/claude/status");
    expect(status.body).toMatchObject({ has_credentials: true, credential_type: "api_key" });
    // The key never comes back to the page.
    expect(await page.content()).not.toContain(E2E_API_KEY);
  });

  it("manages profiles: create, validate, edit, make default, delete", async () => {
    const { page, token } = await user();
    await page.click(".topbar a[href='/profiles']");
    await atLeast(page, "[data-testid=profile-card]", 2);
    expect(await count(page, "[data-testid=profile-card]")).toBe(2);

    await page.click("[data-testid=new-profile]");
    await page.fill("[data-testid=pf-name]", "Triage");
    await page.selectOption("[data-testid=pf-mode]", "plan");
    await page.fill("[data-testid=pf-allowed]", "Read\nread");
    await page.click("[data-testid=pf-save]");
    await page.waitForSelector("[data-testid=profile-form] .form-error:not(:empty)");
    expect(await page.textContent("[data-testid=profile-form] .form-error")).toMatch(/permission pattern/);
    await page.fill("[data-testid=pf-allowed]", "Read\nGrep\nBash(ls:*)");
    await page.click("[data-testid=pf-save]");
    await page.waitForSelector("[data-profile-name=Triage]");

    await page.click("[data-profile-name=Triage] [data-testid=edit-profile]");
    await page.waitForFunction(() => (globalThis as any).document.querySelector("[data-testid=pf-name]").value === "Triage");
    expect(await page.inputValue("[data-testid=pf-allowed]")).toBe("Read\nGrep\nBash(ls:*)");
    await page.fill("[data-testid=pf-name]", "Triage v2");
    await page.click("[data-testid=pf-save]");
    await page.waitForSelector("[data-profile-name='Triage v2']");

    await page.click("[data-profile-name='Triage v2'] [data-testid=make-default]");
    await page.waitForSelector("[data-profile-name='Triage v2'] [data-testid=default-chip]");
    let profiles = (await api(base(), token, "GET", "/v1/profiles")).body.profiles;
    expect(profiles.find((p: any) => p.name === "Triage v2")).toMatchObject({
      is_default: true,
      permission_mode: "plan",
      allowed_tools: ["Read", "Grep", "Bash(ls:*)"],
    });

    await page.click("[data-profile-name=Default] [data-testid=make-default]");
    await page.waitForSelector("[data-profile-name=Default] [data-testid=default-chip]");
    await page.click("[data-profile-name='Triage v2'] [data-testid=delete-profile]");
    await page.waitForSelector("[data-profile-name='Triage v2']", { state: "detached" });
    profiles = (await api(base(), token, "GET", "/v1/profiles")).body.profiles;
    expect(profiles.map((p: any) => p.name).sort()).toEqual(["Default", "Full Permissions"]);
  });

  it("streams an answer, shows the tool call as a card, and renders agent Markdown without injection", async () => {
    const { page, token, alerts } = await user();
    await shot(page, "02-session-list-empty");
    const id = await newSession(page, "bypassPermissions", "Streaming");

    await send(page, '[[scenario:bash command="echo streamed-from-the-tool"]]');
    await page.waitForSelector("[data-testid=tool-card][data-tool=Bash][data-tool-state=done]");
    await atLeast(page, "[data-testid=turn-result]", 1);
    expect(await page.textContent("[data-testid=msg-assistant]")).toContain("streamed-from-the-tool");
    await page.click("[data-testid=tool-card] summary");
    expect(await page.textContent("[data-testid=tool-card] [data-testid=tool-output]")).toContain("streamed-from-the-tool");

    const payload = "<img src=x onerror=alert(1)>";
    await send(
      page,
      `Format this ${payload} [[scenario:text text="## Verdict\\n**Malicious** host: ${payload} <script>alert(3)</script> [details](javascript:alert(2)) and [docs](https://example.com/doc)\\n\\n- one\\n- two"]]`,
    );
    await atLeast(page, "[data-testid=turn-result]", 2);
    const answer = page.locator("[data-testid=msg-assistant]").last();
    expect(await answer.locator("h4").textContent()).toBe("Verdict");
    expect(await answer.locator("strong").textContent()).toBe("Malicious");
    expect(await answer.locator("li").count()).toBe(2);
    expect(await answer.textContent()).toContain(payload);
    expect(await answer.textContent()).toContain("<script>alert(3)</script>");
    expect(await page.locator("[data-testid=msg-user]").last().textContent()).toContain(payload);
    expect(await count(page, "[data-testid=chat-stream] img, [data-testid=chat-stream] script")).toBe(0);
    expect(await count(page, "[data-testid=chat-stream] a[href^='javascript']")).toBe(0);
    expect(await answer.locator("a[href='https://example.com/doc']").getAttribute("rel")).toContain("noopener");
    await page.waitForTimeout(300);
    expect(alerts).toEqual([]);

    await page.locator("[data-testid=tool-card] summary").first().scrollIntoViewIfNeeded();
    await shot(page, "03-chat-with-tool-card");
    await expectConversationMatchesLog(page, base(), token, id);
  });

  it("approvals: allow once, message queued with a jump to the pending request, deny, allow for the session", async () => {
    const { page, token } = await user();
    const id = await newSession(page, "acceptEdits", "Approvals");
    const row = `[data-testid=session-row][data-session-id='${id}'] [data-testid=state-badge]`;

    await send(page, '[[scenario:bash command="touch approved-by-ui.txt && ls"]]');
    await page.waitForSelector("[data-testid=approval-card][data-state=pending]");
    await page.waitForSelector(`${row}[data-attention=true]`);
    await page.waitForSelector("[data-testid=chat] [data-testid=state-badge][data-state=Waiting][data-attention=true]");
    expect(await page.textContent("[data-testid=approval-card]")).toContain("touch approved-by-ui.txt");
    await shot(page, "04-approval-prompt");

    // A prompt sent while the agent is blocked is queued; the notice scrolls to the request.
    await send(page, "[[scenario:text text=after-the-approval]]");
    await page.waitForSelector("[data-testid=notice-message_queued] [data-testid=jump-to-pending]");
    await page.evaluate(() => {
      const g = globalThis as any;
      g.document.querySelector("[data-testid=chat-stream]").scrollTop = 0;
    });
    await page.click("[data-testid=jump-to-pending]");
    await page.waitForFunction(() => {
      const g = globalThis as any;
      const card = g.document.querySelector("[data-testid=approval-card][data-state=pending]").getBoundingClientRect();
      const stream = g.document.querySelector("[data-testid=chat-stream]").getBoundingClientRect();
      return card.top >= stream.top - 1 && card.bottom <= stream.bottom + 1;
    });
    await shot(page, "05-message-queued");

    await page.click("[data-testid=approve-once]");
    await page.waitForSelector("[data-testid=approval-card][data-state=approved]");
    await page.waitForSelector("[data-testid=tool-card][data-tool-state=done]");
    await page.waitForFunction(
      () =>
        [...(globalThis as any).document.querySelectorAll("[data-testid=msg-assistant]")].some((el: any) =>
          el.textContent.includes("after-the-approval"),
        ),
      null,
      { timeout: 60_000 },
    );
    await page.waitForSelector(`${row}[data-attention=false]`);
    expect(existsSync(path.join(workspace(id), "approved-by-ui.txt"))).toBe(true);
    expect(await count(page, "[data-testid=jump-to-pending]")).toBe(0);

    // Deny: the tool does not run. Counted once both turns so far (the approved one and the queued
    // one) have ended: the queued turn's result can land just after its text.
    await atLeast(page, "[data-testid=turn-result]", 2);
    const results = await count(page, "[data-testid=turn-result]");
    await send(page, '[[scenario:bash command="touch denied-by-ui.txt"]]');
    await page.waitForSelector("[data-testid=approval-card][data-state=pending]");
    await page.click("[data-testid=deny]");
    await atLeast(page, "[data-testid=turn-result]", results + 1);
    await page.waitForSelector("[data-testid=approval-card][data-state=denied]");
    expect(existsSync(path.join(workspace(id), "denied-by-ui.txt"))).toBe(false);
    expect(await page.locator("[data-testid=tool-card]").last().getAttribute("data-tool-state")).toBe("error");

    // Allow for the session: the next matching command runs without asking.
    await send(page, '[[scenario:bash command="touch session-1.txt"]]');
    await page.waitForSelector("[data-testid=approval-card][data-state=pending]");
    expect(await page.textContent("[data-testid=approval-card][data-state=pending] [data-testid=approve-session]")).toContain(
      "Bash(touch:*)",
    );
    await page.click("[data-testid=approve-session]");
    await atLeast(page, "[data-testid=turn-result]", results + 2);
    const approvals = await count(page, "[data-testid=approval-card]");
    await send(page, '[[scenario:bash command="touch session-2.txt"]]');
    await atLeast(page, "[data-testid=turn-result]", results + 3);
    expect(await count(page, "[data-testid=approval-card]")).toBe(approvals);
    expect(existsSync(path.join(workspace(id), "session-2.txt"))).toBe(true);
    await expectConversationMatchesLog(page, base(), token, id);
  });

  it("answers the agent's question", async () => {
    const { page } = await user();
    await newSession(page, "acceptEdits", "Questions");
    await send(page, '[[scenario:ask question="Which host first?" options="web-01|db-01"]]');
    await page.waitForSelector("[data-testid=question-card][data-state=pending]");
    expect(await page.textContent("[data-testid=question-card]")).toContain("Which host first?");
    expect(await page.isDisabled("[data-testid=answer-submit]")).toBe(true);
    await page.click("[data-testid=question-card] label.option:has-text('db-01')");
    await shot(page, "06-question");
    await page.click("[data-testid=answer-submit]");
    await page.waitForSelector("[data-testid=question-card][data-state=answered]");
    await atLeast(page, "[data-testid=turn-result]", 1);
    expect(await page.locator("[data-testid=msg-assistant]").last().textContent()).toContain("db-01");
    expect(await page.textContent("[data-testid=question-card]")).toContain("db-01");
  });

  it("uploads a file the agent reads, and downloads a file the agent wrote", async () => {
    const u = await user();
    const { page } = u;
    const id = await newSession(page, "acceptEdits", "Files");
    await page.waitForSelector("[data-testid=upload]");
    // Uploads need the sandbox up: wait for the runner to connect.
    await page.waitForSelector("[data-testid=chat] [data-testid=state-badge][data-state=Waiting]");

    await page.setInputFiles("[data-testid=upload-input]", {
      name: "notes.txt",
      mimeType: "text/plain",
      buffer: Buffer.from("indicator: 45.33.32.156\n"),
    });
    await page.waitForFunction(
      () => {
        const g = globalThis as any;
        return (
          g.document.querySelector("[data-testid=composer-input]").value.includes("uploads/notes.txt") ||
          g.document.querySelector(".toast-error")
        );
      },
      null,
      { timeout: 60_000 },
    );
    expect(await count(page, ".toast-error"), (await page.locator(".toast-error").allTextContents()).join("; ")).toBe(0);
    expect(readFileSync(path.join(workspace(id), "uploads", "notes.txt"), "utf8")).toBe("indicator: 45.33.32.156\n");
    await send(page, "[[scenario:read path=uploads/notes.txt]]");
    await atLeast(page, "[data-testid=turn-result]", 1);
    expect(await page.locator("[data-testid=msg-assistant]").last().textContent()).toContain("indicator: 45.33.32.156");

    await send(page, '[[scenario:write path=findings.md content="# Findings\\nhost web-01 is clean\\n"]]');
    await atLeast(page, "[data-testid=turn-result]", 2);
    const download = page.waitForEvent("download");
    await page.click("[data-testid=tool-card][data-tool=Write] [data-testid=tool-download]");
    const file = await download;
    expect(file.suggestedFilename()).toBe("findings.md");
    expect(readFileSync((await file.path())!, "utf8")).toBe("# Findings\nhost web-01 is clean\n");

    // And any path through the header's Download button: its picker lists the uploaded file too.
    const second = page.waitForEvent("download");
    await page.click("[data-testid=download]");
    await page.click("[data-testid=download-file]:has-text('uploads/notes.txt')");
    expect(readFileSync((await (await second).path())!, "utf8")).toBe("indicator: 45.33.32.156\n");
  });

  it("resumes after the browser goes offline mid-turn: the whole conversation, nothing doubled", async () => {
    const { page, context, token } = await user();
    const id = await newSession(page, "bypassPermissions", "Offline");
    const sockets: string[] = [];
    page.on("websocket", (ws) => {
      if (ws.url().includes(`/v1/ws/sessions/${id}`)) sockets.push(ws.url());
    });
    await send(page, '[[scenario:bash command="echo before-the-drop"]]');
    await atLeast(page, "[data-testid=turn-result]", 1);

    const watcher = await Client.connect(base(), token, id);
    await watcher.until((f) => f.some((x) => x.type === "history"), "history");
    await send(page, "[[scenario:slow chunks=30 delay=200]]");
    await atLeast(page, "[data-testid=msg-user]", 2);
    await context.setOffline(true);
    await page.waitForSelector("[data-testid=connection][data-state=offline]");
    // The turn finishes on the server while the page is offline.
    await watcher.until(hasResult(), "the slow turn's result", 60_000);
    await watcher.until(
      (f) =>
        f.some(
          (x) => x.type === "session_status" && x.payload.ui_state === "Waiting" && x.seq > f.find((y: any) => y.type === "result").seq,
        ),
      "the turn to settle",
    );
    expect(await count(page, "[data-testid=turn-result]")).toBe(1);
    await context.setOffline(false);

    await atLeast(page, "[data-testid=turn-result]", 2);
    await page.waitForSelector("[data-testid=connection][data-state=open]", { state: "attached" });
    expect(await page.locator("[data-testid=msg-assistant]").last().textContent()).toContain("chunk 30/30");
    expect(sockets.length).toBeGreaterThanOrEqual(1);
    expect(sockets.at(-1)).toMatch(/[?&]after_seq=[1-9]\d*/);
    await expectConversationMatchesLog(page, base(), token, id);
    watcher.close();
  });

  it("resumes after the connection is cut for real (TCP proxy), and signs in from a #token= link", async () => {
    const proxy = await startProxy(base());
    const token = await readyUser(base());
    const { page: p } = await blankPage();
    try {
      const id = (await api(base(), token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions", name: "Cut" })).body.session.id;
      await p.goto(`${proxy.url}/sessions/${id}#token=${encodeURIComponent(token)}`);
      await p.waitForSelector("[data-testid=chat]");
      expect(new URL(p.url()).hash).toBe("");
      await send(p, '[[scenario:bash command="echo before-the-cut"]]');
      await atLeast(p, "[data-testid=turn-result]", 1);

      const watcher = await Client.connect(base(), token, id);
      await watcher.until((f) => f.some((x) => x.type === "history"), "history");
      await send(p, "[[scenario:slow chunks=25 delay=200]]");
      await atLeast(p, "[data-testid=msg-user]", 2);
      proxy.cut();
      await p.waitForSelector("[data-testid=connection][data-state=reconnecting]");
      await watcher.until(hasResult(), "the slow turn's result", 60_000);
      expect(await count(p, "[data-testid=turn-result]")).toBe(1);
      proxy.restore();

      await atLeast(p, "[data-testid=turn-result]", 2, 60_000);
      expect(await p.locator("[data-testid=msg-assistant]").last().textContent()).toContain("chunk 25/25");
      await expectConversationMatchesLog(p, base(), token, id);
      const stats = await p.evaluate(() => (globalThis as any).__aiSessions.socket.stats);
      expect(stats.opens).toBeGreaterThanOrEqual(2);
      watcher.close();
    } finally {
      await proxy.close();
    }
  });

  it("keeps the sidebar live: another session's approval request shows its needs-attention badge", async () => {
    const { page, token } = await user();
    const other = (await api(base(), token, "POST", "/v1/sessions", { permission_mode: "acceptEdits", name: "Watched" })).body.session.id;
    await page.goto(`${base()}/`);
    const row = `[data-testid=session-row][data-session-id='${other}'] [data-testid=state-badge]`;
    await page.waitForSelector(row);
    await page.waitForSelector(`${row}[data-state=Waiting][data-attention=false]`, { timeout: 60_000 });
    await shot(page, "07-session-list");

    const client = await Client.connect(base(), token, other);
    const asked = Date.now();
    client.send({ type: "prompt", payload: { text: '[[scenario:bash command="touch watched.txt"]]' } });
    const request = await client.until((f) => f.some((x) => x.type === "tool_approval_request"), "approval request");
    await page.waitForSelector(`${row}[data-attention=true]`, { timeout: 15_000 });
    // Faster than the list's 20 s poll: it came over the session's socket.
    expect(Date.now() - asked).toBeLessThan(15_000);
    const toolUseId = request.find((x) => x.type === "tool_approval_request").payload.tool_use_id;
    client.send({ type: "tool_approval_response", payload: { tool_use_id: toolUseId, approved: true, approval_scope: "once" } });
    await page.waitForSelector(`${row}[data-attention=false]`, { timeout: 15_000 });
    client.close();
  });

  it("interrupts a running turn, terminates the session and deletes its record", async () => {
    const { page, token } = await user();
    const id = await newSession(page, "bypassPermissions", "Interrupt me");
    await send(page, '[[scenario:bash command="sleep 4 && touch late.txt"]]');
    await page.waitForSelector("[data-testid=tool-card][data-tool-state=running]");
    const toolStarted = Date.now();
    await page.waitForSelector("[data-testid=interrupt]:visible");
    await page.waitForTimeout(300);
    await page.click("[data-testid=interrupt]");
    await atLeast(page, "[data-testid=turn-result]", 1, 15_000);
    await page.waitForSelector("[data-testid=chat] [data-testid=state-badge][data-state=Waiting]", { timeout: 15_000 });
    await page.waitForSelector("[data-testid=interrupt]", { state: "hidden" });
    // A tool that kept running would write late.txt 4 s after it started: wait past that.
    await page.waitForTimeout(Math.max(0, toolStarted + 5_500 - Date.now()));
    expect(existsSync(path.join(workspace(id), "late.txt"))).toBe(false);

    await page.click("[data-testid=terminate]");
    await page.waitForSelector("[data-testid=session-ended]");
    await page.waitForSelector("[data-testid=chat] [data-testid=state-badge][data-state=Ended]");
    await page.waitForSelector(`[data-testid=session-row][data-session-id='${id}'] [data-testid=state-badge][data-state=Ended]`);
    expect(await page.isDisabled("[data-testid=composer-input]")).toBe(true);
    expect((await api(base(), token, "GET", `/v1/sessions/${id}`)).body.session.end_reason).toBe("user_requested");

    await page.click("[data-testid=delete-record]");
    await page.waitForURL(`${base()}/`);
    await page.waitForSelector(`[data-testid=session-row][data-session-id='${id}']`, { state: "detached" });
    expect((await api(base(), token, "GET", `/v1/sessions/${id}`)).status).toBe(404);
  });

  it("works at phone width (375 px)", async () => {
    // A session with a finished tool call to look at, made over the API.
    const token = await readyUser(base());
    const id = (await api(base(), token, "POST", "/v1/sessions", { permission_mode: "bypassPermissions", name: "On the phone" })).body
      .session.id;
    const client = await Client.connect(base(), token, id);
    client.send({ type: "prompt", payload: { text: '[[scenario:bash command="echo from-the-phone"]]' } });
    await client.until(hasResult(), "the turn's result", 60_000);
    client.close();

    const { page: p } = await blankPage({ viewport: { width: 375, height: 740 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await p.goto(`${base()}/#token=${encodeURIComponent(token)}`);
    await p.waitForSelector("[data-testid=session-list] [data-testid=session-row]");
    await shot(p, "08-phone-sessions");
    const noOverflow = () => p.evaluate(() => (globalThis as any).document.documentElement.scrollWidth <= 375);
    expect(await noOverflow()).toBe(true);

    await p.click("[data-testid=session-row]:has-text('On the phone')");
    await p.waitForSelector("[data-testid=chat] [data-testid=tool-card][data-tool=Bash]");
    await atLeast(p, "[data-testid=turn-result]", 1);
    expect(await noOverflow()).toBe(true);
    const fits = await p.evaluate(() => {
      const g = globalThis as any;
      const stream = g.document.querySelector("[data-testid=chat-stream]");
      const send = g.document.querySelector("[data-testid=send]").getBoundingClientRect();
      return stream.scrollWidth <= stream.clientWidth && send.right <= 375 && send.bottom <= 740;
    });
    expect(fits).toBe(true);
    await shot(p, "09-phone-chat");

    // The drawer opens the session list over the chat.
    await p.click(".menu-btn");
    await p.waitForSelector("body.drawer-open");
    await p.waitForTimeout(250);
    await shot(p, "10-phone-drawer");
  });
});
