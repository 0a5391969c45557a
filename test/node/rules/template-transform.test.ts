/**
 * Transform maps: templates render to strings, selectors keep the selected value's JSON type
 * (null when nothing matches), other values are literals, objects and lists nest; compiling
 * names the path of a bad template or selector.
 */
import { describe, expect, it } from "vitest";
import { compileTransformMap, renderTransformMap, type TransformMap } from "../../../rules/template/index.ts";

/** A Windows logon failure as rules see it: `{event, routing}` plus the detection. */
const input = {
  event: {
    EVENT: {
      EventData: { IpAddress: "34.64.101.177", TargetUserName: "ADMINISTRADOR", LogonType: "3" },
      System: { EventID: "4625", TimeCreated: { SystemTime: "2022-07-15T22:48:24.996361600Z" } },
      exec_context: '{"some": "embedded value", "n": 2}',
    },
    ts: "2023-05-10 22:35:48",
    origin: "someuser@example.com",
    PACKAGES: ["a", "b"],
    "dotted.key": "yes",
  },
  routing: { hostname: "win-2016.corp.internal", event_time: 1657925305984, int_ip: "10.128.0.2", tags: ["edr", "lc:stable"], arch: 2 },
  detect: { cat: "failed-logon", detect_id: "d-1", priority: 3 },
};

