/**
 * Two test projects:
 * - `workers`: tests that run inside workerd (the Workers vitest integration) against real
 *   D1 (migrations applied), Durable Objects, R2 and alarms.
 * - `node`: Node-side tests: the runner, the sandbox host, the scripted model server, and
 *   end-to-end runs against `wrangler dev` with the real Claude Code binary.
 * - `browser`: the web UI in Debian's headless Chromium (playwright-core) against the platform.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: ["test/workers/vitest.config.ts", "test/node/vitest.config.ts", "test/browser/vitest.config.ts"],
  },
});
