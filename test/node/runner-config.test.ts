// The runner's environment (container/runner/config.ts): what it refuses before anything starts.
import { describe, expect, it } from "vitest";
import { loadRunnerConfig } from "../../container/runner/config.ts";

const ENV = { SESSION_ID: "sess_config", PLATFORM_URL: "http://127.0.0.1:8787" };

describe("runner config", () => {
  it("refuses a relative WORKSPACE_DIR: Claude Code would start in a directory that depends on the runner's own", () => {
    expect(() => loadRunnerConfig({ ...ENV, WORKSPACE_DIR: "workspace" }, "token")).toThrow(/WORKSPACE_DIR: must be an absolute path/);
    expect(loadRunnerConfig({ ...ENV, WORKSPACE_DIR: "/srv/workspace" }, "token").workspaceDir).toBe("/srv/workspace");
    expect(loadRunnerConfig(ENV, "token").workspaceDir).toBe("/workspace");
  });
});
