/**
 * Parser for the Go `text/template` subset: builds the tree of ast.ts from lexer tokens,
 * following the structure (and error wording) of Go's `text/template/parse`.
 */
import type { Arg, Command, Node, Pipe } from "./ast.ts";
import { TemplateSyntaxError } from "./errors.ts";
import { FUNCTION_NAMES } from "./functions.ts";
import { lex, type Token } from "./lexer.ts";
import { parseGoNumber, unquoteGo } from "./literals.ts";

type EndKind = "end" | "else" | "eof";

/** Parses a whole template; throws TemplateSyntaxError. */
export function parseNodes(src: string): Node[] {
  return new Parser(src, lex(src)).parseRoot();
}

class Parser {
  private i = 0;
  /** Declared variable names in scope, innermost last (`$` is always there). */
  private vars: string[] = ["$"];
  private rangeDepth = 0;

  private readonly src: string;
  private readonly tokens: Token[];

  constructor(src: string, tokens: Token[]) {
    this.src = src;
    this.tokens = tokens;
  }

  parseRoot(): Node[] {
    const { list, end, endToken } = this.itemList();
    if (end !== "eof") this.fail(`unexpected {{${end}}}`, endToken.pos);
    return list;
  }

  private fail(msg: string, pos: number): never {
    throw new TemplateSyntaxError(msg, this.src, pos);
  }

  private peek(): Token {
    return this.tokens[this.i] as Token;
  }

  private next(): Token {
    const t = this.peek();
    if (t.type !== "eof") this.i++;
    return t;
  }

  private peekNonSpace(): Token {
    while (this.peek().type === "space") this.i++;
    return this.peek();
  }

  private nextNonSpace(): Token {
    this.peekNonSpace();
    return this.next();
  }

  private unexpected(t: Token, context: string): never {
    const what = t.type === "eof" ? "EOF" : t.type === "rightDelim" ? "}}" : t.value;
    this.fail(`unexpected ${JSON.stringify(what)} in ${context}`, t.pos);
  }

  /** Nodes up to `{{end}}`, `{{else}}` or the end of input. */
  private itemList(): { list: Node[]; end: EndKind; endToken: Token } {
    const list: Node[] = [];
    for (;;) {
      const t = this.next();
      if (t.type === "eof") return { list, end: "eof", endToken: t };
      if (t.type === "text") {
        list.push({ kind: "text", text: t.value, pos: t.pos });
        continue;
      }
      // Only actions remain (comments never reach the token stream).
      const word = this.peekNonSpace();
      if (word.type === "keyword" && (word.value === "end" || word.value === "else")) {
        this.next();
        if (word.value === "end") this.expectRightDelim("end");
        else if (!(this.peekNonSpace().type === "keyword" && ["if", "with"].includes(this.peek().value))) {
          this.expectRightDelim("else");
        }
        return { list, end: word.value, endToken: word };
      }
      list.push(this.action());
    }
  }

  private expectRightDelim(context: string): void {
    const t = this.nextNonSpace();
    if (t.type !== "rightDelim") this.unexpected(t, context);
  }

  private action(): Node {
    const t = this.peekNonSpace();
    if (t.type === "keyword") {
      this.next();
      switch (t.value) {
        case "if":
        case "with":
        case "range":
          return this.control(t.value, t.pos);
        case "break":
        case "continue":
          if (this.rangeDepth === 0) this.fail(`{{${t.value}}} outside {{range}}`, t.pos);
          this.expectRightDelim(t.value);
          return { kind: t.value, pos: t.pos };
        default:
          this.fail(`{{${t.value}}} is not supported in rule templates`, t.pos);
      }
    }
    return { kind: "action", pipe: this.pipeline("command", "rightDelim"), pos: t.pos };
  }

