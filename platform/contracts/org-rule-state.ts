/**
 * The boundary of the per-org rule state Durable Object (`env.ORG_RULE_STATE`, one per org):
 * the rendered `idempotent_key`s of the last 24 h and the live session of each `debounce_key`,
 * claimed atomically so two racing events start exactly one session, with the newest request
 * that found its key busy kept to start when the live session ends (DR.md §5.2); and the
 * sensor variables that `add var` / `del var` write and `[[name]]` values read (Q17/Q28).
 */
import type { OrgSessionCreate } from "../../schemas/org.ts";

/** One change to a sensor's variables. */
export interface VarChange {
  op: "add" | "del";
  name: string;
  /** null with `del`: every value of the variable. */
  value: string | null;
  /** Seconds the value lives (add only); null: until deleted. */
  ttl: number | null;
}

/** A rule's session start, whole: what the org rule state object needs to start it later by itself. */
export interface RuleSessionStart {
  org: { id: string; keyId: string };
  /** The platform's origin (the runner's platform URL when PLATFORM_URL is unset). */
  origin: string;
  rule: string;
  body: OrgSessionCreate;
  /** The detection the session triages (null: none was reported). */
  detectionId: string | null;
  idempotentKey: string | null;
  debounceKey: string | null;
}

export interface ClaimRequest {
  idempotentKey: string | null;
  debounceKey: string | null;
  /** Epoch ms (the Worker's clock, so tests and the Worker agree). */
  now: number;
  /** Kept as the key's pending start when the debounce key is busy (replacing an older one). */
  pending?: RuleSessionStart;
}

export type ClaimResult =
  /** Go ahead; confirm with the session id, or abandon. */
  | { outcome: "start"; token: string }
  /** The idempotent key was used in the last 24 h (sessionId null while that start is still under way). */
  | { outcome: "duplicate"; sessionId: string | null }
  /** The debounce key has a session (or a start under way); the Worker checks whether it still lives. */
  | { outcome: "busy"; sessionId: string | null; queued: boolean };

export interface OrgRuleStateRpc extends Rpc.DurableObjectBranded {
  claim(request: ClaimRequest): ClaimResult;
  /** Records the session a claim started (if it has already ended, its key passes on at once). */
  confirm(token: string, sessionId: string): Promise<void>;
  /** Drops a claim whose session could not start (the keys are free again). */
  abandon(token: string): void;
  /** Frees `debounceKey` if `sessionId` (which has ended) still holds it; true when freed. */
  releaseDebounce(debounceKey: string, sessionId: string): boolean;
  /** An org session ended: the debounce keys it held are freed and each key's pending start starts. */
  sessionEnded(sessionId: string): Promise<void>;
  /** The live variables of sensor `sid`: name → values. */
  variables(sid: string, now: number): Record<string, string[]>;
  /** Applies changes to sensor `sid`'s variables in order. */
  changeVariables(sid: string, changes: VarChange[], now: number): void;
}
