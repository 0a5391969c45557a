/**
 * The web UI's org view of detection & response (issue 10), in Chromium against the platform on
 * loopback with the real agent: signed in with an org key (the "Organisation key" tab), it shows
 * the org's rules with their YAML; an event posted meanwhile shows up as its detection and the
 * session the rule started, whose details give the rendered prompt and the agent's report.
 * Strings an attacker controls (a rule's values, a detection's name, an event's fields) are shown
 * as text: no markup, no script.
 */
import { existsSync } from "node:fs";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWebBuilt } from "../../web/build.ts";
import { E2E_API_KEY, startE2EPlatform, type E2EPlatform } from "../node/e2e/platform-harness.ts";
import { CHROMIUM, launchChromium, shot } from "./browser-harness.ts";
import { openPage } from "./ui-harness.ts";

const OPERATOR_TOKEN = "browser-operator-token-0123456789";
const oid = "org-browser-rules";
const INJECTED = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`;

let platform: E2EPlatform;
let browser: Browser;
let page: Page;
let alerts: string[];
let headers: Record<string, string>;

async function call(method: string, route: string, body?: unknown, as: Record<string, string> = headers) {
  const response = await fetch(platform.baseUrl + route, {
    method,
    headers: { ...as, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function ended(id: string, timeoutMs = 150_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = (await call("GET", `/v1/org/sessions/${id}`)).body.session;
    if (record.status === "ended") return record;
    if (Date.now() > deadline) throw new Error(`session ${id} did not end: ${JSON.stringify(record)}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Nothing the page showed ran as script or became an element. */
async function expectNoInjection(p: Page): Promise<void> {
  expect(await p.evaluate(() => (globalThis as any).__pwned)).toBeUndefined();
  expect(await p.locator("[data-testid=org-rules] img, [data-testid=org-rules] script").count()).toBe(0);
  expect(alerts).toEqual([]);
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  await ensureWebBuilt();
  platform = await startE2EPlatform({ ORG_ADMIN_TOKEN: OPERATOR_TOKEN });
  const key = await call("POST", `/v1/orgs/${oid}/keys`, { name: "soc" }, { authorization: `Bearer ${OPERATOR_TOKEN}` });
  expect(key.status, JSON.stringify(key.body)).toBe(201);
  headers = { authorization: `Bearer ${key.body.key}`, "x-lc-oid": oid };
  expect((await call("PUT", `/v1/orgs/${oid}/secrets/anthropic`, { value: E2E_API_KEY })).status).toBe(200);
  browser = await launchChromium();
  const opened = await openPage(browser);
  page = opened.page;
  alerts = opened.alerts;
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await platform?.stop();
});

