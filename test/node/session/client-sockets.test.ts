// The session DO's socket helpers (durable-objects/session/client-sockets.ts), without workerd:
// frame decoding and its limits, the per-connection rate window, reply envelopes, attachments.
import { describe, expect, it } from "vitest";
import {
  CLIENT_FRAMES_PER_SECOND,
  broadcast,
  MAX_CLIENT_FRAME_BYTES,
  clientAttachment,
  closeSocketsOfKey,
  decodeClientFrame,
  helloedRunner,
  recordFrame,
  replyEnvelope,
  resumeCursor,
  safeClose,
  trySend,
} from "../../../durable-objects/session/client-sockets.ts";

/** A socket stand-in with the methods the helpers call. */
function fakeSocket(attachment: unknown, closed = false) {
  const sent: string[] = [];
  const closes: [number, string][] = [];
  return {
    sent,
    closes,
    deserializeAttachment: () => attachment,
    send(data: string) {
      if (closed) throw new Error("closed");
      sent.push(data);
    },
    close(code: number, reason: string) {
      if (closed) throw new Error("closed");
      closes.push([code, reason]);
    },
  } as unknown as WebSocket & { sent: string[]; closes: [number, string][] };
}

describe("decodeClientFrame", () => {
  it("accepts a valid prompt frame from a string or bytes", () => {
    const text = JSON.stringify({ type: "prompt", payload: { text: "hi" } });
    expect(decodeClientFrame(text)).toEqual({ ok: true, frame: { type: "prompt", payload: { text: "hi" } } });
    const bytes = new TextEncoder().encode(text).buffer as ArrayBuffer;
    expect(decodeClientFrame(bytes)).toEqual({ ok: true, frame: { type: "prompt", payload: { text: "hi" } } });
  });

  it("refuses a frame over the size limit as message_too_large", () => {
    const big = JSON.stringify({ type: "prompt", payload: { text: "x".repeat(MAX_CLIENT_FRAME_BYTES) } });
    expect(decodeClientFrame(big)).toMatchObject({ ok: false, code: "message_too_large" });
  });

  it("refuses bytes that are not valid UTF-8", () => {
    const bad = new Uint8Array([0x7b, 0xff, 0x7d]).buffer as ArrayBuffer;
    expect(decodeClientFrame(bad)).toMatchObject({ ok: false, code: "invalid_message", message: expect.stringMatching(/not valid UTF-8/) });
  });

  it("names what is wrong: not JSON, unknown type, bad payload", () => {
    expect(decodeClientFrame("{nope")).toEqual({ ok: false, code: "invalid_message", message: "frame is not valid JSON" });
    expect(decodeClientFrame(JSON.stringify({ hello: 1 }))).toEqual({
      ok: false,
      code: "invalid_message",
      message: "frame needs a known 'type'",
    });
    const bad = decodeClientFrame(JSON.stringify({ type: "prompt", payload: { text: "   " } }));
    expect(bad).toMatchObject({ ok: false, code: "invalid_message" });
    expect(bad.ok ? "" : bad.message).toMatch(/^invalid 'prompt' frame: prompt text is empty/);
  });

  it("refuses text frames carrying U+FFFD (the runtime's replacement for bad bytes), and takes it sent escaped", () => {
    const invalidUtf8 = { ok: false, code: "invalid_message", message: "frame is not valid UTF-8 (send U+FFFD escaped as \\ufffd)" };
    // A text frame arrives already decoded, the bad byte replaced by U+FFFD.
    expect(decodeClientFrame('{"type":"prompt","payload":{"text":"a\uFFFDb"}}')).toEqual(invalidUtf8);
    expect(decodeClientFrame('{"type":"prompt","payload":{"text":"a\\ufffdb"}}')).toEqual({
      ok: true,
      frame: { type: "prompt", payload: { text: "a\uFFFDb" } },
    });
  });
});

describe("recordFrame", () => {
  it("admits 100 frames within a second, refuses the 101st, and admits again once the window moved", () => {
    const times: number[] = [];
    for (let i = 0; i < CLIENT_FRAMES_PER_SECOND; i++) expect(recordFrame(times, 10_000 + i)).toBe(true);
    expect(recordFrame(times, 10_500)).toBe(false);
    // The first frame (at 10 000) leaves the window at 11 000.
    expect(recordFrame(times, 11_000)).toBe(true);
    expect(recordFrame(times, 11_000)).toBe(false);
  });
});

