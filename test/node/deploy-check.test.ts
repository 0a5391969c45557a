/**
 * `npm run deploy:check` (the README's pre-deploy step): wrangler bundles the Worker for
 * Cloudflare without deploying, with every binding the platform needs, offline.
 */
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

describe("npm run deploy:check", () => {
  it("bundles the Worker with its Durable Objects, the container, D1, R2 and the assets", () => {
    rmSync(path.join(root, "dist/deploy-check"), { recursive: true, force: true });
    const run = spawnSync("npm", ["run", "deploy:check"], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false" },
      timeout: 240_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, output.slice(-3000)).toBe(0);
    for (const binding of [
      "env.SESSION (SessionDO)",
      "env.USER_QUOTA (UserQuota)",
      "env.SANDBOX (SandboxContainer)",
      "env.ORG_RULE_STATE (OrgRuleState)",
      "env.DB",
      "env.FILES",
      "env.ASSETS",
    ]) {
      expect(output, binding).toContain(binding);
    }
    expect(output).toContain("container/Dockerfile");
    expect(existsSync(path.join(root, "dist/deploy-check/index.js"))).toBe(true);
  }, 300_000);
});
