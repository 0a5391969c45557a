/**
 * A cheap necessary condition for `matches`: a literal every match must contain, found at the
 * start of the pattern, so most events are turned away by a substring test instead of running
 * the RE2 engine (which costs about a microsecond per case-insensitive test). Conservative by
 * construction: any doubt (an alternation anywhere, a quantifier on the literal's last
 * character, a character RE2 folds differently from `toLowerCase`) gives no literal, and the
 * regex alone decides.
 */

/** Characters that are literal in RE2 outside a class: letters, digits and plain punctuation. */
const LITERAL = /[A-Za-z0-9 _\-=:,;'"<>@%&!~`#/]/;
const QUANTIFIER = new Set(["*", "+", "?", "{"]);
/** Shorter literals filter too little to be worth a substring test. */
const MIN_LENGTH = 3;

/**
 * The literal (lower-cased when `foldCase`) that every match of `pattern` contains, or
 * undefined. Case-insensitively, RE2 also matches `ſ` (U+017F) for `s`, which `toLowerCase`
 * keeps as is: the literal then stops before any `s`.
 */
export function requiredLiteral(pattern: string, foldCase: boolean): string | undefined {
  if (pattern.includes("|")) return undefined;
  let i = 0;
  if (pattern.startsWith("^")) i = 1;
  else if (pattern.startsWith(".*") && !QUANTIFIER.has(pattern[2] ?? "")) i = 2;
  let run = "";
  while (i < pattern.length && LITERAL.test(pattern[i] as string)) run += pattern[i++];
  // A quantifier applies to the last character only: that one may be absent or repeated.
  if (QUANTIFIER.has(pattern[i] ?? "")) run = run.slice(0, -1);
  if (foldCase) {
    run = run.toLowerCase();
    const s = run.indexOf("s");
    if (s >= 0) run = run.slice(0, s);
  }
  return run.length >= MIN_LENGTH ? run : undefined;
}
