/** Service and registration routes (docs/api.md §0, §2). */
import { z } from "zod";
import { Deregistered, Health, Registered } from "../../schemas/account.ts";
import type { RestTransport } from "../../client-core/rest.ts";
import { validated } from "../validate.ts";
import type { CallOptions } from "./call-options.ts";

/** The OpenAPI document is checked only for its shape; its content is the server's to describe. */
const OpenApiDocument = z.looseObject({ openapi: z.string(), paths: z.record(z.string(), z.unknown()) });

/** `GET /healthz`, `GET /openapi`, `POST/DELETE /v1/register`. */
export class AccountApi {
  readonly #t: RestTransport;

  constructor(transport: RestTransport) {
    this.#t = transport;
  }

  /** Liveness and version (no auth needed, the token is sent anyway). */
  health(options: CallOptions = {}) {
    return this.#t.request({ method: "GET", path: "/healthz", parse: validated(Health), idempotent: true, ...options });
  }

  /** The platform's OpenAPI 3.1 document: every route it serves. */
  openapi(options: CallOptions = {}) {
    return this.#t.request({ method: "GET", path: "/openapi", parse: validated(OpenApiDocument), idempotent: true, ...options });
  }

  /** Registers the caller; a repeat call answers the same `registered_at`, so it is safe to retry. */
  register(options: CallOptions = {}) {
    return this.#t.request({ method: "POST", path: "/v1/register", parse: validated(Registered), idempotent: true, ...options });
  }

  /** Deregisters: ends every session and deletes credentials and profiles. */
  deregister(options: CallOptions = {}) {
    // Not retried: a repeat after a lost answer would fail with not_registered although it worked.
    return this.#t.request({ method: "DELETE", path: "/v1/register", parse: validated(Deregistered), idempotent: false, ...options });
  }
}
