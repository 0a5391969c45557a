/**
 * Shapes shared by every part of the wire protocol: the error body, ids, timestamps.
 * This folder is the project's vocabulary: it imports nothing of the project but zod.
 */
import { z } from "zod";

/** Every error the platform answers with, REST or WebSocket: a machine code and a human message. */
export const ErrorBody = z
  .object({
    error: z.string().describe("Machine-readable code, e.g. `not_registered`."),
    message: z.string().describe("Human-readable explanation."),
  })
  .meta({ id: "Error" });
export type ErrorBody = z.infer<typeof ErrorBody>;

/** Opaque, URL-safe identifiers (the platform mints 128+ bits of randomness). */
export const Id = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, "must be URL-safe: letters, digits, '-' or '_'");

/** ISO-8601 UTC timestamp as sent in JSON. */
export const Timestamp = z.iso.datetime();

/** A body for routes that take none: `{}` or nothing at all (existing clients send either). */
export const EmptyBody = z.object({}).strict();
