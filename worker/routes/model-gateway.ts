/**
 * The per-session model gateway (ARCHITECTURE.md, "The model gateway"). Claude Code in the
 * sandbox calls the runner's loopback proxy, which forwards to `<platform>/v1/gateway/sessions/<id>`
 * with the per-session token only the runner holds; the gateway asks the session whether that token may call the model now, swaps it for
 * the user's Anthropic credential, forwards to `ANTHROPIC_API_URL`, streams the answer back
 * unchanged, and reports the call's tokens and cost to the session. Each admitted call holds
 * a budget reservation and one of the session's concurrency slots until it is settled.
 *
 * Not declared through `route()`: this is a proxy, not a JSON API. Its client is Claude Code,
 * so the errors it answers itself use Anthropic's error shape.
 */
import type { Context, Hono } from "hono";
import { Id } from "../../schemas/common.ts";
import { resolveCredential, type PrefetchedCredential } from "../gateway/credential-source.ts";
import { gatewayTokenOf, refusalResponse } from "../gateway/admission.ts";
import { anthropicError } from "../gateway/anthropic-error.ts";
import { meteredBody } from "../gateway/metered-stream.ts";
import { MAX_GATEWAY_BODY_BYTES, cappedGatewayBody } from "../gateway/request-body.ts";
import { addOrgUsage } from "../../platform/db/org-usage-hourly.ts";
import { findGatewaySession } from "../../platform/db/credentials.ts";
import { readMark, recallGatewaySession, rememberGatewaySession } from "../../platform/db/gateway-session-cache.ts";
import { clientHeaders, upstreamHeaders, upstreamUrl } from "../gateway/upstream.ts";
import { UsageMeter, type MeteredCall } from "../gateway/usage-meter.ts";
import { usageReport } from "../gateway/usage-report.ts";
import type { AppEnv } from "../http/app-env.ts";
import type { Env } from "../../platform/env.ts";
import type { ModelAdmission } from "../../platform/contracts/session.ts";

/** Paths under a session's base URL that are forwarded upstream (all POST); anything else is 404. */
const FORWARDED_PATHS = new Set(["/v1/messages", "/v1/messages/count_tokens"]);
/** The one forwarded path whose answers use tokens (counting tokens is free). */
const METERED_PATH = "/v1/messages";
/** Claude Code's connectivity probe, answered here: it needs no credential and costs nothing. */
const PROBE_PATH = "/api/hello";

type SessionStub = ReturnType<Env["SESSION"]["get"]>;

/** Mounts `ALL /v1/gateway/sessions/:id/*`. */
export function modelGatewayRoutes(app: Hono<AppEnv>): void {
  app.all("/v1/gateway/sessions/:id/*", async (c) => {
    try {
      return await proxy(c);
    } catch (error) {
      // Never log the request: its headers carry the gateway token.
      console.error(`model gateway: failed on ${c.req.method} ${c.req.path}:`, error instanceof Error ? error.message : error);
      return anthropicError(500, "api_error", "the model gateway failed; try again");
    }
  });
}

async function proxy(c: Context<AppEnv>): Promise<Response> {
  const sessionId = c.req.param("id") ?? "";
  if (!Id.safeParse(sessionId).success) return anthropicError(404, "not_found_error", "no such session");
  const path = c.req.path.slice(`/v1/gateway/sessions/${sessionId}`.length);
  const method = c.req.method;

  if (path === PROBE_PATH && (method === "GET" || method === "HEAD")) {
    return method === "HEAD" ? new Response(null, { status: 200 }) : Response.json({ message: "model gateway is up" });
  }
  if (!FORWARDED_PATHS.has(path))
    return anthropicError(404, "not_found_error", `${method} ${path || "/"} is not served by the model gateway`);
  if (method !== "POST") return anthropicError(405, "invalid_request_error", `${path} takes POST`, { allow: "POST" });

  const token = gatewayTokenOf(c.req.raw.headers);
  if (!token) return anthropicError(401, "authentication_error", "missing session gateway token");
  // The index first: `idFromName` + a call would create (and store) an object for any id a
  // caller makes up. An unknown session gets the same answer as a wrong token.
  // A user's session is usually paid with that user's stored credential: its ciphertext comes
  // with the index row (one round trip less per model call) and is opened only once the call
  // is admitted and paid with that credential (credential-source.ts).
  // A session this isolate found in the index before is asked at once, while the index is read;
  // a row read in the last seconds is not read again (gateway-session-cache.ts). The session
  // itself is asked on every call: its answer, not the row, says whether the call may go.
  const session: SessionStub = c.env.SESSION.get(c.env.SESSION.idFromName(sessionId));
  const recalled = recallGatewaySession(sessionId, Date.now());
  const early = recalled.known ? session.admitModelRequest(token) : null;
  early?.catch(() => undefined); // its failure is met where it is awaited, not as an unhandled rejection
  let row = recalled.row;
  if (!row) {
    const mark = readMark();
    row = await findGatewaySession(c.env.DB, sessionId).catch(async (error: unknown) => {
      await settleRefused(session, sessionId, early);
      throw error;
    });
    if (!row) {
      await settleRefused(session, sessionId, early);
      return anthropicError(401, "authentication_error", "invalid session gateway token");
    }
    rememberGatewaySession(sessionId, row, mark, Date.now());
  }
  const prefetched: PrefetchedCredential | null =
    row.org_id === null ? { userId: row.user_id, ciphertext: row.ciphertext, remembered: recalled.row !== null } : null;
  const admission = await (early ?? session.admitModelRequest(token));
  if (!admission.allowed) return refusalResponse(admission);

  // From here the call holds a budget reservation and a concurrency slot: every way out settles it.
  // An unmetered answer (a refusal, an upstream error, count_tokens) settles before it is sent,
  // so the caller's next call finds the slot free; a metered one as its answer ends, before the
  // answer's last bytes are passed on (metered-stream.ts).
  // Only an org session's calls count in an org's hourly usage: others skip that write.
  const orgDb = admission.orgId ? c.env.DB : null;
  const settleWith = (call: MeteredCall | null) => settle(session, sessionId, admission.callId, call, orgDb);
  let forwarded: Forwarded | null = null;
  try {
    forwarded = await forward(c, sessionId, path, admission, prefetched, settleWith);
    return forwarded.response;
  } finally {
    if (forwarded?.usage) c.executionCtx.waitUntil(forwarded.usage);
    else await settleWith(null);
  }
}

