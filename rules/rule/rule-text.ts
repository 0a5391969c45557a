/**
 * A rule body as sent: JSON, or YAML (the same data model, DR.md §1) parsed by a real YAML
 * parser. Both come back as plain data or a message saying where the text is broken.
 */
import { parseDocument, YAMLParseError } from "yaml";

export type ParsedText = { ok: true; value: unknown } | { ok: false; message: string };

/** Whether a Content-Type names YAML. */
export function isYamlType(contentType: string | undefined | null): boolean {
  return /^(application|text)\/(x-)?yaml\b/i.test((contentType ?? "").trim());
}

/** Parses YAML text (YAML 1.2 core schema: `0x10` is a number, `yes` a string). */
export function parseYamlText(text: string): ParsedText {
  try {
    // Warnings (an unknown `!!tag` read as a plain string) refuse the text rather than being
    // logged: a rule must mean what it says. Aliases are capped so a "billion laughs" document
    // cannot expand without bound.
    const doc = parseDocument(text, { uniqueKeys: true, logLevel: "silent" });
    const problem = doc.errors[0] ?? doc.warnings[0];
    if (problem) return { ok: false, message: `YAML: ${problem.message.split("\n")[0]}` };
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (e) {
    if (e instanceof YAMLParseError) return { ok: false, message: `YAML: ${e.message.split("\n")[0]}` };
    return { ok: false, message: `YAML: ${(e as Error).message}` };
  }
}

/** Parses JSON or YAML text according to its content type. */
export function parseRuleText(text: string, contentType: string | undefined | null): ParsedText {
  if (isYamlType(contentType)) return parseYamlText(text);
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, message: `JSON: ${(e as Error).message}` };
  }
}
