/**
 * The rule template engine runs inside workerd (where rules are evaluated): a prompt with a
 * template, a selector, md5 (`token`), Go float printing and the data block.
 */
import { describe, expect, it } from "vitest";
import { parseTemplate, renderAgentPrompt, renderTemplate } from "../../rules/template/index.ts";

describe("rules/template in workerd", () => {
  it("renders an agent prompt with its data block", () => {
    const r = renderAgentPrompt(
      { prompt: "Triage {{ .detect.cat }} on {{ .routing.hostname }} ({{ token .routing.sid }})", data: { t: "routing.event_time" } },
      { routing: { hostname: "kiosk-7", sid: "abc", event_time: 1657925305984 }, detect: { cat: "odd-shell" } },
    );
    // md5("abc") = 900150983cd24fb0d6963f7d28e17f72 (RFC 1321 test suite).
    expect(r).toEqual({
      ok: true,
      prompt: 'Triage odd-shell on kiosk-7 (900150983cd24fb0d6963f7d28e17f72)\n\n```json\n{\n  "t": 1657925305984\n}\n```',
      data: { t: 1657925305984 },
    });
  });

  it("prints floats and maps as Go does and reports errors as results", () => {
    const t = parseTemplate('{{ printf "%.2f %v" 0.125 1e6 }} {{ .m }}');
    if (!t.ok) throw new Error(t.message);
    expect(renderTemplate(t.template, { m: { b: 1, a: 2 } })).toEqual({ ok: true, text: "0.12 1e+06 map[a:2 b:1]" });
    expect(parseTemplate("{{ .event.PARENT/FILE_PATH }}")).toEqual({ ok: false, message: "template: 1:17: bad character U+002F '/'" });
  });
});
