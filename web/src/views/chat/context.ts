/** What the chat view lends the cards it renders (tool, approval, question cards): state and actions. */
import type { ChatSocket } from "./connection.ts";
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
  /** Runs a socket action (`approve`, `answer`, ...): sent now or when the connection is back; false when it cannot be. */
  act(action: (socket: ChatSocket) => void): boolean;
  /** Re-renders the items whose state changed. */
  rerender(): void;
  /** Downloads a workspace file. */
  download(path: string): void;
  /** Scrolls to (and focuses) the item with this key. */
  scrollToKey(key: string): void;
}
