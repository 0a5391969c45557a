/**
 * Executes a parsed template against data, following Go's `text/template/exec`: dot and
 * variable scoping, pipelines (the previous command's value becomes the last argument of the
 * next), field chains over maps, `if`/`with`/`range` with `else`, `break`/`continue`, and
 * lazy `and`/`or`. Rendering is bounded (evaluation steps and output size) because rule
 * templates run on the event path.
 */
import type { Arg, Command, ControlNode, Node, Pipe } from "./ast.ts";
import { TemplateEvalError, TemplateExecError } from "./errors.ts";
import { callFunction, type FunctionContext } from "./functions.ts";
import { formatValue } from "./go-fmt.ts";
import { GoFloat, goTypeName, isGoInt, isMap, isNil, isTrue, sortedKeys } from "./values.ts";

export interface ExecLimits {
  maxSteps: number;
  maxOutputChars: number;
}

/** Marks "no value piped in" (Go's missingVal), distinct from a piped-in undefined. */
const NO_FINAL: unique symbol = Symbol("no final");
type Final = unknown | typeof NO_FINAL;

class BreakSignal {}
class ContinueSignal {}

export function execute(src: string, nodes: Node[], data: unknown, ctx: FunctionContext, limits: ExecLimits): string {
  return new State(src, data, ctx, limits).run(nodes);
}

class State {
  private out = "";
  private steps = 0;
  private vars: { name: string; value: unknown }[];
  private readonly src: string;
  private readonly ctx: FunctionContext;
  private readonly limits: ExecLimits;

  constructor(src: string, data: unknown, ctx: FunctionContext, limits: ExecLimits) {
    this.src = src;
    this.ctx = ctx;
    this.limits = limits;
    this.vars = [{ name: "$", value: data }];
  }

  run(nodes: Node[]): string {
    this.walkList(this.vars[0]?.value, nodes);
    return this.out;
  }

  private write(s: string, at: number): void {
    this.out += s;
    if (this.out.length > this.limits.maxOutputChars) {
      throw new TemplateExecError(`output exceeds ${this.limits.maxOutputChars} characters`, this.src, at, "output");
    }
  }

  private tick(at: number): void {
    if (++this.steps > this.limits.maxSteps) {
      throw new TemplateExecError(`evaluation exceeds ${this.limits.maxSteps} steps`, this.src, at, "range");
    }
  }

  private walkList(dot: unknown, nodes: Node[]): void {
    for (const n of nodes) this.walk(dot, n);
  }

  private walk(dot: unknown, node: Node): void {
    this.tick(node.pos);
    switch (node.kind) {
      case "text":
        return this.write(node.text, node.pos);
      case "action": {
        const v = this.evalPipeline(dot, node.pipe);
        // Go prints an invalid value as "<no value>"; a missing map key prints as nothing here.
        if (node.pipe.decl.length === 0) this.write(v === undefined ? "" : v === null ? "<no value>" : formatValue(v), node.pos);
        return;
      }
      case "if":
      case "with": {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, node.pipe);
        if (isTrue(v)) this.walkList(node.kind === "with" ? v : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case "range":
        return this.walkRange(dot, node);
      case "break":
        throw new BreakSignal();
      case "continue":
        throw new ContinueSignal();
    }
  }

  private walkRange(dot: unknown, node: ControlNode): void {
    const mark = this.vars.length;
    const v = this.evalPipeline(dot, node.pipe);
    const { decl, isAssign } = node.pipe;
    let entries: [unknown, unknown][];
    if (isNil(v)) entries = [];
    else if (Array.isArray(v)) entries = v.map((e, i) => [i, e]);
    else if (isMap(v)) entries = sortedKeys(v).map((k) => [k, v[k]]);
    else if (isGoInt(v) && v >= 0 && decl.length < 2) entries = Array.from({ length: v }, (_, i) => [i, i]);
    else {
      const at = node.pipe.cmds[0];
      throw new TemplateExecError(`range can't iterate over ${formatValue(v)}`, this.src, node.pipe.pos, at ? at.text : "range");
    }
    const bodyMark = this.vars.length;
    for (const [key, elem] of entries) {
      this.tick(node.pos);
      // As in Go: with one variable it holds the element; with two, the key then the element.
      if (decl.length === 1) this.setVar(decl[0] as string, elem, isAssign, 1);
      if (decl.length === 2) {
        this.setVar(decl[0] as string, key, isAssign, 2);
        this.setVar(decl[1] as string, elem, isAssign, 1);
      }
      try {
        this.walkList(elem, node.list);
      } catch (e) {
        if (e instanceof BreakSignal) break;
        if (!(e instanceof ContinueSignal)) throw e;
      } finally {
        this.vars.length = bodyMark;
      }
    }
    if (entries.length === 0 && node.elseList) this.walkList(dot, node.elseList);
    this.vars.length = mark;
  }

  /** Declared range variables sit on top of the stack (`fromTop` 1 = last declared). */
  private setVar(name: string, value: unknown, isAssign: boolean, fromTop: number): void {
    if (!isAssign) {
      const slot = this.vars[this.vars.length - fromTop];
      if (slot) slot.value = value;
      return;
    }
    this.assign(name, value);
  }

  private assign(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const slot = this.vars[i] as { name: string; value: unknown };
      if (slot.name === name) {
        slot.value = value;
        return;
      }
    }
    throw new TemplateEvalError(`undefined variable: ${name}`);
  }

