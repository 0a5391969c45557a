/**
 * Platform names of `is platform` and its shorthands (DR.md §4.11), mapped to the major byte
 * of `routing/plat` (the product's ID schema: windows = 0x10000000, linux = 0x20000000…), and
 * the architecture tests of Q32 over `routing/arch`.
 */

/** Name → the platform code's top byte. Names are lower case and compared case-sensitively. */
export const PLATFORMS: ReadonlyMap<string, number> = new Map([
  ["crowdstrike", 0x01],
  ["xml", 0x02],
  ["wel", 0x03],
  ["msdefender", 0x04],
  ["duo", 0x05],
  ["okta", 0x06],
  ["sentinel_one", 0x07],
  ["github", 0x08],
  ["slack", 0x09],
  ["cef", 0x0a],
  ["lc_event", 0x0b],
  ["azure_ad", 0x0c],
  ["azure_monitor", 0x0d],
  ["canary_token", 0x0e],
  ["guard_duty", 0x0f],
  ["windows", 0x10],
  ["itglue", 0x11],
  ["k8s_pods", 0x12],
  ["zeek", 0x13],
  ["mac_unified_logging", 0x14],
  ["azure_event_hub_namespace", 0x15],
  ["azure_key_vault", 0x16],
  ["azure_kubernetes_service", 0x17],
  ["azure_network_security_group", 0x18],
  ["azure_sql_audit", 0x19],
  ["email", 0x1a],
  ["fortigate", 0x1b],
  ["trend_worryfree", 0x1c],
  ["netscaler", 0x1d],
  ["paloalto_fw", 0x1e],
  ["iis", 0x1f],
  ["linux", 0x20],
  ["hubspot", 0x21],
  ["zendesk", 0x22],
  ["pandadoc", 0x23],
  ["falconcloud", 0x24],
  ["mimecast", 0x25],
  ["sublime", 0x26],
  ["box", 0x27],
  ["cylance", 0x28],
  ["proofpoint", 0x29],
  ["entraid", 0x2a],
  ["wiz", 0x2b],
  ["bitwarden", 0x2c],
  ["trend_micro", 0x2d],
  ["macos", 0x30],
  ["ios", 0x40],
  ["android", 0x50],
  ["chrome", 0x60],
  ["vpn", 0x70],
  ["text", 0x80],
  ["json", 0x90],
  ["gcp", 0xa0],
  ["aws", 0xb0],
  ["carbon_black", 0xc0],
  ["1password", 0xd0],
  ["office365", 0xe0],
  ["sophos", 0xf0],
]);

/** Shorthand operators → platform name. `is mac` is macos; `is net` is the VPN ("Net") platform [inf]. */
export const PLATFORM_SHORTHANDS: ReadonlyMap<string, string> = new Map([
  ["is windows", "windows"],
  ["is linux", "linux"],
  ["is mac", "macos"],
  ["is chrome", "chrome"],
  ["is net", "vpn"],
  ["is text", "text"],
  ["is json", "json"],
  ["is gcp", "gcp"],
  ["is carbon_black", "carbon_black"],
]);

/** True when the numeric `plat` (decimal, possibly a numeric string) belongs to platform `code`. */
export function platformIs(plat: unknown, code: number): boolean {
  const n = typeof plat === "number" ? plat : typeof plat === "string" && /^\d+$/.test(plat) ? Number(plat) : Number.NaN;
  if (!Number.isInteger(n) || n < 0) return false;
  return Math.floor(n / 0x1000000) % 0x100 === code;
}

/** Q32: `is 64 bit` = arch 2 or 4; `is 32 bit` = 1; `is arm` = 3, 4 or 8. */
export const ARCH_OPS: ReadonlyMap<string, readonly number[]> = new Map([
  ["is 64 bit", [2, 4]],
  ["is 32 bit", [1]],
  ["is arm", [3, 4, 8]],
]);
