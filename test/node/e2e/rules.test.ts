/**
 * D&R rules end to end (issue 10's acceptance): under wrangler dev, an org stores a secret and
 * rules whose `start ai agent` actions start unattended sessions of the real Claude Code binary,
 * driven by the scripted model server. A matching event starts exactly one session whose first
 * prompt is the rendered template with its data block, which runs a tool and ends `completed`;
 * a non-matching event starts none; a repeated idempotent key starts none; a busy debounce key
 * keeps the newest pending start until the live session ends; and a detection-target rule fires
 * on another rule's report. The SDK's and the CLI's rule commands run against the same platform.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient, isAiSessionsError } from "../../../sdk/index.ts";
import { E2E_API_KEY, startE2EPlatform, type E2EPlatform } from "./platform-harness.ts";

const CLI = path.resolve(import.meta.dirname, "../../../cli/main.ts");

const OPERATOR_TOKEN = "e2e-operator-token-0123456789";
const oid = "org-e2e-rules";

let platform: E2EPlatform;
let headers: Record<string, string>;
let orgKey: string;

/** Calls the platform as the org (its API key), or as the operator. */
async function call(method: string, route: string, body?: unknown, as: Record<string, string> = headers) {
  const response = await fetch(platform.baseUrl + route, {
    method,
    headers: { ...as, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function putRule(name: string, rule: Record<string, unknown>): Promise<void> {
  const answer = await call("PUT", `/v1/orgs/${oid}/rules/${name}`, { enabled: true, ...rule });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

/** Posts events and returns the per-event results. */
async function post(...events: unknown[]): Promise<any[]> {
  const answer = await call("POST", `/v1/orgs/${oid}/events`, { events });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.results;
}

async function session(id: string): Promise<any> {
  const answer = await call("GET", `/v1/org/sessions/${id}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  return answer.body.session;
}

/** Waits until the session has ended (an unattended one-shot session ends by itself). */
async function ended(id: string, timeoutMs = 120_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await session(id);
    if (record.status === "ended") return record;
    if (Date.now() > deadline) throw new Error(`session ${id} did not end: ${JSON.stringify(record)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function sessionIds(): Promise<string[]> {
  return (await call("GET", "/v1/org/sessions")).body.sessions.map((s: { id: string }) => s.id);
}

/** Waits until the org has `count` sessions; returns their ids. */
async function sessionCount(count: number, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ids = await sessionIds();
    if (ids.length >= count) return ids;
    if (Date.now() > deadline) throw new Error(`the org has ${ids.length} sessions, expected ${count}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function event(type: string, e: Record<string, unknown>, routing: Record<string, unknown> = {}) {
  return { routing: { event_type: type, hostname: "ws-7", sid: "sensor-7", event_id: crypto.randomUUID(), ...routing }, event: e };
}

/** A `start ai agent` action whose scripted model runs `command` with Bash, allowed by the profile. */
function agent(command: string, extra: Record<string, unknown> = {}) {
  return {
    action: "start ai agent",
    prompt: `[[scenario:bash command="${command}"]] Triage {{ .detect.cat }} on {{ .routing.hostname }}.`,
    anthropic_secret: "hive://secret/anthropic",
    profile: { allowed_tools: ["Bash"] },
    ...extra,
  };
}

beforeAll(async () => {
  platform = await startE2EPlatform({ ORG_ADMIN_TOKEN: OPERATOR_TOKEN });
  const key = await call("POST", `/v1/orgs/${oid}/keys`, { name: "rules" }, { authorization: `Bearer ${OPERATOR_TOKEN}` });
  expect(key.status, JSON.stringify(key.body)).toBe(201);
  orgKey = key.body.key;
  headers = { authorization: `Bearer ${orgKey}`, "x-lc-oid": oid };
  expect((await call("PUT", `/v1/orgs/${oid}/secrets/anthropic`, { value: E2E_API_KEY })).status).toBe(200);
}, 120_000);
afterAll(async () => platform?.stop());

describe("rules that start agents, end to end", () => {
  it("a matching event starts one session with the rendered prompt and data block; it runs a tool and completes; idempotency holds", async () => {
    await putRule("mimikatz", {
      detect: { event: "NEW_PROCESS", op: "contains", path: "event/COMMAND_LINE", value: "mimikatz" },
      respond: [
        { action: "report", name: "mimikatz-seen" },
        agent("echo triage {{ .routing.hostname }}", {
          idempotent_key: "{{ .routing.event_id }}",
          data: { host: "{{ .routing.hostname }}", cmd: "event.COMMAND_LINE" },
        }),
      ],
    });
    const [matched, other] = await post(
      event("NEW_PROCESS", { COMMAND_LINE: "mimikatz.exe sekurlsa" }, { event_id: "ev-1" }),
      event("NEW_PROCESS", { COMMAND_LINE: "notepad.exe" }),
    );
    expect(matched.matched_rules).toEqual(["mimikatz"]);
    expect(matched.sessions).toEqual([{ rule: "mimikatz", id: expect.any(String) }]);
    // The non-matching event starts none.
    expect(other).toEqual({ matched_rules: [], detections: [], sessions: [], failed_actions: [] });
    const id = matched.sessions[0].id;

    const prompt =
      '[[scenario:bash command="echo triage ws-7"]] Triage mimikatz-seen on ws-7.\n\n```json\n{\n  "host": "ws-7",\n  "cmd": "mimikatz.exe sekurlsa"\n}\n```';
    const record = await ended(id);
    expect(record).toMatchObject({ end_reason: "completed", initial_prompt: prompt, lc_auth_type: "org_api_key" });
    // The agent received that prompt first, paid with the org's secret, and ran the tool.
    const toModel = platform.modelServer!.requests.filter((r) => r.scenario === "bash" && JSON.stringify(r.body).includes("triage ws-7"));
    expect(toModel.length).toBeGreaterThan(0);
    expect(toModel.every((r) => r.apiKey === E2E_API_KEY)).toBe(true);
    const history = (await call("GET", `/v1/org/sessions/${id}/history`)).body.messages;
    const firstUser = history.find((m: any) => m.type === "user");
    expect(JSON.stringify(firstUser.payload)).toContain(JSON.stringify(prompt).slice(1, -1));
    const toolResult = history.find((m: any) => m.type === "tool_result");
    expect(JSON.stringify(toolResult.payload)).toContain("triage ws-7");

    // The same idempotent key within 24 h starts none, and names the existing session.
    const [again] = await post(event("NEW_PROCESS", { COMMAND_LINE: "mimikatz.exe again" }, { event_id: "ev-1" }));
    expect(again.sessions).toEqual([{ rule: "mimikatz", skipped: true, reason: "idempotent_key", session_id: id }]);
    expect(await sessionIds()).toEqual([id]);
  }, 240_000);

  it("two concurrent events with one debounce key give one live session; the pending one starts when it ends", async () => {
    await putRule("beacon", {
      detect: { event: "DNS_REQUEST", op: "ends with", path: "event/DOMAIN_NAME", value: ".bad.example" },
      respond: [agent("echo dns {{ .event.DOMAIN_NAME }}", { debounce_key: "dns-{{ .routing.sid }}" })],
    });
    const before = await sessionIds();
    const answers = await Promise.all(
      ["one.bad.example", "two.bad.example"].map((domain) => post(event("DNS_REQUEST", { DOMAIN_NAME: domain }))),
    );
    const outcomes = answers.flat().map((r) => r.sessions[0]);
    const started = outcomes.filter((o) => o.id);
    const queued = outcomes.filter((o) => o.queued);
    expect(started).toHaveLength(1);
    expect(queued).toHaveLength(1);
    // The live one is the only new session until it ends.
    expect((await sessionIds()).filter((id) => !before.includes(id))).toEqual([started[0].id]);
    const first = await ended(started[0].id);
    expect(first.end_reason).toBe("completed");

    // Its end starts the pending one: the other event's.
    const ids = await sessionCount(before.length + 2);
    const next = ids.filter((id) => !before.includes(id) && id !== started[0].id);
    expect(next).toHaveLength(1);
    const second = await ended(next[0]!);
    const firstDomain = first.initial_prompt.includes("one.bad.example") ? "one.bad.example" : "two.bad.example";
    const otherDomain = firstDomain === "one.bad.example" ? "two.bad.example" : "one.bad.example";
    expect(second).toMatchObject({ end_reason: "completed" });
    expect(second.initial_prompt).toContain(`echo dns ${otherDomain}`);
    expect(Date.parse(second.created_at)).toBeGreaterThanOrEqual(Date.parse(first.terminated_at));
  }, 300_000);

  it("a detection-target rule fires on the first rule's report", async () => {
    await putRule("lateral", {
      detect: { event: "NETWORK_CONNECT", op: "is", path: "event/PORT", value: 445 },
      respond: [{ action: "report", name: "smb-seen" }],
    });
    await putRule("smb-triage", {
      detect: { target: "detection", event: "smb-seen", op: "is", path: "routing/hostname", value: "ws-7" },
      respond: [agent("echo detection {{ .routing.hostname }}", { name: "triage {{ .detect.cat }}" })],
    });
    const [result] = await post(event("NETWORK_CONNECT", { PORT: 445 }));
    expect(result.matched_rules).toEqual(["lateral", "smb-triage"]);
    expect(result.sessions).toEqual([{ rule: "smb-triage", id: expect.any(String) }]);
    const record = await ended(result.sessions[0].id);
    expect(record).toMatchObject({ end_reason: "completed", name: "triage smb-triage" });
    expect(record.initial_prompt).toBe('[[scenario:bash command="echo detection ws-7"]] Triage smb-triage on ws-7.');
    const detections = (await call("GET", `/v1/orgs/${oid}/detections?cat=smb-seen`)).body.detections;
    expect(detections.map((d: any) => d.source_rule)).toEqual(["lateral"]);
  }, 240_000);

  it("the SDK and the CLI push, list, replay, send events to and delete rules, and list detections and rules' sessions", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "rules-cli-"));
    const cli = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const env = { ...process.env, AI_SESSIONS_URL: platform.baseUrl, AI_SESSIONS_TOKEN: orgKey, AI_SESSIONS_ORG: oid, NO_COLOR: "1" };
        execFile(process.execPath, [CLI, ...args], { env }, (error, stdout, stderr) =>
          resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
    try {
      const ruleFile = path.join(dir, "dns-watch.yaml");
      writeFileSync(
        ruleFile,
        [
          "detect:",
          "  event: DNS_REQUEST",
          "  op: ends with",
          "  path: event/DOMAIN_NAME",
          "  value: .watch.example",
          "respond:",
          "  - action: report",
          "    name: watched {{ .event.DOMAIN_NAME }}",
          "tests:",
          "  match: [[{routing: {event_type: DNS_REQUEST}, event: {DOMAIN_NAME: a.watch.example}}]]",
          "  non_match: [[{routing: {event_type: DNS_REQUEST}, event: {DOMAIN_NAME: a.example}}]]",
          "",
        ].join("\n"),
      );
      const pushed = await cli("rules", "push", ruleFile, "--enable");
      expect(pushed, pushed.stderr).toMatchObject({ code: 0, stdout: "Rule dns-watch stored (version 1, enabled).\n" });
      const listed = await cli("rules", "list", "--json");
      expect(JSON.parse(listed.stdout).rules).toContainEqual(expect.objectContaining({ name: "dns-watch", enabled: true, version: 1 }));

      const eventsFile = path.join(dir, "events.json");
      const dns = (domain: string) => ({ routing: { event_type: "DNS_REQUEST", hostname: "ws-9" }, event: { DOMAIN_NAME: domain } });
      writeFileSync(eventsFile, JSON.stringify([dns("b.watch.example"), dns("b.example")]));
      const replay = await cli("rules", "test", "dns-watch", eventsFile, "--json");
      expect(JSON.parse(replay.stdout).results).toEqual([
        { matched: true, actions: [expect.objectContaining({ action: "report", name: "watched b.watch.example" })] },
        { matched: false, actions: [] },
      ]);

      const ndjson = path.join(dir, "events.ndjson");
      writeFileSync(ndjson, `${JSON.stringify(dns("c.watch.example"))}\n${JSON.stringify(dns("c.example"))}\n`);
      const sent = await cli("events", "send", ndjson);
      expect(sent.code, sent.stderr).toBe(0);
      expect(sent.stdout).toBe("event 1: matched dns-watch · 1 detection(s)\nevent 2: no match\n");
      const detections = JSON.parse((await cli("detections", "list", "--cat", "watched c.watch.example", "--json")).stdout).detections;
      expect(detections).toEqual([expect.objectContaining({ cat: "watched c.watch.example", source_rule: "dns-watch" })]);
      // The session the first test's rule started, from its detection, in the CLI and the SDK.
      const started = JSON.parse((await cli("rules", "sessions", "--rule", "mimikatz", "--json")).stdout).sessions;
      expect(started).toEqual([
        expect.objectContaining({ rule: "mimikatz", status: "ended", end_reason: "completed", idempotent_key: "ev-1" }),
      ]);
      expect(started[0].detection_id).toEqual(expect.any(String));
      const shown = await cli("rules", "sessions", "--rule", "mimikatz");
      expect(shown.stdout).toContain(started[0].session_id);
      expect(shown.stdout).toContain("ended (completed)");
      const viaSdk = await createClient({ baseUrl: platform.baseUrl, token: orgKey }).rules(oid).sessions({ rule: "mimikatz" });
      expect(viaSdk.map((s) => s.session_id)).toEqual([started[0].session_id]);

      // A rule that does not validate: the CLI fails with the platform's code and the node's path.
      writeFileSync(ruleFile, "detect: {event: DNS_REQUEST, op: sounds like, path: event/DOMAIN_NAME, value: x}\n");
      const bad = await cli("rules", "push", ruleFile);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain("[invalid_rule]");
      expect(bad.stderr).toContain("detect.op");
      expect((await cli("rules", "list", "--org", "")).code).toBe(2);

      // The SDK: a YAML rule as text, one event, a delete.
      const rules = createClient({ baseUrl: platform.baseUrl, token: orgKey }).rules(oid);
      const stored = await rules.set("yaml-rule", "enabled: true\ndetect: {event: PING, op: exists, path: event/X}\n");
      expect(stored).toMatchObject({ name: "yaml-rule", enabled: true, version: 1 });
      expect(await rules.sendEvents({ routing: { event_type: "PING" }, event: { X: 1 } })).toEqual([
        { matched_rules: ["yaml-rule"], detections: [], sessions: [], failed_actions: [] },
      ]);
      expect(await rules.delete("yaml-rule")).toEqual({ deleted: true });
      const missing = await rules.get("yaml-rule").catch((error: unknown) => error);
      expect(isAiSessionsError(missing) && missing.status).toBe(404);
      expect((await cli("rules", "delete", "dns-watch")).stdout).toBe("Rule dns-watch deleted.\n");
      expect((await rules.list()).map((r) => r.name)).not.toContain("dns-watch");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