  private lookup(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      const slot = this.vars[i] as { name: string; value: unknown };
      if (slot.name === name) return slot.value;
    }
    throw new TemplateEvalError(`undefined variable: ${name}`);
  }

  private evalPipeline(dot: unknown, pipe: Pipe): unknown {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) value = this.evalCommand(dot, cmd, value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.assign(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: Command, final: Final): unknown {
    this.tick(cmd.pos);
    try {
      return this.evalCommandArgs(dot, cmd.args, final);
    } catch (e) {
      if (e instanceof TemplateEvalError) throw new TemplateExecError(e.message, this.src, cmd.pos, cmd.text);
      throw e;
    }
  }

  private evalCommandArgs(dot: unknown, args: Arg[], final: Final): unknown {
    const [first, ...rest] = args as [Arg, ...Arg[]];
    const hasArgs = rest.length > 0 || final !== NO_FINAL;
    switch (first.kind) {
      case "function":
        return this.evalFunction(dot, first.name, rest, final);
      case "field":
        return this.fieldChain(dot, first.path, hasArgs);
      case "variable":
      case "chain": {
        const base = first.kind === "variable" ? this.lookup(first.name) : this.evalPipeline(dot, first.pipe);
        if (first.path.length === 0) this.notAFunction(first, hasArgs);
        return this.fieldChain(base, first.path, hasArgs);
      }
      case "nil":
        throw new TemplateEvalError("nil is not a command");
      default:
        this.notAFunction(first, hasArgs);
        return this.evalArg(dot, first);
    }
  }

  private notAFunction(arg: Arg, hasArgs: boolean): void {
    if (hasArgs) throw new TemplateEvalError(`can't give argument to non-function ${describe(arg)}`);
  }

  /** `.a.b.c` from `receiver`; only the last field could take arguments, and map keys cannot. */
  private fieldChain(receiver: unknown, path: string[], hasArgs: boolean): unknown {
    let v = receiver;
    path.forEach((name, i) => {
      if (isMap(v)) {
        if (hasArgs && i === path.length - 1) throw new TemplateEvalError(`${name} is not a method but has arguments`);
        v = Object.hasOwn(v, name) ? v[name] : undefined;
      } else if (isNil(v)) {
        v = undefined;
      } else {
        throw new TemplateEvalError(`can't evaluate field ${name} in type ${goTypeName(v)}`);
      }
    });
    return v;
  }

  private evalArg(dot: unknown, arg: Arg): unknown {
    switch (arg.kind) {
      case "dot":
        return dot;
      case "nil":
        return null;
      case "field":
        return this.fieldChain(dot, arg.path, false);
      case "variable":
        return this.fieldChain(this.lookup(arg.name), arg.path, false);
      case "chain":
        return this.fieldChain(this.evalPipeline(dot, arg.pipe), arg.path, false);
      case "function":
        return this.evalFunction(dot, arg.name, [], NO_FINAL);
      case "number":
        return arg.isFloat ? new GoFloat(arg.value) : arg.value;
      case "string":
      case "bool":
        return arg.value;
    }
  }

  private evalFunction(dot: unknown, name: string, args: Arg[], final: Final): unknown {
    if (name === "and" || name === "or") {
      const count = args.length + (final === NO_FINAL ? 0 : 1);
      if (count < 1) throw new TemplateEvalError(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: unknown;
      for (const a of args) {
        v = this.evalArg(dot, a);
        // `and` stops at the first false operand, `or` at the first true one, and returns it.
        if (isTrue(v) === (name === "or")) return v;
      }
      return final === NO_FINAL ? v : final;
    }
    const values = args.map((a) => this.evalArg(dot, a));
    if (final !== NO_FINAL) values.push(final);
    return callFunction(name, values, this.ctx);
  }
}

function describe(arg: Arg): string {
  switch (arg.kind) {
    case "string":
      return JSON.stringify(arg.value);
    case "number":
    case "bool":
      return String(arg.value);
    case "dot":
      return ".";
    case "variable":
      return arg.name;
    default:
      return arg.kind;
  }
}
