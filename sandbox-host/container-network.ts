// The container mode's private network (SANDBOX_NETWORK=private): each container gets its own
// network namespace (slirp4netns, with the host's loopback at 10.0.2.2) in which exactly one host
// loopback port is reachable — the platform's, at its usual 127.0.0.1 address, so PLATFORM_URL
// and the platform's signed URLs work unchanged. Everything else on the host's loopback (other
// sessions' model-gateway proxies, wrangler dev's DevTools inspector, the sandbox host) is refused.
// The rules are set from the host (nsenter + iptables) once the container runs; the agent cannot
// change them (no CAP_NET_ADMIN), and it does not run before them: Claude Code starts only once
// the runner has reached the platform, which it can only do through them. A warm container
// (sandbox-host/warm-pool.ts) is confined with no port open at all until a session claims it.
import { readFileSync } from "node:fs";
import { engineExec } from "./container-engine.ts";

/** Where slirp4netns puts the host's loopback inside the container. */
const HOST_LOOPBACK = "10.0.2.2";

/** `run` flags of a private network. */
export const PRIVATE_NETWORK_FLAGS = ["--network", "slirp4netns:allow_host_loopback=true"];

/** The loopback port of a URL on 127.0.0.1/localhost, or undefined for any other host. */
export function loopbackPort(url: string | undefined): number | undefined {
  if (!url) return undefined;
  try {
    const parsed = new URL(url);
    if (parsed.hostname !== "127.0.0.1" && parsed.hostname !== "localhost") return undefined;
    return Number(parsed.port || (parsed.protocol === "https:" ? 443 : 80));
  } catch {
    return undefined;
  }
}

/** The iptables rules that lead 127.0.0.1:`port` to the host's: inserted ahead of the REJECT, which may already be there. */
function platformPortRules(port: number): string[] {
  return [
    `iptables -t nat -A OUTPUT -d 127.0.0.1/32 -p tcp --dport ${port} -j DNAT --to-destination ${HOST_LOOPBACK}:${port}`,
    `iptables -I OUTPUT 1 -d ${HOST_LOOPBACK}/32 -p tcp --dport ${port} -j ACCEPT`,
  ];
}

/** Runs `rules` (shell commands) in the network namespace of process `pid`; throws with their error. */
async function inNetworkOf(pid: number, name: string, rules: string[]): Promise<void> {
  // iptables and sysctl live in sbin, which a non-login PATH may lack.
  const script = ['PATH="/usr/sbin:/sbin:$PATH"', ...rules].join(" && ");
  const result = await engineExec("nsenter", ["--target", String(pid), "--net", "sh", "-c", script], 10_000).catch((error: Error) => ({
    code: null,
    stderr: error.message,
  }));
  if (result.code !== 0) throw new Error(`could not confine the network of container ${name}: ${result.stderr.trim()}`);
}

/**
 * Confines the running container `name`: 127.0.0.1:`platformPort` leads to the host's, every other
 * host-loopback address is refused. Waits for the container to run (while `starting()` holds, at
 * most 10 s: the platform's call to the sandbox host gives up after 15); throws when it cannot.
 * Without a port (a warm container, which has no session yet) every host-loopback address is
 * refused; its claim opens the session's platform port with `openPlatformPort`. Returns the
 * container's init, whose network namespace that is.
 */
export async function confineNetwork(
  bin: string,
  name: string,
  platformPort: number | undefined,
  starting: () => boolean,
): Promise<ContainerInit> {
  const pid = await runningPid(bin, name, starting, 10_000);
  const init = { pid, startTime: startTimeOf(pid) };
  await inNetworkOf(pid, name, [
    "sysctl -qw net.ipv4.conf.all.route_localnet=1",
    `iptables -A OUTPUT -d ${HOST_LOOPBACK}/32 -j REJECT`,
    ...(platformPort === undefined ? [] : platformPortRules(platformPort)),
  ]);
  return init;
}

/**
 * Opens the platform's port in a warm container confined without one, as its claim hands it a
 * session: the rules are then what a cold container of that session got. Refuses when `init` is
 * no longer the container's (its pid reused after it died): the rules must land in its namespace.
 */
export async function openPlatformPort(init: ContainerInit, name: string, platformPort: number | undefined): Promise<void> {
  if (platformPort === undefined) return;
  if (init.startTime === undefined || startTimeOf(init.pid) !== init.startTime)
    throw new Error(`container ${name} is gone; its network cannot be opened`);
  await inNetworkOf(init.pid, name, platformPortRules(platformPort));
}

/** A container's init process, told apart from a later process that reuses its pid by its start time. */
export type ContainerInit = { pid: number; startTime: string | undefined };

/** Field 22 of /proc/<pid>/stat (start time in clock ticks), or undefined when there is no such process. */
function startTimeOf(pid: number): string | undefined {
  try {
    // After the command, which may hold spaces and parentheses: the fields from the third on.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

async function runningPid(bin: string, name: string, starting: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await engineExec(bin, ["inspect", "--format", "{{.State.Pid}}", name], 10_000);
    const pid = Number(state.stdout.trim());
    if (state.code === 0 && Number.isInteger(pid) && pid > 0) return pid;
    if (!starting()) throw new Error(`container ${name} ended before its network was confined`);
    if (Date.now() > deadline) throw new Error(`container ${name} did not start within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
