/**
 * The parse tree of a template, shaped like Go's `text/template/parse` nodes. Every node keeps
 * its source offset (and, for commands, its text) so execution errors can say where they were.
 */

export interface Positioned {
  pos: number;
}

/** An operand: what a command's words evaluate from. */
export type Arg =
  | (Positioned & { kind: "field"; path: string[] })
  | (Positioned & { kind: "variable"; name: string; path: string[] })
  /** A parenthesised pipeline, optionally followed by `.field` accesses. */
  | (Positioned & { kind: "chain"; pipe: Pipe; path: string[] })
  | (Positioned & { kind: "function"; name: string })
  | (Positioned & { kind: "string"; value: string })
  | (Positioned & { kind: "number"; value: number; isFloat: boolean })
  | (Positioned & { kind: "bool"; value: boolean })
  | (Positioned & { kind: "nil" })
  | (Positioned & { kind: "dot" });

export interface Command extends Positioned {
  args: Arg[];
  /** The command's source text, quoted in execution errors like Go's `at <…>`. */
  text: string;
}

export interface Pipe extends Positioned {
  /** `$x := …` declares, `$x = …` assigns; a range may declare two. */
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
}

export interface ControlNode extends Positioned {
  kind: "if" | "with" | "range";
  pipe: Pipe;
  list: Node[];
  elseList: Node[] | null;
}

export type Node =
  | (Positioned & { kind: "text"; text: string })
  | (Positioned & { kind: "action"; pipe: Pipe })
  | ControlNode
  | (Positioned & { kind: "break" | "continue" });
