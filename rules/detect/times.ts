/**
 * The `times` parameter (DR.md §4.13, Q11): a node is valid only inside one of its windows,
 * tested against `routing/event_time` (epoch ms) in the window's IANA time zone, bounds
 * inclusive. Days run 1 = Sunday … 7 = Saturday; times of day are HHMM (0–2359).
 */

export interface TimeWindow {
  readonly dayStart: number;
  readonly dayEnd: number;
  readonly timeStart: number;
  readonly timeEnd: number;
  readonly tz: string;
}

const DAYS: Record<string, number> = { Sun: 1, Mon: 2, Tue: 3, Wed: 4, Thu: 5, Fri: 6, Sat: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** A formatter for `tz`, or undefined when the zone is unknown (rejected at save). */
export function zoneFormatter(tz: string): Intl.DateTimeFormat | undefined {
  let f = formatters.get(tz);
  if (f) return f;
  try {
    f = new Intl.DateTimeFormat("en-US", { timeZone: tz, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  } catch {
    return undefined;
  }
  formatters.set(tz, f);
  return f;
}

/** Day of week (1–7) and HHMM of `ms` in `tz`. */
function local(ms: number, tz: string): { day: number; hhmm: number } {
  const parts = (zoneFormatter(tz) as Intl.DateTimeFormat).formatToParts(new Date(ms));
  let day = 0;
  let h = 0;
  let m = 0;
  for (const p of parts) {
    if (p.type === "weekday") day = DAYS[p.value] ?? 0;
    else if (p.type === "hour") h = Number(p.value);
    else if (p.type === "minute") m = Number(p.value);
  }
  return { day, hhmm: h * 100 + m };
}

function between(x: number, lo: number, hi: number): boolean {
  // A range that wraps (Fri..Mon, 2200..0600) covers both ends.
  return lo <= hi ? x >= lo && x <= hi : x >= lo || x <= hi;
}

export function inWindows(ms: number, windows: readonly TimeWindow[]): boolean {
  for (const w of windows) {
    const { day, hhmm } = local(ms, w.tz);
    if (between(day, w.dayStart, w.dayEnd) && between(hhmm, w.timeStart, w.timeEnd)) return true;
  }
  return false;
}
