/**
 * Reading the events of `POST /v1/orgs/{oid}/events`: one `{routing, event}`, `{events: [...]}`
 * (at most 1000), or NDJSON (`application/x-ndjson`), read line by line from the stream so a
 * large body is never held whole. A malformed event becomes an error item; the rest still run.
 */
import { EventInput, MAX_EVENT_BYTES, MAX_EVENTS_BODY_BYTES, MAX_EVENTS_PER_CALL, MAX_NDJSON_EVENTS } from "../../schemas/rules.ts";
import { ApiError } from "../../platform/errors.ts";
import { describeIssues, parseJson, readBodyText } from "../http/body.ts";

export type EventItem = { ok: true; input: { routing: Record<string, unknown>; event: unknown } } | { ok: false; error: string };

/** Checks one decoded event. */
export function eventItem(value: unknown): EventItem {
  const r = EventInput.safeParse(value);
  if (!r.success) return { ok: false, error: `invalid event: ${describeIssues(r.error)}` };
  return { ok: true, input: r.data as { routing: Record<string, unknown>; event: unknown } };
}

export function isNdjson(contentType: string | undefined): boolean {
  return /^application\/(x-)?ndjson\b|^application\/jsonl\b|^application\/x-jsonlines\b/i.test((contentType ?? "").trim());
}

/** The events of a JSON body. */
export async function jsonEvents(request: Request): Promise<EventItem[]> {
  const value = parseJson(await readBodyText(request, MAX_EVENTS_BODY_BYTES));
  if (typeof value === "object" && value !== null && !Array.isArray(value) && "events" in value) {
    const events = (value as { events: unknown }).events;
    if (!Array.isArray(events)) throw new ApiError(400, "invalid_request", "request body: events must be a list");
    if (Object.keys(value).length !== 1) throw new ApiError(400, "invalid_request", "request body: {events: [...]} takes no other field");
    if (events.length > MAX_EVENTS_PER_CALL)
      throw new ApiError(413, "too_many_events", `at most ${MAX_EVENTS_PER_CALL} events per call; send more as NDJSON or in several calls`);
    return events.map(eventItem);
  }
  const one = eventItem(value);
  if (!one.ok)
    throw new ApiError(400, "invalid_request", `request body must be one event {routing, event} or {events: [...]}: ${one.error}`);
  return [one];
}

/**
 * The events of an NDJSON body, one per non-blank line, decoded as they arrive. Events already
 * evaluated have had their effects, so a body that breaks a limit midway (too many lines, a
 * line too long, bytes that are not UTF-8) ends with one error item instead of failing the call.
 */
export async function* ndjsonEvents(request: Request): AsyncGenerator<EventItem> {
  if (!request.body) return;
  const reader = request.body.getReader();
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
  let pending = "";
  let count = 0;
  const line = (text: string): EventItem | null => {
    if (text.trim() === "") return null;
    count++;
    try {
      return eventItem(JSON.parse(text));
    } catch {
      return { ok: false, error: `line ${count}: not valid JSON` };
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      let text: string;
      try {
        text = done ? decoder.decode() : decoder.decode(value, { stream: true });
      } catch {
        yield { ok: false, error: "the body is not valid UTF-8: the rest was not read" };
        return;
      }
      pending += text;
      let nl = pending.indexOf("\n");
      while (nl >= 0 || (done && pending !== "")) {
        const item = line(nl >= 0 ? pending.slice(0, nl) : pending);
        pending = nl >= 0 ? pending.slice(nl + 1) : "";
        if (item && count > MAX_NDJSON_EVENTS) {
          yield { ok: false, error: `at most ${MAX_NDJSON_EVENTS} events per NDJSON body: the rest was not read` };
          return;
        }
        if (item) yield item;
        nl = pending.indexOf("\n");
      }
      if (done) return;
      if (pending.length > MAX_EVENT_BYTES) {
        yield { ok: false, error: `an NDJSON line exceeds ${MAX_EVENT_BYTES} bytes: the rest was not read` };
        return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
