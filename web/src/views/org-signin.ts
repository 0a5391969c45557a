/**
 * Signing in with an organisation's API key (the org id and the key, as the org routes take
 * them), and the tabs that put this form beside the user-token one on the sign-in page.
 */
import type { OrgCredentials } from "../org-api.ts";
import { h } from "../dom.ts";

/** Org ids as the platform accepts them (schemas/org.ts OrgId), checked here only to say so early. */
const ORG_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** The org-key form; `onCredentials` throws what to tell the person when the platform refuses. */
export function renderOrgSignIn(onCredentials: (credentials: OrgCredentials) => Promise<void>, message?: string): HTMLElement {
  const oid = h("input", {
    id: "org-id",
    name: "org-id",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    "data-testid": "org-id",
  });
  const key = h("input", {
    id: "org-key",
    name: "org-key",
    type: "password",
    autocomplete: "off",
    required: true,
    "aria-describedby": "org-key-help",
    "data-testid": "org-key",
  });
  const error = h("p", { class: "form-error", role: "alert" }, message ?? "");
  const button = h("button", { class: "btn btn-primary btn-block", type: "submit", "data-testid": "org-signin" }, "Sign in");
  const form = h(
    "form",
    {
      class: "card auth-card",
      "data-testid": "org-signin-form",
      onsubmit: async (event: SubmitEvent) => {
        event.preventDefault();
        const credentials = { oid: oid.value.trim(), key: key.value.trim().replace(/^Bearer\s+/i, "") };
        if (!ORG_ID.test(credentials.oid)) {
          error.textContent = "An org id uses letters, digits, '-' and '_' (at most 128).";
          return;
        }
        if (!credentials.key) return;
        button.disabled = true;
        button.textContent = "Signing in…";
        error.textContent = "";
        try {
          await onCredentials(credentials);
        } catch (e) {
          error.textContent = (e as Error).message;
        } finally {
          button.disabled = false;
          button.textContent = "Sign in";
        }
      },
    },
    h("div", { class: "auth-brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), " AI Sessions"),
    h("h1", null, "Organisation"),
    h(
      "p",
      { class: "muted" },
      "A read-only view of an organisation's detection & response rules, their detections and the sessions they started.",
    ),
    h("label", { for: "org-id" }, "Org id"),
    oid,
    h("label", { for: "org-key" }, "Org API key"),
    key,
    h(
      "p",
      { id: "org-key-help", class: "help" },
      "An API key of this org, as the operator issued it (",
      h("code", null, "POST /v1/orgs/{oid}/keys"),
      "). It is kept in this browser until you sign out.",
    ),
    error,
    button,
  );
  return h("div", { class: "center-page" }, form);
}

/**
 * Puts "User token | Organisation key" tabs at the top of a sign-in page's card; `choose` shows
 * the other form.
 */
export function withSignInTabs(page: HTMLElement, mode: "user" | "org", choose: (mode: "user" | "org") => void): HTMLElement {
  const tab = (which: "user" | "org", label: string) =>
    h(
      "button",
      {
        type: "button",
        role: "tab",
        class: `signin-tab${mode === which ? " active" : ""}`,
        "aria-selected": mode === which ? "true" : "false",
        "data-testid": `signin-tab-${which}`,
        onclick: () => {
          if (mode !== which) choose(which);
        },
      },
      label,
    );
  const tabs = h("div", { class: "signin-tabs", role: "tablist" }, tab("user", "User token"), tab("org", "Organisation key"));
  const card = page.querySelector("form");
  card?.insertBefore(tabs, card.firstChild);
  return page;
}
