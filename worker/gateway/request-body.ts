/** Reading a proxied request body with a byte cap, before anything is sent upstream. */
import { readCappedBody } from "../http/capped-body.ts";

/**
 * Largest request the gateway forwards: the Messages API's own request limit. A long
 * conversation with images and PDFs stays below it; past it the API would refuse anyway.
 */
export const MAX_GATEWAY_BODY_BYTES = 32 * 1024 * 1024;

/** The whole body, or null when it is larger than `maxBytes` (Content-Length is checked, never trusted). */
export function readGatewayBody(request: Request, maxBytes = MAX_GATEWAY_BODY_BYTES): Promise<Uint8Array | null> {
  return readCappedBody(request, maxBytes);
}
