/**
 * The literal prefilter of `matches` (rules/detect/regex-literal.ts): which patterns yield a
 * required literal, and — the property that matters — that the `matches` operator answers
 * exactly as the RE2 engine alone on strings built to trip a careless prefilter (case
 * variants, `ſ`, the Kelvin sign, dotted İ, the literal split or quantified).
 */
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { requiredLiteral } from "../../../rules/detect/regex-literal.ts";
import { ev, matches } from "./detect-helpers.ts";

describe("the literal every match must contain", () => {
  const cases: [string, boolean, string | undefined][] = [
    ["-enc(odedcommand)?\\s+[a-z0-9+/]{20,}", true, "-enc"],
    ["-ENC\\s", true, "-enc"],
    ["-ENC\\s", false, "-ENC"],
    ["^evil\\.exe$", false, "evil"],
    [".*mimikatz", true, "mimikatz"],
    [".*powershell", true, "power"],
    ["mimikatz?", false, "mimikat"],
    ["abc{2}", false, undefined],
    ["cmd|powershell", false, undefined],
    ["(?i)mimikatz", false, undefined],
    ["\\\\temp\\\\", true, undefined],
    ["[a-z]+evil", false, undefined],
    ["ab", false, undefined],
    [".*?abc", false, undefined],
  ];
  for (const [pattern, fold, literal] of cases)
    it(`${pattern} (${fold ? "case-insensitive" : "case-sensitive"}) → ${literal ?? "none"}`, () => {
      expect(requiredLiteral(pattern, fold)).toBe(literal);
    });
});

describe("matches answers as the regex alone", () => {
  const patterns = ["-enc(odedcommand)?\\s+\\w+", "mimikatz?", ".*powershell", "^evil", "skip", "tasks", "Kelvin", "ISTANBUL"];
  const subjects = [
    "-enc AAAA",
    "-ENC AAAA",
    "-Enc",
    "mimikat",
    "MIMIKATZZ",
    "c:\\windows\\POWERSHELL.exe",
    "powerſhell",
    "POWERſHELL",
    "evil.exe",
    "not evil",
    "ſkip",
    "taſkſ",
    "\u212Aelvin",
    "kelvin",
    "İSTANBUL",
    "istanbul",
    "",
  ];
  for (const pattern of patterns)
    for (const sensitive of [false, true])
      it(`${pattern}${sensitive ? " (case sensitive)" : ""}`, () => {
        const re = RE2JS.compile(pattern, sensitive ? 0 : RE2JS.CASE_INSENSITIVE);
        for (const subject of subjects) {
          const node = { op: "matches", path: "event/S", re: pattern, ...(sensitive ? { "case sensitive": true } : {}) };
          expect(matches(node, ev({ S: subject })), `${pattern} on ${subject}`).toBe(re.test(subject));
        }
      });
});
