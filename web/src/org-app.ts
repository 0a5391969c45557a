/**
 * The web UI signed in with an organisation's API key: its credentials kept in this browser
 * (until sign-out), checked against the platform on sign-in, and a shell of its own around the
 * read-only rules view (views/rules-page.ts). The user UI's routes and session store are not
 * started: an org key cannot read a user's sessions, and the org view needs none of them.
 */
import { AiSessionsError } from "../../client-core/errors.ts";
import { h, replace } from "./dom.ts";
import { OrgApi, type OrgCredentials } from "./org-api.ts";
import { renderRulesPage } from "./views/rules-page.ts";

const ORG_KEY = "ai-sessions.org";

export function storedOrgCredentials(): OrgCredentials | null {
  try {
    const value = JSON.parse(localStorage.getItem(ORG_KEY) ?? "null");
    return value && typeof value.oid === "string" && typeof value.key === "string" ? { oid: value.oid, key: value.key } : null;
  } catch {
    return null;
  }
}

export function saveOrgCredentials(credentials: OrgCredentials | null): void {
  try {
    if (credentials) localStorage.setItem(ORG_KEY, JSON.stringify(credentials));
    else localStorage.removeItem(ORG_KEY);
  } catch {
    // storage disabled: the key lives as long as the page
  }
}

/**
 * Checks the credentials (reading the org's rules), then shows the org view in `root`; a refused
 * key calls `signOut` with the reason. Throws the platform's refusal on sign-in for the form.
 */
export async function startOrgView(root: HTMLElement, credentials: OrgCredentials, signOut: (message?: string) => void): Promise<void> {
  const api = new OrgApi(credentials);
  try {
    await api.rules();
  } catch (error) {
    if (!(error instanceof AiSessionsError && (error.status === 401 || error.status === 403))) throw error;
    // A refused key is forgotten; a platform that cannot be reached keeps it for the next try.
    saveOrgCredentials(null);
    throw new Error(`This org key was refused: ${error.message}`);
  }
  saveOrgCredentials(credentials);
  let signedOut = false;
  const leave = (message?: string) => {
    if (signedOut) return;
    signedOut = true;
    saveOrgCredentials(null);
    signOut(message);
  };
  api.onUnauthorized = () => leave("The org key was refused (revoked or expired). Sign in again.");
  document.body.dataset.route = "org";
  document.title = `${credentials.oid} · AI Sessions`;
  replace(
    root,
    h(
      "div",
      { class: "app" },
      h(
        "header",
        { class: "topbar" },
        h("span", { class: "brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), " AI Sessions"),
        h(
          "span",
          { class: "chip chip-accent", "data-testid": "org-id-shown", title: "Signed in with an org API key" },
          `org ${credentials.oid}`,
        ),
        h("div", { class: "spacer" }),
        h("button", { class: "btn btn-ghost btn-sm", type: "button", "data-testid": "org-signout", onclick: () => leave() }, "Sign out"),
      ),
      h("div", { class: "body" }, h("main", { class: "main", id: "main" }, renderRulesPage(api))),
    ),
  );
}
