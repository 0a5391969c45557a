/**
 * The browser test project: the web UI (web/, built into web/dist) driven by playwright-core
 * and Debian's Chromium against the whole platform on loopback (wrangler dev, the real runner
 * and Claude Code, the scripted model). Pure UI logic (Markdown, the chat model) is tested here
 * too, without a browser.
 */
import path from "node:path";
import { defineConfig } from "vitest/config";

const root = path.resolve(import.meta.dirname, "../..");

export default defineConfig({
  test: {
    name: "browser",
    root,
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 240_000,
    // Each file starts the platform and a browser; two cores do not fit several at once.
    fileParallelism: false,
  },
});