describe("the org view of rules, detections and the sessions they started", () => {
  it("refuses a wrong key on the Organisation key tab", async () => {
    await page.goto(platform.baseUrl);
    await page.click("[data-testid=signin-tab-org]");
    await page.fill("[data-testid=org-id]", oid);
    await page.fill("[data-testid=org-key]", "not-a-key-of-this-org");
    await page.click("[data-testid=org-signin]");
    await page.waitForSelector("[data-testid=org-signin-form] .form-error:has-text('This org key was refused')");
    expect(await page.locator("[data-testid=org-rules]").count()).toBe(0);
  });

  it("shows a stored rule's YAML as text, then the detection and the session an event started, with its prompt and report", async () => {
    const rule = {
      enabled: true,
      detect: { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "mimikatz" },
      respond: [
        { action: "report", name: "mimikatz-seen {{ .event.USER_NAME }}", priority: 3 },
        {
          action: "start ai agent",
          name: "triage {{ .routing.hostname }}",
          prompt: '[[scenario:bash command="echo triage {{ .routing.hostname }}"]] Triage {{ .detect.cat }}.',
          anthropic_secret: "hive://secret/anthropic",
          data: { cmd: "event.COMMAND_LINE" },
          profile: { allowed_tools: ["Bash"] },
        },
      ],
    };
    expect((await call("PUT", `/v1/orgs/${oid}/rules/mimikatz`, rule)).status).toBe(200);
    // A disabled rule whose value is markup: shown, as text.
    const hostile = { detect: { event: "NEW_PROCESS", op: "is", path: "event/COMMAND_LINE", value: INJECTED } };
    expect((await call("PUT", `/v1/orgs/${oid}/rules/hostile`, hostile)).status).toBe(200);

    await page.goto(platform.baseUrl);
    await page.click("[data-testid=signin-tab-org]");
    await page.fill("[data-testid=org-id]", oid);
    await page.fill("[data-testid=org-key]", headers.authorization!.slice("Bearer ".length));
    await page.click("[data-testid=org-signin]");
    await page.waitForSelector("[data-testid=rule-card][data-rule=mimikatz]");
    expect(await page.textContent("[data-testid=org-id-shown]")).toBe(`org ${oid}`);
    expect(await page.locator("[data-testid=rule-card]").count()).toBe(2);
    const yaml = await page.textContent("[data-testid=rule-card][data-rule=mimikatz] [data-testid=rule-yaml]");
    expect(yaml).toContain("op: contains");
    expect(yaml).toContain("action: start ai agent");
    expect(await page.textContent("[data-testid=rule-card][data-rule=mimikatz] [data-testid=rule-enabled]")).toBe("enabled");
    expect(await page.textContent("[data-testid=rule-card][data-rule=hostile] [data-testid=rule-enabled]")).toBe("disabled");
    expect(await page.textContent("[data-testid=rule-card][data-rule=hostile] [data-testid=rule-yaml]")).toContain(INJECTED);
    await expectNoInjection(page);

    // An event arrives while the view is open: its detection and the session it started appear.
    const posted = await call("POST", `/v1/orgs/${oid}/events`, {
      routing: { event_type: "NEW_PROCESS", hostname: "ws-7", sid: "sensor-7" },
      event: { COMMAND_LINE: "mimikatz.exe sekurlsa", USER_NAME: INJECTED },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const [result] = posted.body.results;
    expect(result.sessions).toEqual([{ rule: "mimikatz", id: expect.any(String) }]);
    const detection: string = result.detections[0];
    const session: string = result.sessions[0].id;
    const detectionRow = `[data-testid=detection][data-detect-id="${detection}"]`;
    await page.waitForSelector(`${detectionRow} [data-testid=detection-session][data-session-id="${session}"]`, { timeout: 30_000 });
    expect(await page.textContent(`${detectionRow} .detection-cat`)).toBe(`mimikatz-seen ${INJECTED}`);
    expect(await page.textContent(detectionRow)).toContain("priority 3");
    expect(await page.textContent(detectionRow)).toContain("triage ws-7");

    // The session runs its tool and ends; the view follows, and its details give prompt and report.
    expect((await ended(session)).end_reason).toBe("completed");
    const row = `[data-testid=rule-session][data-session-id="${session}"]`;
    await page.waitForSelector(`${row} [data-testid=rule-session-state][data-state=ended]`, { timeout: 30_000 });
    expect(await page.textContent(`${row} summary`)).toContain("Ended · completed");
    await page.click(`${row} summary`);
    await page.waitForSelector(`${row} [data-testid=rule-session-report]`, { timeout: 30_000 });
    const prompt = await page.textContent(`${row} [data-testid=rule-session-prompt]`);
    expect(prompt).toBe(
      `[[scenario:bash command="echo triage ws-7"]] Triage mimikatz-seen ${INJECTED}.\n\n\`\`\`json\n{\n  "cmd": "mimikatz.exe sekurlsa"\n}\n\`\`\``,
    );
    expect(await page.textContent(`${row} [data-testid=rule-session-report]`)).toContain("triage ws-7");
    expect(await page.textContent(row)).toContain(detection);
    await expectNoInjection(page);
    await page.locator(`${row} [data-testid=rule-session-report]`).scrollIntoViewIfNeeded();
    await shot(page, "org-rules-view");

    // Signing out forgets the key: a reload shows the sign-in page.
    await page.click("[data-testid=org-signout]");
    await page.waitForSelector("[data-testid=org-signin-form]");
    await page.reload();
    await page.waitForSelector("[data-testid=signin-form]");
  }, 360_000);
});