/** The answer to an admitted call, and its usage once the answer has ended (null: not metered). */
interface Forwarded {
  response: Response;
  usage: Promise<MeteredCall | null> | null;
}

const unmetered = (response: Response): Forwarded => ({ response, usage: null });

/** Forwards an admitted call upstream with the user's credential. */
async function forward(
  c: Context<AppEnv>,
  sessionId: string,
  path: string,
  admission: Extract<ModelAdmission, { allowed: true }>,
  prefetched: PrefetchedCredential | null,
  settle: (call: MeteredCall | null) => Promise<void>,
): Promise<Forwarded> {
  const body = cappedGatewayBody(c.req.raw);
  if (!body) return unmetered(tooLarge());
  const credential = await resolveCredential(c.env, sessionId, admission, prefetched);
  if (!credential)
    return unmetered(
      anthropicError(401, "authentication_error", "no Claude credential stored: add an API key or log in with Claude in the platform"),
    );

  let upstream: Response;
  try {
    upstream = await fetch(upstreamUrl(c.env.ANTHROPIC_API_URL, path, new URL(c.req.url).search), {
      method: "POST",
      headers: upstreamHeaders(c.req.raw.headers, credential),
      // Streamed: cut off (and the call failed) at the first byte past the cap.
      body: body.stream,
      // A redirect would carry the user's credential to wherever it points.
      redirect: "manual",
    });
  } catch (error) {
    if (body.exceeded()) return unmetered(tooLarge());
    console.error(`model gateway: upstream unreachable for session ${sessionId}:`, error instanceof Error ? error.message : error);
    return unmetered(anthropicError(502, "api_error", "the model API could not be reached"));
  }

  if (body.exceeded()) {
    // The upstream saw a truncated body and answered something; the caller's answer is ours.
    await upstream.body?.cancel();
    return unmetered(tooLarge());
  }
  const init = { status: upstream.status, statusText: upstream.statusText, headers: clientHeaders(upstream.headers) };
  if (path !== METERED_PATH || !upstream.ok || !upstream.body) return unmetered(new Response(upstream.body, init));
  const format = (upstream.headers.get("content-type") ?? "").includes("text/event-stream") ? "sse" : "json";
  const metered = meteredBody(upstream.body, new UsageMeter(format), settle);
  return { response: new Response(metered.body, init), usage: metered.usage };
}

const tooLarge = () => anthropicError(413, "invalid_request_error", `request body exceeds ${MAX_GATEWAY_BODY_BYTES} bytes`);

/** An admission asked early whose call does not go after all (the index has no such session): released unused. */
async function settleRefused(session: SessionStub, sessionId: string, early: Promise<ModelAdmission> | null): Promise<void> {
  const admission = await early?.catch(() => null);
  if (admission?.allowed) await settle(session, sessionId, admission.callId, null, null);
}

/** Once the answer has ended, releases the call's reservation and records what it used. */
async function settle(
  session: SessionStub,
  sessionId: string,
  callId: string,
  call: MeteredCall | null,
  orgDb: D1Database | null,
): Promise<void> {
  const report = call ? usageReport(call) : null;
  try {
    await session.settleModelCall(callId, report);
  } catch (error) {
    console.error(`model gateway: could not settle a call of session ${sessionId}:`, error instanceof Error ? error.message : error);
  }
  // An org session's call also counts in its identity's hourly usage (GET /v1/org/usage/identities).
  if (report && orgDb)
    await addOrgUsage(orgDb, sessionId, report, new Date()).catch((error: unknown) => {
      console.error(`model gateway: could not record org usage of session ${sessionId}:`, error instanceof Error ? error.message : error);
    });
}
