/**
 * One cost figure everywhere (issue 14: the CLI's turn footer said $0.2773, `sessions get`
 * $0.3466 for the same session). The gateway settles a call with the session before the
 * answer's last bytes reach the caller, so a turn's `result`, which Claude Code sends only
 * after the answer ended, is stored after that call's `usage_delta` and carries the session's
 * metered cost: the figure of the session record.
 */
import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";
import { clientSocket, runnerSocket } from "./session-helpers.ts";
import { gateway, messagesBody, sessionWith } from "./gateway-helpers.ts";

describe("the cost a turn reports", () => {
  it("is recorded before the answer ends, and a turn's result carries the record's figure", async () => {
    const s = await sessionWith("api_key");
    const runner = await runnerSocket(s.id);
    const client = await clientSocket(s.id, s.token);
    await client.next("history");

    const response = await gateway(`${s.baseUrl}/v1/messages?beta=true`, {
      token: s.gatewayToken,
      body: messagesBody("priced once", true),
    });
    expect(response.status).toBe(200);
    await response.text();
    // Read once, right after the answer ended: no waiting for a settlement in the background.
    const record = (await call("GET", `/v1/sessions/${s.id}`, { token: s.token })).body.session;
    expect(record.usage.output_tokens).toBeGreaterThan(0);
    expect(record.usage.cost_usd).toBeGreaterThan(0);
    expect(record.usage.simulated).toBe(false);

    // Claude Code's turn ends after its answer did; its own estimate differs from the platform's.
    runner.send({
      type: "event",
      rseq: 1,
      event: {
        type: "result",
        payload: { success: true, subtype: "success", summary: "", num_turns: 1, total_cost_usd: 9.99, usage: {} },
      },
    });
    const result = await client.next("result");
    const delta = client.frames.find((f) => f.type === "usage_delta");
    expect(delta.seq).toBeLessThan(result.seq);
    expect(delta.payload).toMatchObject({ total_cost_usd: record.usage.cost_usd, simulated: false });
    expect(result.payload).toMatchObject({ total_cost_usd: 9.99, session_cost_usd: record.usage.cost_usd, cost_simulated: false });
    client.close();
    runner.close();
  });
});
