/**
 * Go `time` layouts (reference time `Mon Jan 2 15:04:05 MST 2006`) for `parsetime`: parse a
 * value with one layout and write it with another, plus the product's `epoch_s` / `epoch_ms`
 * pseudo-layouts. A parsed zone offset is kept for output, as Go's Time keeps its location; an
 * unnamed offset prints as `-0700` under `MST`, as Go does.
 */

interface GoTime {
  /** Milliseconds since the epoch (UTC) of the whole second, plus the nanoseconds beyond it. */
  seconds: number;
  nanos: number;
  offset: number;
  zone: string;
}

const NAMED_LAYOUTS: Record<string, string> = {
  ANSIC: "Mon Jan _2 15:04:05 2006",
  UnixDate: "Mon Jan _2 15:04:05 MST 2006",
  RubyDate: "Mon Jan 02 15:04:05 -0700 2006",
  RFC822: "02 Jan 06 15:04 MST",
  RFC822Z: "02 Jan 06 15:04 -0700",
  RFC850: "Monday, 02-Jan-06 15:04:05 MST",
  RFC1123: "Mon, 02 Jan 2006 15:04:05 MST",
  RFC1123Z: "Mon, 02 Jan 2006 15:04:05 -0700",
  RFC3339: "2006-01-02T15:04:05Z07:00",
  RFC3339Nano: "2006-01-02T15:04:05.999999999Z07:00",
  Kitchen: "3:04PM",
  Stamp: "Jan _2 15:04:05",
  StampMilli: "Jan _2 15:04:05.000",
  StampMicro: "Jan _2 15:04:05.000000",
  StampNano: "Jan _2 15:04:05.000000000",
  DateTime: "2006-01-02 15:04:05",
  DateOnly: "2006-01-02",
  TimeOnly: "15:04:05",
};

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];
const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** Layout chunks, longest first where one is a prefix of another (Go's nextStdChunk order). */
const STD = [
  "January",
  "Jan",
  "Monday",
  "Mon",
  "MST",
  "2006",
  "002",
  "01",
  "02",
  "03",
  "04",
  "05",
  "06",
  "__2",
  "_2",
  "15",
  "1",
  "2",
  "3",
  "4",
  "5",
  "PM",
  "pm",
  "-07:00:00",
  "-070000",
  "-07:00",
  "-0700",
  "-07",
  "Z07:00:00",
  "Z070000",
  "Z07:00",
  "Z0700",
  "Z07",
];

type Chunk = { std: string } | { lit: string };

function chunks(layout: string): Chunk[] {
  const out: Chunk[] = [];
  let i = 0;
  let lit = "";
  while (i < layout.length) {
    const frac = /^[.,](0+|9+)(?![0-9])/.exec(layout.slice(i));
    const std = frac ? frac[0] : STD.find((s) => layout.startsWith(s, i));
    // "_2006" is a literal underscore followed by the year, as in Go.
    if (std && !(std === "_2" && layout.startsWith("_2006", i))) {
      if (lit) out.push({ lit });
      lit = "";
      out.push({ std });
      i += std.length;
    } else {
      lit += layout[i];
      i++;
    }
  }
  if (lit) out.push({ lit });
  return out;
}

const pad = (n: number, w: number): string => String(n).padStart(w, "0");

function formatOffset(std: string, offset: number): string {
  if (std.startsWith("Z") && offset === 0) return "Z";
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const h = pad(Math.floor(abs / 3600), 2);
  const m = pad(Math.floor(abs / 60) % 60, 2);
  const s = pad(abs % 60, 2);
  const body = std.replace(/^[Z-]/, "");
  if (body === "07") return sign + h;
  if (body === "07:00") return `${sign}${h}:${m}`;
  if (body === "0700") return sign + h + m;
  if (body === "07:00:00") return `${sign}${h}:${m}:${s}`;
  return sign + h + m + s;
}

export function formatGoTime(t: GoTime, layout: string): string {
  const d = new Date(t.seconds + t.offset * 1000);
  const year = d.getUTCFullYear();
  const month = d.getUTCMonth();
  const day = d.getUTCDate();
  const hour = d.getUTCHours();
  const yday = Math.floor((Date.UTC(year, month, day) - Date.UTC(year, 0, 1)) / 86400000) + 1;
  let out = "";
  for (const c of chunks(layout)) {
    if ("lit" in c) {
      out += c.lit;
      continue;
    }
    const s = c.std;
    if (/^[.,]/.test(s)) {
      const digits = pad(t.nanos, 9).slice(0, s.length - 1);
      if (s[1] === "0") out += s[0] + digits;
      else {
        const trimmed = digits.replace(/0+$/, "");
        if (trimmed) out += s[0] + trimmed;
      }
      continue;
    }
    const h12 = hour % 12 === 0 ? 12 : hour % 12;
    const values: Record<string, string> = {
      January: MONTHS[month] as string,
      Jan: (MONTHS[month] as string).slice(0, 3),
      Monday: DAYS[d.getUTCDay()] as string,
      Mon: (DAYS[d.getUTCDay()] as string).slice(0, 3),
      MST: t.zone || formatOffset("-0700", t.offset),
      "2006": pad(year, 4),
      "06": pad(year % 100, 2),
      "002": pad(yday, 3),
      __2: String(yday).padStart(3, " "),
      "01": pad(month + 1, 2),
      "1": String(month + 1),
      "02": pad(day, 2),
      _2: String(day).padStart(2, " "),
      "2": String(day),
      "15": pad(hour, 2),
      "03": pad(h12, 2),
      "3": String(h12),
      "04": pad(d.getUTCMinutes(), 2),
      "4": String(d.getUTCMinutes()),
      "05": pad(d.getUTCSeconds(), 2),
      "5": String(d.getUTCSeconds()),
      PM: hour >= 12 ? "PM" : "AM",
      pm: hour >= 12 ? "pm" : "am",
    };
    out += values[s] ?? formatOffset(s, t.offset);
  }
  return out;
}

export function parseGoTime(value: string, layout: string): GoTime {
  const fail = (): never => {
    throw new Error(`parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse`);
  };
  let rest = value;
  let year = 1,
    month = 1,
    day = 1,
    hour = 0,
    minute = 0,
    second = 0,
    nanos = 0,
    offset = 0;
  let zone = "UTC";
  let pm: boolean | undefined;
  const num = (re: RegExp): number => {
    const m = re.exec(rest);
    if (!m) return fail();
    rest = rest.slice(m[0].length);
    return Number(m[0].trim());
  };
  const word = (names: string[], len?: number): number => {
    const i = names.findIndex((n) => rest.toLowerCase().startsWith((len ? n.slice(0, len) : n).toLowerCase()));
    if (i < 0) return fail();
    rest = rest.slice(len ?? (names[i] as string).length);
    return i;
  };
  const fraction = (): void => {
    const m = /^[.,](\d+)/.exec(rest);
    if (m) {
      nanos = Number(((m[1] as string) + "000000000").slice(0, 9));
      rest = rest.slice(m[0].length);
    }
  };
  const all = chunks(layout);
  all.forEach((c, idx) => {
    if ("lit" in c) {
      if (!rest.startsWith(c.lit)) fail();
      rest = rest.slice(c.lit.length);
      return;
    }
    const s = c.std;
    if (/^[.,]/.test(s)) return fraction();
    switch (s) {
      case "January":
        month = word(MONTHS) + 1;
        break;
      case "Jan":
        month = word(MONTHS, 3) + 1;
        break;
      case "Monday":
        word(DAYS);
        break;
      case "Mon":
        word(DAYS, 3);
        break;
      case "2006":
        year = num(/^\d{4}/);
        break;
      case "06": {
        const y = num(/^\d{2}/);
        year = y >= 69 ? 1900 + y : 2000 + y;
        break;
      }
      case "01":
        month = num(/^\d{2}/);
        break;
      case "1":
        month = num(/^\d{1,2}/);
        break;
      case "02":
        day = num(/^\d{2}/);
        break;
      case "_2":
        day = num(/^( \d|\d{1,2})/);
        break;
      case "2":
        day = num(/^\d{1,2}/);
        break;
      case "002":
      case "__2":
        num(/^( {0,2}\d{1,3})/);
        break;
      case "15":
        hour = num(/^\d{1,2}/);
        break;
      case "03":
        hour = num(/^\d{2}/);
        break;
      case "3":
        hour = num(/^\d{1,2}/);
        break;
      case "04":
        minute = num(/^\d{2}/);
        break;
      case "4":
        minute = num(/^\d{1,2}/);
        break;
      case "05":
      case "5": {
        second = num(s === "05" ? /^\d{2}/ : /^\d{1,2}/);
        const next = all[idx + 1];
        if (!(next && "std" in next && /^[.,]/.test(next.std))) fraction();
        break;
      }
      case "PM":
      case "pm":
        pm = word(["PM", "AM"]) === 0;
        break;
      case "MST": {
        const m = /^[A-Z]{3,5}/.exec(rest);
        if (!m) fail();
        zone = (m as RegExpExecArray)[0];
        rest = rest.slice(zone.length);
        break;
      }
      default: {
        if (s.startsWith("Z") && rest.startsWith("Z")) {
          rest = rest.slice(1);
          zone = "UTC";
          break;
        }
        const m = /^([+-])(\d{2}):?(\d{2})?:?(\d{2})?/.exec(rest);
        if (!m) fail();
        const [all0, sign, h, mi, se] = m as RegExpExecArray;
        offset = (sign === "-" ? -1 : 1) * (Number(h) * 3600 + Number(mi ?? 0) * 60 + Number(se ?? 0));
        // An offset of zero reads as UTC (Go finds the UTC zone with that offset); others stay
        // unnamed and print as a number.
        zone = offset === 0 ? "UTC" : "";
        rest = rest.slice(all0.length);
      }
    }
  });
  if (rest !== "") fail();
  if (pm !== undefined) hour = (hour % 12) + (pm ? 12 : 0);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59) {
    throw new Error(`parsing time ${JSON.stringify(value)}: value out of range`);
  }
  const base = new Date(0);
  base.setUTCFullYear(year, month - 1, day);
  base.setUTCHours(hour, minute, second, 0);
  return { seconds: base.getTime() - offset * 1000, nanos, offset, zone };
}

/** Converts `value` from one layout to another (`epoch_s` / `epoch_ms` allowed on both sides). */
export function convertGoTime(value: unknown, from: string, to: string): string {
  let t: GoTime;
  if (from === "epoch_s" || from === "epoch_ms") {
    const n = typeof value === "number" ? value : typeof value === "string" && value.trim() !== "" ? Number(value) : NaN;
    if (!Number.isFinite(n)) throw new Error(`cannot parse ${JSON.stringify(value)} as ${from}`);
    const ms = from === "epoch_s" ? n * 1000 : n;
    const whole = Math.floor(ms / 1000) * 1000;
    t = { seconds: whole, nanos: Math.round((ms - whole) * 1e6), offset: 0, zone: "UTC" };
  } else {
    if (typeof value !== "string") throw new Error(`cannot parse a ${typeof value} with a time layout`);
    t = parseGoTime(value, NAMED_LAYOUTS[from] ?? from);
  }
  if (to === "epoch_s") return String(Math.floor(t.seconds / 1000));
  if (to === "epoch_ms") return String(t.seconds + Math.floor(t.nanos / 1e6));
  return formatGoTime(t, NAMED_LAYOUTS[to] ?? to);
}