function ok(map: TransformMap, data: unknown = input): Record<string, unknown> {
  const r = renderTransformMap(map, data, { anonSeed: "seed" });
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

describe("renderTransformMap", () => {
  it("renders templates, selects typed values, nests objects and keeps literals", () => {
    expect(
      ok({
        message: "Failed logon by {{ .event.EVENT.EventData.TargetUserName }} on {{ .routing.hostname }}",
        from: '{{ "limacharlie" }}',
        dat: { raw: "event.EVENT.EventData", when: "event.EVENT.System.TimeCreated.SystemTime" },
        ts: "routing.event_time",
        tags: "routing.tags",
        arch: "routing.arch",
        nope: "event.does.not.exist",
        cat: "detect.cat",
        literal: "credential-dumping-suspect",
        not_rooted: "does.not.exist",
        number: 7,
        flag: false,
        nothing: null,
        list: ["routing.hostname", "{{ .detect.priority }}", 1],
      }),
    ).toEqual({
      message: "Failed logon by ADMINISTRADOR on win-2016.corp.internal",
      from: "limacharlie",
      dat: { raw: { IpAddress: "34.64.101.177", TargetUserName: "ADMINISTRADOR", LogonType: "3" }, when: "2022-07-15T22:48:24.996361600Z" },
      ts: 1657925305984,
      tags: ["edr", "lc:stable"],
      arch: 2,
      nope: null,
      cat: "failed-logon",
      literal: "credential-dumping-suspect",
      not_rooted: "does.not.exist",
      number: 7,
      flag: false,
      nothing: null,
      list: ["win-2016.corp.internal", "3", 1],
    });
  });

  it("keeps the keys in the order written", () => {
    expect(Object.keys(ok({ zeta: "routing.arch", alpha: "{{ 1 }}", mid: "x" }))).toEqual(["zeta", "alpha", "mid"]);
  });

  it.each([
    ["event.PACKAGES.1", "b"],
    ["event.PACKAGES.#", 2],
    ["event.PACKAGES.5", null],
    ["event.dotted\\.key", "yes"],
    ["routing.hostname.deeper", null],
    // A string with white space is prose, not a selector.
    ["event. Something happened", "event. Something happened"],
  ])("selector %s", (selector, want) => {
    expect(ok({ v: selector }).v).toEqual(want);
  });

  it.each([
    ["event.EVENT.exec_context|@parsejson", { some: "embedded value", n: 2 }],
    ["event.origin|@parsejson", null],
    ['event.origin|@extract:{"re":".*@(?P<domain>[^.]+)\\\\.(?P<tld>.+)"}', { domain: "example", tld: "com" }],
    ['event.origin|@extract:{"re":"^nomatch$"}', null],
    ['event.ts|@parsetime:{"from":"2006-01-02 15:04:05", "to":"Mon, 02 Jan 2006 15:04:05 MST"}', "Wed, 10 May 2023 22:35:48 UTC"],
    ['routing.event_time|@parsetime:{"from":"epoch_ms","to":"2006-01-02T15:04:05.000Z07:00"}', "2022-07-15T22:48:25.984Z"],
    ['event.origin|@parsetime:{"from":"2006-01-02","to":"2006"}', null],
    ['event.EVENT.exec_context|@parsejson|@extract:{"re":"x"}', null],
  ])("modifier %s", (selector, want) => {
    expect(ok({ v: selector }).v).toEqual(want);
  });

  it("reports a template that fails at render with its path", () => {
    const r = renderTransformMap({ a: { b: ["x", "{{ index .event.PACKAGES 9 }}"] } }, input);
    expect(r).toEqual({
      ok: false,
      path: "a/b/1",
      message: "a/b/1: template: 1:4: executing at <index .event.PACKAGES 9>: error calling index: index out of range: 9",
    });
  });
});

describe("compileTransformMap", () => {
  it("names the path of an unparsable template, under the given base", () => {
    const r = compileTransformMap({ host: "{{ .routing.hostname }}", nested: { summary: "{{ .event.PARENT/FILE_PATH }}" } }, "data");
    expect(r).toEqual({ ok: false, path: "data/nested/summary", message: "data/nested/summary: template: 1:17: bad character U+002F '/'" });
  });

  it.each([
    ["event.x|@nope", "data/v: unknown modifier @nope"],
    ["event.x|@extract:{bad", "data/v: @extract: argument is not JSON: {bad"],
    ['event.x|@extract:{"re":"(unclosed"}', "data/v: @extract: invalid pattern"],
    ['event.x|@parsetime:{"from":"2006"}', 'data/v: @parsetime needs {"from": "<layout>", "to": "<layout>"}'],
  ])("rejects the selector %s", (selector, want) => {
    const r = compileTransformMap({ v: selector }, "data");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.path).toBe("data/v");
      expect(r.message).toContain(want);
    }
  });

  it("can treat selector-like strings as literals (free-form fields such as report metadata)", () => {
    const c = compileTransformMap({ author: "event.by.design", note: "on {{ .routing.hostname }}" }, "metadata", { selectors: false });
    if (!c.ok) throw new Error(c.message);
    expect(renderTransformMap(c.compiled, input)).toEqual({
      ok: true,
      value: { author: "event.by.design", note: "on win-2016.corp.internal" },
    });
  });

  it("renders the documented extension request and suppression key shapes", () => {
    const withMtd = {
      ...input,
      event: { ...input.event, PROCESS_ID: 4242, USER_NAME: "bob" },
      routing: { ...input.routing, sid: "s-1" },
      mtd: { lcr___api_ip_geo: { country: { iso_code: "FR" } } },
    };
    expect(ok({ sid: "{{ .routing.sid }}", pid: "event.PROCESS_ID" }, withMtd)).toEqual({ sid: "s-1", pid: 4242 });
    expect(ok({ keys: ["first-country", "{{ .event.USER_NAME }}", "{{ .mtd.lcr___api_ip_geo.country.iso_code }}"] }, withMtd)).toEqual({
      keys: ["first-country", "bob", "FR"],
    });
  });

  it("compiles once and renders for many inputs", () => {
    const c = compileTransformMap({ host: "{{ .routing.hostname }}", t: "routing.event_time" });
    if (!c.ok) throw new Error(c.message);
    const hosts = ["a", "b", "c"].map((hostname) => {
      const r = renderTransformMap(c.compiled, { routing: { hostname, event_time: 1 } });
      return r.ok ? r.value : r.message;
    });
    expect(hosts).toEqual([
      { host: "a", t: 1 },
      { host: "b", t: 1 },
      { host: "c", t: 1 },
    ]);
  });
});
