/** What the chat view lends the cards it renders (tool, approval, question cards): state and actions. */
import type { ClientFrame } from "../../../../schemas/client-frames.ts";
import type { LocalAnswers } from "../../chat-model.ts";

export interface ChatContext {
  readonly sessionId: string;
  /** True once the session has ended: cards stop offering answers. */
  readonly ended: boolean;
  /** Whether the platform serves the file routes (download buttons). */
  readonly filesAvailable: boolean;
  /** What this client answered, shown before the server confirms it. */
  readonly local: LocalAnswers;
  /** Draft answers of open questions, by question_id → question text → answer. */
  readonly drafts: Map<string, Record<string, string>>;
  /** Sends a frame now or when the connection is back; false when there is no socket. */
  send(frame: ClientFrame): boolean;
  /** Re-renders the items whose state changed. */
  rerender(): void;
  /** Downloads a workspace file. */
  download(path: string): void;
  /** Scrolls to (and focuses) the item with this key. */
  scrollToKey(key: string): void;
}
