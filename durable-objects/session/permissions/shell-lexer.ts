/**
 * A small lexer for the command lines Claude Code's `Bash` tool runs, as far as permission
 * matching needs it: where one simple command ("stage") ends and the next begins, the words of
 * each with quotes and escapes removed, and whether a stage holds something whose effect cannot
 * be read off its words (substitutions, subshells, groups, heredocs, brace expansion, ...).
 *
 * It is not a shell parser. The rule that keeps it safe: whatever it does not model exactly marks
 * the enclosing top-level stage opaque, and an opaque stage can never be covered by an allow
 * list. So a misreading can only cost a question to the user, never an unwanted auto-approval.
 * The words inside substitutions, subshells and groups are still lexed (as `nested` stages) so
 * deny patterns can look into them.
 */

/** A word of a stage: its text after quote removal, and the source it was read from. */
export type ShellWord = { text: string; raw: string };

/** A redirection: its operator (`>`, `>>`, `<`, `>&`, `&>`, `<<<`, ...) and its target word. */
export type ShellRedirection = { op: string; target: ShellWord };

/** One simple command of a command line. */
export type ShellStage = {
  /** The words, quotes and escapes removed; redirections and their targets are not included. */
  words: ShellWord[];
  /** How many redirections (`> f`, `2>&1`, `<<< s`, ...) the stage carries. */
  redirections: number;
  /** The redirections with their targets, in order (a heredoc's delimiter counts as its target). */
  redirects: ShellRedirection[];
  /**
   * Holds arithmetic (`$[...]`, `$((...))`, `((...))`): bash evaluates variables in it as
   * expressions, and `a[$(cmd)]` in a variable's value then runs `cmd`, so nothing about what
   * runs can be read off the words.
   */
  arithmetic: boolean;
  /** Holds a construct (substitution, subshell, group, heredoc, ...) that hides what runs. */
  opaque: boolean;
  /** Runs inside another stage's substitution, subshell or group. */
  nested: boolean;
};

/** Stands, inside a word, for the output of a substitution: no pattern word can contain it. */
export const UNKNOWN_TEXT = "\u0000";

/** How deep substitutions and groups are followed; deeper input is left opaque, not lexed. */
const MAX_DEPTH = 32;

/** `${NAME}`: the one brace expansion of a parameter that is as harmless as `$NAME`. */
const SIMPLE_PARAMETER = /\$\{[A-Za-z_][A-Za-z0-9_]*\}/y;

type Closer = ")" | "`" | "}" | null;

