/** Minimal ANSI styling, off when the stream is not a terminal or NO_COLOR is set. */

/** Style functions for one output stream. */
export interface Style {
  bold(text: string): string;
  dim(text: string): string;
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
}

const wrap = (open: number, close: number) => (text: string) => `\x1b[${open}m${text}\x1b[${close}m`;
const plain = (text: string) => text;

/** Styles for a stream: colours only on a terminal without NO_COLOR. */
export function styleFor(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Style {
  const on = Boolean(stream.isTTY) && env.NO_COLOR === undefined;
  if (!on) return { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };
  return { bold: wrap(1, 22), dim: wrap(2, 22), red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39) };
}