describe("socket helpers", () => {
  it("builds a client attachment from the forwarded headers", () => {
    expect(clientAttachment({ user: "u1", readOnly: "1", expiresAt: "1700", keyId: "k1" })).toEqual({
      kind: "client",
      userId: "u1",
      readOnly: true,
      expiresAt: 1700,
      keyId: "k1",
    });
    expect(clientAttachment({ user: null, readOnly: null, expiresAt: null, keyId: null })).toEqual({
      kind: "client",
      userId: "",
      readOnly: false,
      expiresAt: null,
      keyId: null,
    });
  });

  it("builds an unstored reply envelope with a null seq", () => {
    const frame = JSON.parse(replyEnvelope("s1", { type: "error", payload: { code: "rate_limited", message: "slow down" } }, new Date(0)));
    expect(frame).toEqual({
      type: "error",
      timestamp: "1970-01-01T00:00:00.000Z",
      session_id: "s1",
      seq: null,
      payload: { code: "rate_limited", message: "slow down" },
    });
  });

  it("treats a runner as ready only after its hello", () => {
    expect(helloedRunner(null)).toBeNull();
    expect(helloedRunner(fakeSocket({ kind: "runner", instance: null }))).toBeNull();
    const ready = fakeSocket({ kind: "runner", instance: "i1" });
    expect(helloedRunner(ready)).toBe(ready);
  });

  it("closes with 4001 only the client sockets the revoked key opened", () => {
    const byKey = fakeSocket({ kind: "client", userId: "org:o", readOnly: false, expiresAt: null, keyId: "k1" });
    const other = fakeSocket({ kind: "client", userId: "org:o", readOnly: false, expiresAt: null, keyId: "k2" });
    const user = fakeSocket({ kind: "client", userId: "u", readOnly: false, expiresAt: null });
    expect(closeSocketsOfKey([byKey, other, user], "k1")).toBe(1);
    expect(byKey.closes).toEqual([[4001, "the API key that opened this socket was revoked"]]);
    expect(other.closes).toEqual([]);
    expect(user.closes).toEqual([]);
  });

  it("broadcasts to every socket but closes (4001), unsent, one whose org key has expired; user sockets carry no expiry", () => {
    const now = 1_000_000;
    const lapsed = fakeSocket({ kind: "client", userId: "org:o", readOnly: true, expiresAt: now - 1, keyId: "k1" });
    const valid = fakeSocket({ kind: "client", userId: "org:o", readOnly: true, expiresAt: now + 1, keyId: "k2" });
    const user = fakeSocket({ kind: "client", userId: "u", readOnly: false, expiresAt: null });
    const runner = fakeSocket({ kind: "runner", instance: "i1" });
    broadcast([lapsed, valid, user, runner], "event", now);
    expect(lapsed.sent).toEqual([]);
    expect(lapsed.closes).toEqual([[4001, "the API key that opened this socket expired"]]);
    for (const ws of [valid, user, runner]) expect(ws.sent).toEqual(["event"]);
  });

  it("sends and closes without throwing on a closed socket, and trims the close reason", () => {
    const open = fakeSocket(null);
    trySend(open, "x");
    safeClose(open, 4100, "r".repeat(200));
    expect(open.sent).toEqual(["x"]);
    expect(open.closes).toEqual([[4100, "r".repeat(120)]]);
    const closed = fakeSocket(null, true);
    expect(() => trySend(closed, "x")).not.toThrow();
    expect(() => safeClose(closed, 1000, "bye")).not.toThrow();
  });
});

describe("resumeCursor", () => {
  it("resumes after a whole, non-negative after_seq and treats anything else as a fresh connection", () => {
    expect(resumeCursor("0")).toBe(0);
    expect(resumeCursor("42")).toBe(42);
    expect(resumeCursor(null)).toBeNull();
    expect(resumeCursor("-1")).toBeNull();
    expect(resumeCursor("1.5")).toBeNull();
    expect(resumeCursor("abc")).toBeNull();
  });
});
