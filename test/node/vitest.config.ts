/** The Node test project: runner, sandbox host, model server, and end-to-end runs. */
import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig({
  test: {
    name: "node",
    root,
    include: ["test/node/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests start real processes (wrangler, Claude Code); two cores do not
    // fit many at once.
    fileParallelism: false,
  },
});
