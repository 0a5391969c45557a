/**
 * Reading a node's parameters with the errors a rule author needs: each names the path of the
 * offending key (`detect.rules[1].value`) and what was expected.
 */
import { childPath, RuleError } from "./errors.ts";

export type RawNode = Record<string, unknown>;

export function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Reads parameters of the node at `path`. */
export class Params {
  readonly node: RawNode;
  readonly path: string;
  constructor(node: RawNode, path: string) {
    this.node = node;
    this.path = path;
  }

  at(key: string | number): string {
    return childPath(this.path, key);
  }

  has(key: string): boolean {
    return this.node[key] !== undefined && this.node[key] !== null;
  }

  fail(key: string | null, message: string): never {
    throw new RuleError(key === null ? this.path : this.at(key), message);
  }

  required(key: string): unknown {
    if (!this.has(key)) this.fail(null, `missing parameter '${key}' for operator '${String(this.node.op)}'`);
    return this.node[key];
  }

  string(key: string): string {
    const v = this.required(key);
    if (typeof v !== "string") this.fail(key, "must be a string");
    return v;
  }

  optionalBool(key: string): boolean | undefined {
    const v = this.node[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") this.fail(key, "must be true or false");
    return v;
  }

  /** An integer in [min, max]; `required` makes absence an error. */
  int(key: string, min: number, max: number, required: boolean): number | undefined {
    if (!this.has(key)) {
      if (required) this.required(key);
      return undefined;
    }
    const v = this.node[key];
    const n = typeof v === "string" && /^\d+$/.test(v) ? Number(v) : v;
    if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) this.fail(key, `must be an integer from ${min} to ${max}`);
    return n;
  }

  /** A finite number (or decimal numeric string). */
  number(key: string): number {
    const v = this.required(key);
    const n = typeof v === "string" && v.trim() !== "" ? Number(v) : v;
    if (typeof n !== "number" || !Number.isFinite(n)) this.fail(key, "must be a number");
    return n;
  }

  list(key: string): unknown[] {
    const v = this.required(key);
    if (!Array.isArray(v)) this.fail(key, "must be a list");
    return v;
  }
}
