/**
 * The OpenAPI 3.1 document, built from the declared routes and their zod schemas
 * (JSON Schema draft 2020-12 is OpenAPI 3.1's schema dialect, which zod emits directly).
 */
import { z } from "zod";
import { ErrorBody } from "../../schemas/common.ts";
import { declaredRoutes, type RouteSpec } from "./api.ts";

/** Error codes any route may answer with. */
const UNIVERSAL_ERRORS: Record<string, string> = {
  "400": "invalid_request / invalid_json: the input failed validation",
  "401": "unauthorized: missing, malformed, expired or wrongly-signed token",
  "403": "not_registered, or another refusal",
  "404": "not_found: unknown, or not the caller's",
  "413": "payload_too_large",
  "429": "rate_limited (with Retry-After)",
};

/** A named schema is referenced from components; an anonymous one is inlined. */
function schemaFor(schema: z.ZodType): unknown {
  const id = z.globalRegistry.get(schema)?.id;
  if (id) return { $ref: `#/components/schemas/${id}` };
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any", target: "draft-2020-12" });
}

function operation(spec: RouteSpec) {
  const parameters: unknown[] = [];
  for (const match of spec.path.matchAll(/:([A-Za-z_]+)/g)) {
    parameters.push({ name: match[1], in: "path", required: true, schema: { type: "string" } });
  }
  if (spec.query) {
    const json = z.toJSONSchema(spec.query, { io: "input", unrepresentable: "any" }) as {
      properties?: Record<string, unknown>;
      required?: string[];
    };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      parameters.push({ name, in: "query", required: json.required?.includes(name) ?? false, schema });
    }
  }
  const responses: Record<string, unknown> = {
    [String(spec.status ?? 200)]: {
      description: "Success",
      ...(spec.response ? { content: { "application/json": { schema: schemaFor(spec.response) } } } : {}),
    },
  };
  const errorContent = { "application/json": { schema: { $ref: "#/components/schemas/Error" } } };
  for (const [status, description] of Object.entries(UNIVERSAL_ERRORS)) {
    if (spec.auth === "none" && (status === "401" || status === "403")) continue;
    responses[status] = { description, content: errorContent };
  }
  // A WebSocket route's 426 comes from its `websocket` flag (api.ts), so it is documented from it.
  const errors = [...(spec.websocket ? ["upgrade_required"] : []), ...(spec.errors ?? [])];
  if (errors.length) {
    responses["default"] = { description: `Also: ${errors.join(", ")}`, content: errorContent };
  }
  return {
    summary: spec.summary,
    tags: [spec.tag],
    ...(spec.auth === "none" ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(spec.body ? { requestBody: { required: true, content: { "application/json": { schema: schemaFor(spec.body) } } } } : {}),
    responses,
  };
}

let cached: unknown;

/** The document for every declared route (built once per isolate). */
export function openApiDocument(version: string): unknown {
  if (cached) return cached;
  z.globalRegistry.add(ErrorBody, { id: "Error" });
  // Bodies are validated as input; the same shapes describe answers, which have no defaults.
  const components = z.toJSONSchema(z.globalRegistry, {
    io: "input",
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: "any",
  }) as { schemas: Record<string, unknown> };
  const paths: Record<string, Record<string, unknown>> = {};
  for (const spec of declaredRoutes) {
    const path = spec.path.replace(/:([A-Za-z_]+)/g, "{$1}");
    (paths[path] ??= {})[spec.method] = operation(spec);
  }
  cached = {
    openapi: "3.1.0",
    info: {
      title: "AI Sessions API",
      version,
      description: "Claude Code agents in isolated sandboxes. Errors are always `{error, message}`.",
    },
    servers: [{ url: "/" }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" } },
      schemas: components.schemas,
    },
    paths,
  };
  return cached;
}
