/** The runner's symbolic-link resolution for the permission engine (issue 9), on a real file system. */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolvedPaths } from "../../container/runner/resolved-paths.ts";

const root = mkdtempSync(path.join(os.tmpdir(), "resolved-paths-"));
const workspace = path.join(root, "workspace");
const home = path.join(root, "home");
mkdirSync(path.join(workspace, ".git/hooks"), { recursive: true });
mkdirSync(home);
writeFileSync(path.join(home, ".bashrc"), "");
writeFileSync(path.join(workspace, "plain.txt"), "");
symlinkSync(path.join(home, ".bashrc"), path.join(workspace, "config"));
symlinkSync(".git/hooks", path.join(workspace, "hooks"));
symlinkSync("loop", path.join(workspace, "loop"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("resolvedPaths", () => {
  it("says nothing for plain paths, existing or not", () => {
    expect(resolvedPaths({ file_path: path.join(workspace, "plain.txt") }, workspace)).toBeUndefined();
    expect(resolvedPaths({ file_path: path.join(workspace, "new/dir/file.txt") }, workspace)).toBeUndefined();
    expect(resolvedPaths({ command: "ls" }, workspace)).toBeUndefined();
  });

  it("follows a link out of the workspace, and a link to a directory for a file not yet there", () => {
    expect(resolvedPaths({ file_path: path.join(workspace, "config") }, workspace)).toEqual({ file_path: path.join(home, ".bashrc") });
    expect(resolvedPaths({ file_path: path.join(workspace, "hooks/pre-commit") }, workspace)).toEqual({
      file_path: path.join(workspace, ".git/hooks/pre-commit"),
    });
    expect(resolvedPaths({ path: "config" }, workspace)).toEqual({ path: path.join(home, ".bashrc") });
  });

  it("reports a link loop as unresolvable", () => {
    expect(resolvedPaths({ file_path: path.join(workspace, "loop") }, workspace)).toEqual({ file_path: "" });
  });
});
