/**
 * A stand-in for the sandbox (a Cloudflare Container in production) for tests inside workerd,
 * where a runner process could not dial back into the Worker under test. It speaks the local
 * sandbox host's HTTP API (schemas/runner.ts) and records what the platform asked for — above
 * all the environment a sandbox would get — so a test can play the runner itself with the
 * runner token it was given. End-to-end tests use the real sandbox host and runner instead.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** The bearer token the recorder expects (bound as SANDBOX_HOST_TOKEN in the test config). */
export const RECORDER_TOKEN = "sandbox-recorder-token";

interface Recorded {
  env: Record<string, string>;
  starts: number;
  stops: number;
  running: boolean;
  /** The signal that "killed" the runner (POST /_die/<id>?signal=...), else null. */
  signal?: string | null;
}

/** Starts the recorder on a free loopback port. */
export async function startSandboxRecorder(): Promise<{ url: string; close(): Promise<void> }> {
  const sandboxes = new Map<string, Recorded>();
  const server = createServer((req, res) => {
    let raw = "";
    req.on("data", (chunk) => (raw += chunk));
    req.on("end", () => {
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      const url = new URL(req.url ?? "/", "http://recorder");
      const recorded = /^\/_recorded\/([^/]+)$/.exec(url.pathname);
      if (req.method === "GET" && recorded) {
        const entry = sandboxes.get(recorded[1]!);
        return entry ? send(200, entry) : send(404, { error: "not_found", message: "no such sandbox" });
      }
      // A runner killed by a signal, as the sandbox host would report it afterwards.
      const die = /^\/_die\/([^/]+)$/.exec(url.pathname);
      const dying = die ? sandboxes.get(die[1]!) : undefined;
      if (req.method === "POST" && dying) {
        dying.running = false;
        dying.signal = url.searchParams.get("signal");
        return send(200, { died: true });
      }
      // The sandbox host restarted: it no longer knows the sandbox (its runner died with it).
      const forget = /^\/_forget\/([^/]+)$/.exec(url.pathname);
      if (req.method === "POST" && forget) return send(200, { forgotten: sandboxes.delete(forget[1]!) });
      if (req.headers.authorization !== `Bearer ${RECORDER_TOKEN}`) return send(401, { error: "unauthorized", message: "bad token" });
      if (req.method === "POST" && url.pathname === "/sandboxes") {
        const body = JSON.parse(raw) as { session_id: string; env: Record<string, string> };
        const entry = sandboxes.get(body.session_id) ?? { env: body.env, starts: 0, stops: 0, running: false };
        entry.env = body.env;
        entry.starts += 1;
        entry.running = true;
        entry.signal = null;
        sandboxes.set(body.session_id, entry);
        return send(200, { session_id: body.session_id, workspace_dir: `/recorded/${body.session_id}`, pid: 1, running: true });
      }
      const one = /^\/sandboxes\/([^/]+)$/.exec(url.pathname);
      const entry = one ? sandboxes.get(one[1]!) : undefined;
      if (!one || !entry) return send(404, { error: "not_found", message: "no such sandbox" });
      if (req.method === "GET")
        return send(200, {
          session_id: one[1],
          running: entry.running,
          exit_code: entry.running || entry.signal ? null : 0,
          signal: entry.signal ?? null,
          workspace_dir: "/recorded",
        });
      if (req.method === "DELETE") {
        entry.running = false;
        entry.stops += 1;
        return send(200, { stopped: true });
      }
      send(405, { error: "method_not_allowed", message: "no" });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  // Neither the server nor its keep-alive connections may keep the test process alive.
  server.unref();
  server.on("connection", (socket) => socket.unref());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(() => r())) };
}
