/**
 * Sensor variables (DR.md Q17/Q28): `add var` / `del var` write them per sensor in the org's
 * rule state object, `[[name]]` values read them on later events from the same sensor; ttl,
 * and the 16 × 32 limits whose overflow clears the variable.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { orgWithSecret, postEvents, processEvent, putRule } from "./rules-helpers.ts";

describe("sensor variables", () => {
  it("add var on one event makes [[name]] match a later event of the same sensor only; del var removes it", async () => {
    const org = await orgWithSecret();
    await putRule(org, "remember", {
      detect: { event: "NEW_PROCESS", op: "starts with", path: "event/COMMAND_LINE", value: "remember " },
      respond: [{ action: "add var", name: "seen-bins", value: '{{ index (split " " .event.COMMAND_LINE) 1 }}', ttl: 3600 }],
    });
    await putRule(org, "forget", {
      detect: { event: "NEW_PROCESS", op: "starts with", path: "event/COMMAND_LINE", value: "forget " },
      respond: [{ action: "del var", name: "seen-bins", value: '{{ index (split " " .event.COMMAND_LINE) 1 }}' }],
    });
    await putRule(org, "known", {
      detect: { event: "NEW_PROCESS", op: "is", path: "event/COMMAND_LINE", value: "[[seen-bins]]" },
      respond: [{ action: "report", name: "known binary" }],
    });
    const [before] = await postEvents(org, processEvent("calc.exe"));
    expect(before.matched_rules).toEqual([]);
    await postEvents(org, processEvent("remember calc.exe"));
    const [same, other] = await postEvents(org, { events: [processEvent("calc.exe"), processEvent("calc.exe", { sid: "sensor-2" })] });
    expect(same.matched_rules).toEqual(["known"]);
    expect(other.matched_rules).toEqual([]);
    await postEvents(org, processEvent("forget calc.exe"));
    const [after] = await postEvents(org, processEvent("calc.exe"));
    expect(after.matched_rules).toEqual([]);
  });

  it("an event without routing/sid fails the variable action and keeps the others", async () => {
    const org = await orgWithSecret();
    await putRule(org, "nosid", {
      detect: { op: "exists", path: "event/X" },
      respond: [
        { action: "add var", name: "v", value: "1" },
        { action: "report", name: "r" },
      ],
    });
    const [result] = await postEvents(org, { routing: { event_type: "T" }, event: { X: 1 } });
    expect(result.failed_actions).toEqual([{ rule: "nosid", action: "add var", error: expect.stringContaining("routing/sid") }]);
    expect(result.detections).toHaveLength(1);
  });

  it("values expire after their ttl; 32 values and 16 names are the limits, and an overflow clears the variable", async () => {
    const state = env.ORG_RULE_STATE.get(env.ORG_RULE_STATE.idFromName(`vars-${crypto.randomUUID()}`));
    const t0 = 1_000_000;
    await state.changeVariables(
      "s1",
      [
        { op: "add", name: "a", value: "x", ttl: 10 },
        { op: "add", name: "a", value: "y", ttl: null },
      ],
      t0,
    );
    expect(await state.variables("s1", t0 + 9_999)).toEqual({ a: ["x", "y"] });
    expect(await state.variables("s1", t0 + 10_000)).toEqual({ a: ["y"] });
    const values = Array.from({ length: 32 }, (_, i) => ({ op: "add" as const, name: "many", value: `v${i}`, ttl: null }));
    await state.changeVariables("s1", values, t0);
    expect((await state.variables("s1", t0)).many).toHaveLength(32);
    await state.changeVariables("s1", [{ op: "add", name: "many", value: "v32", ttl: null }], t0);
    expect((await state.variables("s1", t0)).many).toBeUndefined();
    const names = Array.from({ length: 20 }, (_, i) => ({ op: "add" as const, name: `n${i}`, value: "1", ttl: null }));
    await state.changeVariables("s2", names, t0);
    expect(Object.keys(await state.variables("s2", t0))).toEqual(names.slice(0, 16).map((n) => n.name));
  });
});
