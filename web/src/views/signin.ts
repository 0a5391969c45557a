/** Sign in with a token, and registration for a signed-in user who is not registered yet. */
import { AiSessionsError } from "../../../client-core/errors.ts";
import type { Api } from "../api.ts";
import { h, replace } from "../dom.ts";

export function renderSignIn(onToken: (token: string) => Promise<void>, message?: string): HTMLElement {
  const input = h("textarea", {
    id: "token",
    name: "token",
    rows: 4,
    placeholder: "eyJhbGciOi…",
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": "token-help",
    required: true,
  });
  const error = h("p", { class: "form-error", role: "alert" }, message ?? "");
  const button = h("button", { class: "btn btn-primary btn-block", type: "submit" }, "Sign in");
  const form = h(
    "form",
    {
      class: "card auth-card",
      "data-testid": "signin-form",
      onsubmit: async (event: SubmitEvent) => {
        event.preventDefault();
        const token = input.value.trim().replace(/^Bearer\s+/i, "");
        if (!token) return;
        button.disabled = true;
        button.textContent = "Signing in…";
        error.textContent = "";
        try {
          await onToken(token);
        } finally {
          button.disabled = false;
          button.textContent = "Sign in";
        }
      },
    },
    h("div", { class: "auth-brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), " AI Sessions"),
    h("h1", null, "Sign in"),
    h("p", { class: "muted" }, "Claude Code agents in isolated sandboxes, with real tools."),
    h("label", { for: "token" }, "Access token"),
    input,
    h(
      "p",
      { id: "token-help", class: "help" },
      "Paste the token from your identity provider. For a local platform, mint one with ",
      h("code", null, "npm run token -- --email you@example.com"),
      " (",
      h("code", null, "npm start"),
      " prints one too).",
    ),
    error,
    button,
  );
  return h("div", { class: "center-page" }, form);
}

export function renderRegister(api: Api, email: string | null, onDone: () => Promise<void>, onCancel: () => void): HTMLElement {
  const error = h("p", { class: "form-error", role: "alert" });
  const button = h("button", { class: "btn btn-primary btn-block", type: "submit", "data-testid": "register" }, "Register");
  const card = h(
    "form",
    {
      class: "card auth-card",
      onsubmit: async (event: SubmitEvent) => {
        event.preventDefault();
        button.disabled = true;
        error.textContent = "";
        try {
          await api.register();
          await onDone();
        } catch (e) {
          error.textContent =
            e instanceof AiSessionsError && e.code === "email_domain_not_allowed"
              ? "Your email domain may not register on this platform. Ask its operator to allow it."
              : (e as Error).message;
          button.disabled = false;
        }
      },
    },
    h("div", { class: "auth-brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), " AI Sessions"),
    h("h1", null, "Register"),
    h(
      "p",
      null,
      "Signed in as ",
      h("strong", null, email ?? "an unknown user"),
      ". Register to start sessions; two profiles (Default and Full Permissions) are created for you.",
    ),
    error,
    button,
    h("button", { class: "btn btn-ghost btn-block", type: "button", onclick: onCancel }, "Use another token"),
  );
  const page = h("div", { class: "center-page" });
  replace(page, card);
  return page;
}
