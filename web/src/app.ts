/** What every view receives from the shell (main.ts): the API, the session store, navigation. */
import type { Api } from "./api.ts";
import type { SessionStore } from "./session-store.ts";

/** The running web UI as views see it. */
export interface App {
  api: Api;
  store: SessionStore;
  email: string | null;
  navigate(path: string, replaceState?: boolean): void;
  signOut(message?: string): void;
  /** Whether a Claude credential is stored (null: not known yet). */
  hasCredentials: boolean | null;
  refreshCredentials(): Promise<void>;
}
