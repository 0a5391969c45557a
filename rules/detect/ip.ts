/**
 * IP addresses for `cidr` and `is public/private [ipv4|ipv6] address` (DR.md §4.10, Q27):
 * parsed to bytes, tested against networks. Private: 10/8, 172.16/12, 192.168/16, 100.64/10,
 * fc00::/7 (not loopback, not link-local). Public: any unicast address outside those and the
 * special ranges (loopback, link-local, multicast, unspecified, site-local, broadcast).
 */

export interface Ip {
  readonly v: 4 | 6;
  readonly bytes: Uint8Array;
}

export interface Network {
  readonly ip: Ip;
  readonly bits: number;
}

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i] as string;
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p[0] === "0")) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(s: string): Uint8Array | undefined {
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  let tail4: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(":");
  if (s.includes(".")) {
    tail4 = parseV4(s.slice(lastColon + 1));
    if (!tail4) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : (halves[0] as string).split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : (halves[1] as string).split(":")) : [];
  const groups = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (halves.length === 1 && head.length !== 8) return undefined;
  if (halves.length === 2 && groups < 1) return undefined;
  const all = [...head, ...Array<string>(groups).fill("0"), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i] as string;
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    const n = Number.parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail4) out.set(tail4, 12);
  return out;
}

export function parseIp(s: string): Ip | undefined {
  if (s.includes(":")) {
    const b = parseV6(s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : s);
    return b ? { v: 6, bytes: b } : undefined;
  }
  const b = parseV4(s);
  return b ? { v: 4, bytes: b } : undefined;
}

/** `10.0.0.0/8`, `fc00::/7`; a bare address is a /32 or /128. */
export function parseNetwork(s: string): Network | undefined {
  const slash = s.indexOf("/");
  const ip = parseIp(slash >= 0 ? s.slice(0, slash) : s);
  if (!ip) return undefined;
  const max = ip.v === 4 ? 32 : 128;
  if (slash < 0) return { ip, bits: max };
  const b = s.slice(slash + 1);
  if (!/^\d{1,3}$/.test(b) || Number(b) > max) return undefined;
  return { ip, bits: Number(b) };
}

export function inNetwork(ip: Ip, net: Network): boolean {
  if (ip.v !== net.ip.v) return false;
  let bits = net.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip.bytes[i] as number) & mask) !== ((net.ip.bytes[i] as number) & mask)) return false;
  }
  return true;
}

function nets(list: string[]): Network[] {
  return list.map((s) => parseNetwork(s) as Network);
}

const PRIVATE = nets(["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7"]);
const NOT_PUBLIC = nets([
  "127.0.0.0/8",
  "169.254.0.0/16",
  "224.0.0.0/4",
  "0.0.0.0/32",
  "255.255.255.255/32",
  "::1/128",
  "::/128",
  "fe80::/10",
  "ff00::/8",
  "fec0::/10",
]);

export function isPrivate(ip: Ip): boolean {
  return PRIVATE.some((n) => inNetwork(ip, n));
}

export function isPublic(ip: Ip): boolean {
  return !isPrivate(ip) && !NOT_PUBLIC.some((n) => inNetwork(ip, n));
}

/** Recently parsed addresses: the same few addresses recur across events and rules. */
const recent = new Map<string, Ip | null>();
/** Bound of that cache; it is emptied when full (cheap, and hot addresses come back at once). */
const RECENT_MAX = 4096;

/** parseIp, memoised over recent inputs. */
export function cachedIp(s: string): Ip | undefined {
  let ip = recent.get(s);
  if (ip === undefined) {
    if (recent.size >= RECENT_MAX) recent.clear();
    ip = parseIp(s) ?? null;
    recent.set(s, ip);
  }
  return ip ?? undefined;
}
