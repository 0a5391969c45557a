/** Backoff arithmetic shared by REST retries and WebSocket reconnects. */

/** How a failed request or dropped socket is retried. */
export interface RetryOptions {
  /** Attempts after the first one. */
  retries: number;
  /** Delay before the first retry; doubles each time (with jitter). */
  minDelayMs: number;
  /** Upper bound of one delay; a longer `Retry-After` is not waited for (the error is thrown instead). */
  maxDelayMs?: number;
}

/** Defaults: a couple of quick retries, so a blip is hidden but a real outage surfaces fast. */
export const DEFAULT_RETRY: Required<RetryOptions> = { retries: 2, minDelayMs: 250, maxDelayMs: 10_000 };

/** Exponential backoff with "full jitter" in its upper half, so many clients do not retry in lockstep. */
export function backoffDelay(attempt: number, options: Pick<RetryOptions, "minDelayMs" | "maxDelayMs">): number {
  const cap = options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs;
  const base = Math.min(cap, options.minDelayMs * 2 ** attempt);
  return Math.round(base / 2 + Math.random() * (base / 2));
}

/** Seconds from a `Retry-After` header (delta-seconds or HTTP-date), or null when absent or unreadable. */
export function parseRetryAfter(header: string | null, now = Date.now()): number | null {
  if (header === null || header.trim() === "") return null;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Resolves after `ms`, or rejects early when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
