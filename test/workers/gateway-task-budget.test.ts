/**
 * `task_budget_tokens` through real gateway calls: the session ends `completed` (detail
 * `task_budget_tokens`) once its input plus output tokens pass the limit, and the gateway
 * serves it no more; a session under its limit keeps running.
 */
import { describe, expect, it } from "vitest";
import { gateway, messagesBody, recordOf, receivedWith, sessionWith, usageOf } from "./gateway-helpers.ts";
import { clientSocket } from "./session-helpers.ts";

describe("task_budget_tokens", () => {
  it("ends the session completed once input plus output tokens pass it, and the gateway refuses the next call", async () => {
    const s = await sessionWith("api_key", { task_budget_tokens: 10 });
    const watcher = await clientSocket(s.id, s.token);
    const first = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("a long enough answer", true) });
    expect(first.status).toBe(200);
    await first.text();

    const ended = await recordOf(s.id, s.token, (record) => record.status === "ended");
    expect(ended).toMatchObject({ end_reason: "completed", end_detail: "task_budget_tokens", task_budget_tokens: 10 });
    expect(ended.usage.input_tokens + ended.usage.output_tokens).toBeGreaterThan(10);
    expect((await watcher.next("session_end")).payload).toMatchObject({ reason: "completed", detail: "task_budget_tokens" });

    const next = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("more", false) });
    expect(next.status).toBe(403);
    await next.text();
    expect(await receivedWith(s.secret)).toHaveLength(1);
  });

  it("leaves a session under its token budget running", async () => {
    const s = await sessionWith("api_key", { task_budget_tokens: 1_000_000 });
    const answer = await gateway(`${s.baseUrl}/v1/messages`, { token: s.gatewayToken, body: messagesBody("short", false) });
    expect(answer.status).toBe(200);
    await answer.text();
    // The usage and the budget check are recorded in one step: once the usage shows, the check has run.
    await usageOf(s.id, s.token, (usage) => usage.output_tokens > 0);
    const record = await recordOf(s.id, s.token, () => true);
    expect(record.status).not.toBe("ended");
    expect(record.end_reason).toBeNull();
  });
});
