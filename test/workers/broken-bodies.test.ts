/**
 * Request bodies that break off mid-way (a dropped connection): reading one is the client's
 * 400 `incomplete_body`, never a 500. (Under `wrangler dev` such requests are answered 500 by
 * wrangler's own ProxyWorker before they reach the Worker; this pins what the Worker does.)
 */
import { describe, expect, it } from "vitest";
import { readCappedBody } from "../../worker/http/capped-body.ts";
import { ApiError } from "../../platform/errors.ts";

/** A request whose body yields some bytes, then fails like a cut connection. */
function breakingRequest(prefix: string): Request {
  let sent = false;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent) return controller.error(new Error("Network connection lost."));
      sent = true;
      controller.enqueue(new TextEncoder().encode(prefix));
    },
  });
  return new Request("http://platform.test/v1/profiles", { method: "POST", body, duplex: "half" } as RequestInit);
}

describe("bodies that break off", () => {
  it("are a 400 incomplete_body, whatever the cap", async () => {
    for (const cap of [4, 1024]) {
      const failure = await readCappedBody(breakingRequest('{"name": "half'), cap).catch((error: unknown) => error);
      if (cap === 4) {
        // Past the cap before the break: the cap answers first (413 upstream of this).
        expect(failure).toBeNull();
        continue;
      }
      expect(failure).toBeInstanceOf(ApiError);
      expect(failure).toMatchObject({ status: 400, code: "incomplete_body" });
    }
  });
});