/** Splits a command line into its stages, nested ones included (in no particular order). */
export function lexCommand(source: string): ShellStage[] {
  const stages: ShellStage[] = [];
  let pos = 0;
  const peek = (offset: number): string => source[pos + offset] ?? "";

  /** Lexes stages until `closer` (or the end of input); the caller has marked its own stage opaque. */
  function lexList(nested: boolean, closer: Closer, depth: number): void {
    let stage = emptyStage(nested);
    let text = "";
    let wordStart = -1; // -1: no word in progress
    let targetPending: string | null = null; // the operator whose target the next word is

    const markOpaque = (): void => {
      stage.opaque = true;
    };
    const beginWord = (): void => {
      if (wordStart === -1) wordStart = pos;
    };
    const endWord = (): void => {
      if (wordStart === -1) return;
      const word = { text, raw: source.slice(wordStart, pos) };
      if (targetPending !== null) stage.redirects.push({ op: targetPending, target: word });
      else stage.words.push(word);
      targetPending = null;
      text = "";
      wordStart = -1;
    };
    const endStage = (): void => {
      endWord();
      if (targetPending !== null) markOpaque(); // `ls >` with no target: bash refuses it
      if (stage.words.length > 0 || stage.redirections > 0 || stage.opaque) stages.push(stage);
      stage = emptyStage(nested);
      targetPending = null;
    };
    const atCommandStart = (): boolean => wordStart === -1 && stage.words.length === 0 && targetPending === null;
    /** `$[` (old-style arithmetic): left opaque, as `$((` is. */
    const lexOldArithmetic = (): void => {
      markOpaque();
      stage.arithmetic = true;
      text += "$[";
      pos += 2;
    };

    /** Lexes the inside of `$(`, `` ` ``, `(`, `<(`, `>(` or `{`; `pos` is past the opener. */
    const lexInner = (innerCloser: Exclude<Closer, null>): void => {
      markOpaque();
      if (depth >= MAX_DEPTH) {
        pos = source.length;
        return;
      }
      lexList(true, innerCloser, depth + 1);
    };

    /** `${...}`: kept as text when it is a plain `${NAME}`; anything else may run code (`${x@P}`). */
    const lexBraceParameter = (): void => {
      SIMPLE_PARAMETER.lastIndex = pos;
      const match = SIMPLE_PARAMETER.exec(source);
      if (match !== null) {
        text += match[0];
        pos += match[0].length;
      } else {
        markOpaque();
        text += "${";
        pos += 2;
      }
    };

    const lexSingleQuoted = (): void => {
      const end = source.indexOf("'", pos + 1);
      if (end === -1) {
        markOpaque(); // unterminated: bash would refuse it; never read it as something runnable
        text += source.slice(pos + 1);
        pos = source.length;
        return;
      }
      text += source.slice(pos + 1, end);
      pos = end + 1;
    };

    /** `$'...'`: a backslash escapes any character, `\'` included, so it cannot end the string. */
    const lexAnsiCQuoted = (): void => {
      pos += 2;
      while (pos < source.length) {
        const c = source[pos]!;
        if (c === "'") {
          pos++;
          return;
        }
        if (c === "\\" && pos + 1 < source.length) {
          text += source.slice(pos, pos + 2); // escapes are not decoded: `$'\x6cs'` is not `ls`
          pos += 2;
          continue;
        }
        text += c;
        pos++;
      }
      markOpaque();
    };

    const lexDoubleQuoted = (): void => {
      pos++;
      while (pos < source.length) {
        const c = source[pos]!;
        if (c === '"') {
          pos++;
          return;
        }
        if (c === "\\") {
          const next = peek(1);
          if (next === "\n") pos += 2;
          else if (next !== "" && '$`"\\'.includes(next)) {
            text += next;
            pos += 2;
          } else {
            text += "\\";
            pos++;
          }
        } else if (c === "`") {
          pos++;
          lexInner("`");
          text += UNKNOWN_TEXT;
        } else if (c === "$" && peek(1) === "(") {
          if (peek(2) === "(") stage.arithmetic = true;
          pos += 2;
          lexInner(")");
          text += UNKNOWN_TEXT;
        } else if (c === "$" && peek(1) === "[") {
          lexOldArithmetic();
        } else if (c === "$" && peek(1) === "{") {
          lexBraceParameter();
        } else {
          text += c;
          pos++;
        }
      }
      markOpaque(); // unterminated
    };

    /** A redirection operator at `pos`; its target becomes the next word. */
    const lexRedirection = (): void => {
      // An all-digit word right before the operator is its file descriptor (`2>&1`), not an argument.
      if (wordStart !== -1 && /^\d+$/.test(source.slice(wordStart, pos))) {
        text = "";
        wordStart = -1;
      } else {
        endWord();
      }
      const two = source.slice(pos, pos + 2);
      const start = pos;
      if (source.startsWith("<<<", pos)) pos += 3;
      else if (two === "<<") {
        markOpaque(); // a heredoc's body follows on later lines; it is data, and not tracked
        pos += peek(2) === "-" ? 3 : 2;
      } else if (two === "<>" || two === "<&" || two === ">>" || two === ">|" || two === ">&") pos += 2;
      else pos += 1;
      stage.redirections++;
      targetPending = source.slice(start, pos);
    };

    while (pos < source.length) {
      const c = source[pos]!;
      const next = peek(1);
      if (c === "\\" && next === "\n") {
        pos += 2; // line continuation: joins lines, separates nothing
      } else if (c === " " || c === "\t") {
        endWord();
        pos++;
      } else if (c === "\n" || c === ";") {
        endStage();
        pos++;
      } else if (c === "|") {
        endStage();
        pos += next === "|" || next === "&" ? 2 : 1;
      } else if (c === "&" && next === ">") {
        endWord(); // `&>` and `&>>`: a redirection of both streams, not a background `&`
        const op = peek(2) === ">" ? "&>>" : "&>";
        pos += op.length;
        stage.redirections++;
        targetPending = op;
      } else if (c === "&") {
        endStage();
        pos += next === "&" ? 2 : 1;
      } else if (c === ")") {
        if (closer === ")") {
          endStage();
          pos++;
          return;
        }
        markOpaque(); // a `case` pattern, or a syntax error
        pos++;
      } else if (c === "`" && closer === "`") {
        endStage();
        pos++;
        return;
      } else if (c === "}" && closer === "}" && atCommandStart() && isDelimiter(next)) {
        endStage();
        pos++;
        return;
      } else if (c === "#" && wordStart === -1) {
        const end = source.indexOf("\n", pos);
        pos = end === -1 ? source.length : end; // a comment: it may hold quotes that must not count
      } else if ((c === "<" || c === ">") && next === "(") {
        beginWord(); // process substitution
        pos += 2;
        lexInner(")");
        text += UNKNOWN_TEXT;
      } else if (c === "<" || c === ">") {
        lexRedirection();
      } else if (c === "(") {
        if (next === "(") stage.arithmetic = true; // `((x))` (or a nested subshell: counted alike)
        pos++; // subshell, arithmetic, array or function definition: all hide what runs
        lexInner(")");
      } else if (c === "{" && wordStart === -1 && isDelimiter(next)) {
        pos++; // a brace group `{ ...; }`
        lexInner("}");
      } else if (c === "{" && next === "}") {
        beginWord(); // `{}` is literal (find -exec ... {}), not an expansion
        text += "{}";
        pos += 2;
      } else if (c === "{") {
        markOpaque(); // brace expansion can build any word, even the command: `{rm,-rf,/}`
        beginWord();
        text += c;
        pos++;
      } else {
        beginWord();
        if (c === "'") lexSingleQuoted();
        else if (c === '"') lexDoubleQuoted();
        else if (c === "\\") {
          text += next === "" ? "\\" : next;
          pos += next === "" ? 1 : 2;
        } else if (c === "`") {
          pos++;
          lexInner("`");
          text += UNKNOWN_TEXT;
        } else if (c === "$" && next === "'") lexAnsiCQuoted();
        else if (c === "$" && next === '"')
          pos++; // `$"..."` is a double-quoted string
        else if (c === "$" && next === "(") {
          if (peek(2) === "(") stage.arithmetic = true;
          pos += 2;
          lexInner(")");
          text += UNKNOWN_TEXT;
        } else if (c === "$" && next === "[") lexOldArithmetic();
        else if (c === "$" && next === "{") lexBraceParameter();
        else {
          text += c;
          pos++;
        }
      }
    }
    if (closer !== null) markOpaque(); // unterminated substitution or group
    endStage();
  }

  lexList(false, null, 0);
  return stages;
}

function emptyStage(nested: boolean): ShellStage {
  return { words: [], redirections: 0, redirects: [], arithmetic: false, opaque: false, nested };
}

/** Characters (or the end of input) that end a word in bash. */
function isDelimiter(c: string): boolean {
  return c === "" || " \t\n;&|<>()".includes(c);
}
