/**
 * sandbox-host/oci/runc-without-rlimits, the OCI runtime wrapper podman uses where root lacks
 * CAP_SYS_RESOURCE: it must delete exactly `rlimits` from the bundle's config.json (or an exec's
 * process.json), wherever podman put it, leave valid JSON, and run runc with the same arguments.
 * A stand-in `runc` on PATH records what it was given.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RLIMITS_WRAPPER } from "../../sandbox-host/container-engine.ts";

const dir = mkdtempSync(path.join(os.tmpdir(), "oci-wrapper-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(path.join(dir, "runc"), `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/runc-args"\n`);
chmodSync(path.join(dir, "runc"), 0o755);

const RLIMITS = [
  { type: "RLIMIT_NOFILE", hard: 1048576, soft: 1048576 },
  { type: "RLIMIT_NPROC", hard: 32768, soft: 32768 },
];

/** Runs the wrapper on `spec` (written compact, as podman writes it); returns what runc got. */
function wrap(spec: unknown, argsFor: (file: string) => string[]): { spec: any; args: string[]; sent: string[] } {
  const bundle = mkdtempSync(path.join(dir, "bundle-"));
  const file = path.join(bundle, "config.json");
  writeFileSync(file, JSON.stringify(spec));
  const argv = argsFor(file);
  execFileSync(RLIMITS_WRAPPER, argv, { env: { PATH: `${dir}:/usr/bin:/bin` } });
  const received = readFileSync(path.join(dir, "runc-args"), "utf8").trimEnd().split("\n");
  return { spec: JSON.parse(readFileSync(file, "utf8")), args: received, sent: argv };
}

describe("the rlimits-dropping OCI runtime wrapper", () => {
  it("drops process.rlimits from the bundle of a create, whatever its place, and keeps the rest", () => {
    const create = (file: string) => ["--root", "/run/runc", "create", "--bundle", path.dirname(file), "--pid-file", "/tmp/pid", "ctr1"];
    const middle = { ociVersion: "1.0.2", process: { args: ["true"], rlimits: RLIMITS, cwd: "/" }, root: { path: "rootfs" } };
    const last = { ociVersion: "1.0.2", process: { args: ["true"], cwd: "/", rlimits: RLIMITS }, hostname: "x" };
    const first = { process: { rlimits: RLIMITS, args: ["true"] } };
    for (const spec of [middle, last, first]) {
      const result = wrap(spec, create);
      const { rlimits: _dropped, ...kept } = spec.process;
      expect(result.spec).toEqual({ ...spec, process: kept });
    }
    const passed = wrap(middle, create);
    expect(passed.args).toEqual(passed.sent);
  });

  it("drops rlimits from the process.json of an exec (--process FILE and --process=FILE)", () => {
    const proc = { args: ["cat", "/proc/1/environ"], rlimits: RLIMITS, cwd: "/" };
    expect(wrap(proc, (file) => ["exec", "--process", file, "ctr1"]).spec).toEqual({ args: proc.args, cwd: "/" });
    expect(wrap(proc, (file) => ["exec", `--process=${file}`, "ctr1"]).spec).toEqual({ args: proc.args, cwd: "/" });
  });

  it("leaves a spec without rlimits untouched and still runs runc (state, delete...)", () => {
    const spec = { process: { args: ["true"] } };
    const result = wrap(spec, (file) => ["state", "--bundle", path.dirname(file), "ctr1"]);
    expect(result.spec).toEqual(spec);
    expect(result.args).toEqual(result.sent);
  });
});
