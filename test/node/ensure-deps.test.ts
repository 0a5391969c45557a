/**
 * `npm start`'s dependency check (scripts/ensure-deps.sh): `npm ci` runs when node_modules is
 * missing or differs from package-lock.json, and not when a checkout merely rewrote the same
 * lockfile (newer on disk, same content): `npm ci` deletes node_modules first, so a needless run
 * costs half a minute and, where node_modules is a symbolic link, empties the tree it points to.
 * Runs a copy of the scripts in a scratch directory with a stand-in `npm` that records its calls.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

const LOCK = {
  name: "demo",
  lockfileVersion: 3,
  requires: true,
  packages: {
    "": { name: "demo", devDependencies: { a: "1.0.0" } },
    "node_modules/a": { version: "1.0.0", resolved: "https://registry.example/a-1.0.0.tgz", integrity: "sha512-a", dev: true },
    "node_modules/a-darwin": { version: "1.0.0", dev: true, optional: true, os: ["darwin"] },
  },
};

/** What npm records after installing LOCK on Linux: no root entry, no other platform's package. */
function installedFrom(lock: typeof LOCK) {
  const { "": _root, "node_modules/a-darwin": _other, ...packages } = lock.packages;
  return { name: lock.name, lockfileVersion: 3, requires: true, packages };
}

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "ensure-deps-"));
  mkdirSync(path.join(dir, "scripts"));
  for (const file of ["ensure-deps.sh", "deps-current.mjs"])
    copyFileSync(path.join(root, "scripts", file), path.join(dir, "scripts", file));
  mkdirSync(path.join(dir, "bin"));
  const npm = path.join(dir, "bin", "npm");
  writeFileSync(npm, `#!/bin/sh\necho "$@" > "${path.join(dir, "npm-called")}"\n`);
  chmodSync(npm, 0o755);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Writes the lockfile and, unless null, npm's record of the install; the lockfile is the newer. */
function layout(lock: object, installed: object | null): void {
  if (installed) {
    mkdirSync(path.join(dir, "node_modules"));
    writeFileSync(path.join(dir, "node_modules", ".package-lock.json"), JSON.stringify(installed, null, 2));
    const past = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(dir, "node_modules", ".package-lock.json"), past, past);
  }
  writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify(lock, null, 2));
}

/** Runs the check; true when it ran `npm ci`. */
function ranNpmCi(): boolean {
  const run = spawnSync("sh", [path.join(dir, "scripts", "ensure-deps.sh")], {
    env: { ...process.env, PATH: [path.join(dir, "bin"), path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter) },
    encoding: "utf8",
  });
  expect(run.status, run.stderr).toBe(0);
  return existsSync(path.join(dir, "npm-called"));
}

describe("ensure-deps: npm ci only when node_modules differs from the lockfile", () => {
  it("a lockfile rewritten with the same content (a fresh checkout) installs nothing", () => {
    layout(LOCK, installedFrom(LOCK));
    expect(ranNpmCi()).toBe(false);
  });

  it("no node_modules installs", () => {
    layout(LOCK, null);
    expect(ranNpmCi()).toBe(true);
  });

  it("a changed version installs", () => {
    const bumped = structuredClone(LOCK);
    bumped.packages["node_modules/a"] = { ...bumped.packages["node_modules/a"], version: "1.0.1" };
    layout(bumped, installedFrom(LOCK));
    expect(ranNpmCi()).toBe(true);
  });

  it("a package added to the lockfile installs", () => {
    const added = structuredClone(LOCK) as typeof LOCK & { packages: Record<string, object> };
    added.packages["node_modules/b"] = { version: "2.0.0", dev: true };
    layout(added, installedFrom(LOCK));
    expect(ranNpmCi()).toBe(true);
  });
});