  /** `if`/`with`/`range` up to the matching `{{end}}`; `else if` / `else with` chain. */
  private control(kind: "if" | "with" | "range", pos: number): Node {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, "rightDelim");
    if (kind === "range") this.rangeDepth++;
    const body = this.itemList();
    if (kind === "range") this.rangeDepth--;
    let elseList: Node[] | null = null;
    if (body.end === "eof") this.fail(`unexpected EOF: missing {{end}} for {{${kind}}}`, pos);
    if (body.end === "else") {
      const chained = this.peekNonSpace();
      if (chained.type === "keyword" && (chained.value === "if" || chained.value === "with")) {
        if (chained.value !== kind) this.unexpected(chained, "else");
        this.next();
        // `{{else if b}}…{{end}}` is `{{else}}{{if b}}…{{end}}{{end}}` with a single end.
        elseList = [this.control(kind, chained.pos)];
      } else {
        const rest = this.itemList();
        if (rest.end !== "end") this.fail(`expected end; found ${rest.end === "eof" ? "EOF" : "{{else}}"}`, rest.endToken.pos);
        elseList = rest.list;
      }
    }
    this.vars.length = mark;
    return { kind, pipe, list: body.list, elseList, pos };
  }

  private pipeline(context: string, end: "rightDelim" | "rightParen"): Pipe {
    const start = this.peekNonSpace();
    const pipe: Pipe = { decl: [], isAssign: false, cmds: [], pos: start.pos };
    this.declarations(pipe, context);
    for (;;) {
      const t = this.nextNonSpace();
      if (t.type === end) break;
      if (
        ["bool", "char", "dot", "field", "identifier", "number", "nil", "rawString", "string", "variable", "leftParen"].includes(t.type)
      ) {
        this.i--;
        pipe.cmds.push(this.command());
        continue;
      }
      this.unexpected(t, context);
    }
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, start.pos);
    pipe.cmds.slice(1).forEach((cmd, n) => {
      const first = cmd.args[0];
      if (first && ["bool", "dot", "nil", "number", "string"].includes(first.kind)) {
        this.fail(`non executable command in pipeline stage ${n + 2}`, cmd.pos);
      }
    });
    return pipe;
  }

  /** `$x :=`, `$x =`, and range's `$i, $v :=`. */
  private declarations(pipe: Pipe, context: string): void {
    const save = this.i;
    const v = this.peekNonSpace();
    if (v.type !== "variable") return;
    this.next();
    const after = this.peekNonSpace();
    if (after.type === "declare" || after.type === "assign") {
      this.next();
      pipe.isAssign = after.type === "assign";
      if (pipe.isAssign && !this.vars.includes(v.value)) this.fail(`undefined variable ${JSON.stringify(v.value)}`, v.pos);
      pipe.decl.push(v.value);
      if (!pipe.isAssign) this.vars.push(v.value);
      return;
    }
    if (after.type === "comma") {
      this.next();
      if (context !== "range") this.fail(`too many declarations in ${context}`, after.pos);
      const second = this.nextNonSpace();
      const op = this.nextNonSpace();
      if (second.type !== "variable") this.fail("range can only initialize variables", second.pos);
      if (op.type !== "declare" && op.type !== "assign") this.fail("range can only initialize variables", op.pos);
      pipe.isAssign = op.type === "assign";
      pipe.decl.push(v.value, second.value);
      if (!pipe.isAssign) this.vars.push(v.value, second.value);
      return;
    }
    this.i = save;
  }

  private command(): Command {
    const first = this.peekNonSpace();
    const cmd: Command = { args: [], pos: first.pos, text: "" };
    let endPos = first.pos;
    for (;;) {
      this.peekNonSpace();
      const operand = this.operand();
      if (operand) cmd.args.push(operand);
      const t = this.peek();
      endPos = t.pos;
      if (t.type === "space") {
        this.next();
        continue;
      }
      if (t.type === "rightDelim" || t.type === "rightParen") break;
      if (t.type === "pipe") {
        this.next();
        break;
      }
      this.unexpected(t, "operand");
    }
    if (cmd.args.length === 0) this.fail("empty command", first.pos);
    cmd.text = this.src.slice(first.pos, endPos).trim();
    return cmd;
  }

  private operand(): Arg | undefined {
    const node = this.term();
    if (!node || this.peek().type !== "field") return node;
    const termEnd = this.peek().pos;
    const fields: string[] = [];
    while (this.peek().type === "field") fields.push(this.next().value.slice(1));
    switch (node.kind) {
      case "field":
      case "variable":
      case "chain":
        node.path.push(...fields);
        return node;
      default:
        return this.fail(`unexpected . after term ${JSON.stringify(this.src.slice(node.pos, termEnd))}`, node.pos);
    }
  }

  private term(): Arg | undefined {
    const t = this.nextNonSpace();
    const pos = t.pos;
    switch (t.type) {
      case "identifier":
        if (!FUNCTION_NAMES.has(t.value)) this.fail(`function ${JSON.stringify(t.value)} not defined`, pos);
        return { kind: "function", name: t.value, pos };
      case "dot":
        return { kind: "dot", pos };
      case "nil":
        return { kind: "nil", pos };
      case "variable":
        if (!this.vars.includes(t.value)) this.fail(`undefined variable ${JSON.stringify(t.value)}`, pos);
        return { kind: "variable", name: t.value, path: [], pos };
      case "field":
        return { kind: "field", path: [t.value.slice(1)], pos };
      case "bool":
        return { kind: "bool", value: t.value === "true", pos };
      case "number": {
        const n = parseGoNumber(t.value);
        if (!n) this.fail(`bad number syntax: ${JSON.stringify(t.value)}`, pos);
        return { kind: "number", value: n.value, isFloat: n.isFloat, pos };
      }
      case "char": {
        const s = unquoteGo(t.value);
        if (s === undefined || [...s].length !== 1) this.fail(`malformed character constant: ${t.value}`, pos);
        return { kind: "number", value: s.codePointAt(0) as number, isFloat: false, pos };
      }
      case "string":
      case "rawString": {
        const s = unquoteGo(t.value);
        if (s === undefined) this.fail(`invalid syntax in string ${t.value}`, pos);
        return { kind: "string", value: s, pos };
      }
      case "leftParen":
        return { kind: "chain", pipe: this.pipeline("parenthesized pipeline", "rightParen"), path: [], pos };
      default:
        if (t.type !== "eof") this.i--;
        return undefined;
    }
  }
}
