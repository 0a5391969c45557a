/**
 * Declaring a route once: its method, path, auth, input and output schemas. The same
 * declaration registers the Hono handler (with validation) and feeds the OpenAPI document,
 * so the documentation cannot drift from what the code accepts.
 */
import type { Context, Hono, MiddlewareHandler } from "hono";
import { z } from "zod";
import { registerImplicitly, requireRegistered, requireUser, requireUserOrTicket } from "../auth/middleware.ts";
import { requireOperator, requireOrg } from "../auth/org-middleware.ts";
import type { AppEnv } from "./app-env.ts";
import { MAX_JSON_BODY_BYTES, parseJson, readBodyText, validate } from "./body.ts";
import { ApiError, notFound } from "../../platform/errors.ts";

/** Who may call a route: anyone, any verified user, a registered user, a user registered on the way (credential routes), an org API key, or the operator. */
export type RouteAuth = "none" | "user" | "registered" | "registering" | "org" | "operator";

/** Everything the API knows about one route. */
export interface RouteSpec<
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
> {
  method: "get" | "post" | "put" | "delete";
  /** Hono-style path, e.g. `/v1/profiles/:id`; every `:param` must be an opaque id, except `textParams`. */
  path: string;
  /** Params that are names people chose (e.g. an org key's name, spaces and all): any text without control characters, ≤ 256 characters. */
  textParams?: string[];
  summary: string;
  tag: string;
  auth: RouteAuth;
  /** Strict body schema; omitted for routes that take no body (then only `{}` or nothing is accepted). */
  body?: B;
  query?: Q;
  /** Success status and schema of the answer, for the OpenAPI document. */
  status?: number;
  response?: z.ZodType;
  /** Error codes worth documenting beyond the universal ones. */
  errors?: string[];
  maxBodyBytes?: number;
  /** Session sockets only: a single-use `?ticket=` (POST /v1/ws-ticket) may stand in for the user's token. */
  socketTicket?: boolean;
  /**
   * The route only upgrades to a WebSocket: any other request is answered 426 before its
   * credentials are looked at, so a plain GET of a socket URL is told what the URL is, not that
   * its `?token=` (read on upgrades only) is missing.
   */
  websocket?: boolean;
  /**
   * The handler reads the body itself (YAML rules, streamed NDJSON events); `body` then only
   * documents the JSON form in /openapi.
   */
  rawBody?: boolean;
}

type Infer<T> = T extends z.ZodType ? z.infer<T> : undefined;

/** The validated input a handler receives. */
export interface RouteInput<B, Q> {
  body: Infer<B>;
  query: Infer<Q>;
  params: Record<string, string>;
}

/** Every route declared so far, in declaration order (read by the OpenAPI builder). */
export const declaredRoutes: RouteSpec[] = [];

const NoBody = z.object({}).strict();

/** Ids and names in paths: URL-safe characters only (secret names may also hold dots, never a `..`). */
const PATH_PARAM = /^(?!\.)(?!.*\.\.)[A-Za-z0-9_.-]{1,128}$/;

/** A name in a path (see `textParams`): 1..256 characters, no control characters. */
const TEXT_PARAM = /^[^\u0000-\u001f\u007f]{1,256}$/;

/** Registers `handler` on `app` for `spec`, with auth and validation in front of it. */
export function route<B extends z.ZodType | undefined, Q extends z.ZodType | undefined>(
  app: Hono<AppEnv>,
  spec: RouteSpec<B, Q>,
  handler: (c: Context<AppEnv>, input: RouteInput<B, Q>) => Response | Promise<Response>,
): void {
  declaredRoutes.push(spec as RouteSpec);
  const guards: MiddlewareHandler<AppEnv>[] = [];
  if (spec.websocket) guards.push(requireUpgrade);
  if (spec.auth === "user") guards.push(requireUser);
  if (spec.auth === "registered") guards.push(spec.socketTicket ? requireUserOrTicket : requireUser, requireRegistered);
  if (spec.auth === "registering") guards.push(requireUser, registerImplicitly);
  if (spec.auth === "org") guards.push(requireOrg);
  if (spec.auth === "operator") guards.push(requireOperator);

  app.on([spec.method.toUpperCase()], [spec.path], ...guards, async (c) => {
    const params = c.req.param() as Record<string, string>;
    for (const [name, value] of Object.entries(params)) {
      const ok = spec.textParams?.includes(name) ? TEXT_PARAM.test(value) : PATH_PARAM.test(value);
      if (!ok) throw notFound("resource");
    }
    const query = (spec.query ? validate(spec.query, c.req.query(), "query") : undefined) as Infer<Q>;
    let body = undefined as Infer<B>;
    if (spec.method !== "get" && !spec.rawBody) {
      const text = await readBodyText(c.req.raw, spec.maxBodyBytes ?? MAX_JSON_BODY_BYTES);
      body = validate(spec.body ?? NoBody, parseJson(text)) as Infer<B>;
    }
    return handler(c, { body, query, params });
  });
}

/** Refuses anything but a WebSocket upgrade (the `websocket` routes). */
const requireUpgrade: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket") {
    throw new ApiError(426, "upgrade_required", "this endpoint speaks WebSocket only", { Upgrade: "websocket" });
  }
  await next();
};
