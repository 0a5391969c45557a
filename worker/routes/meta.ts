/** Unauthenticated service routes: health and the API description. */
import type { Hono } from "hono";
import { z } from "zod";
import { Health } from "../../schemas/account.ts";
import { route } from "../http/api.ts";
import type { AppEnv } from "../http/app-env.ts";
import { renderApiReference } from "../http/api-reference.ts";
import { openApiDocument } from "../http/openapi.ts";

/** The platform's API version, shown in /healthz and /openapi. */
export const API_VERSION = "0.1.0";

export function metaRoutes(app: Hono<AppEnv>): void {
  route(app, { method: "get", path: "/healthz", summary: "Liveness check.", tag: "meta", auth: "none", response: Health }, (c) =>
    c.json({ ok: true as const, version: API_VERSION }),
  );
  route(
    app,
    {
      method: "get",
      path: "/openapi",
      summary: "This OpenAPI 3.1 document, generated from the zod schemas.",
      tag: "meta",
      auth: "none",
      response: z.looseObject({}),
    },
    (c) => c.json(openApiDocument(API_VERSION)),
  );
  // The same document as a page for people. Not part of the OpenAPI document itself: it is HTML.
  app.get("/docs", (c) =>
    c.html(renderApiReference(openApiDocument(API_VERSION)), 200, {
      "content-security-policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    }),
  );
}
