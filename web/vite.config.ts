/**
 * The web UI's build: plain TypeScript + DOM, bundled by Vite into `web/dist`, which wrangler
 * serves as static assets (`[assets] directory = "./web/dist"`).
 *
 *   npx vite build web        → web/dist
 *   npx vite web              → dev server on :5173, API and WebSockets proxied to wrangler dev
 *                               (AI_SESSIONS_API, default http://127.0.0.1:8787)
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const api = process.env.AI_SESSIONS_API ?? "http://127.0.0.1:8787";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
  server: {
    host: "127.0.0.1",
    proxy: {
      "/v1": { target: api, ws: true, changeOrigin: true },
      "/openapi": { target: api, changeOrigin: true },
      "/healthz": { target: api, changeOrigin: true },
    },
  },
});
