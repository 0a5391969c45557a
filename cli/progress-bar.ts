/** A one-line progress bar on stderr (only on a terminal; redrawn at most every 100 ms). */
import type { TransferProgress } from "../sdk/index.ts";

const WIDTH = 30;
const REDRAW_MS = 100;

/** Human-readable byte count. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Draws transfer progress; a no-op off a terminal so logs and pipes stay clean. */
export class ProgressBar {
  readonly #stream: NodeJS.WritableStream & { isTTY?: boolean };
  readonly #label: string;
  #last = 0;
  #drawn = false;

  constructor(stream: NodeJS.WritableStream & { isTTY?: boolean }, label: string) {
    this.#stream = stream;
    this.#label = label;
  }

  /** Reports progress (throttled). */
  update(progress: TransferProgress): void {
    if (!this.#stream.isTTY) return;
    const now = Date.now();
    const complete = progress.total !== null && progress.loaded >= progress.total;
    if (!complete && now - this.#last < REDRAW_MS) return;
    this.#last = now;
    this.#drawn = true;
    this.#stream.write(`\r${this.#line(progress)}\x1b[K`);
  }

  /** Ends the bar's line (once). */
  finish(): void {
    if (this.#drawn) this.#stream.write("\n");
    this.#drawn = false;
  }

  #line({ loaded, total }: TransferProgress): string {
    if (total === null || total === 0) return `${this.#label} ${formatBytes(loaded)}`;
    const ratio = Math.min(1, loaded / total);
    const filled = Math.round(ratio * WIDTH);
    return `${this.#label} [${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}% ${formatBytes(loaded)}/${formatBytes(total)}`;
  }
}
