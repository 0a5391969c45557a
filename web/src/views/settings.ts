/** Account and Claude credential: store an API key or connect Claude Max (OAuth), sign out, deregister. */
import { AiSessionsError } from "../../../client-core/errors.ts";
import { h, relativeTime, replace, toast } from "../dom.ts";
import type { App } from "../app.ts";

export function renderSettings(app: App): HTMLElement {
  const page = h("section", { class: "page narrow" });
  const credential = h("div", { class: "card", "data-testid": "credential-card" });
  page.append(
    h("h1", null, "Settings"),
    credential,
    h(
      "div",
      { class: "card" },
      h("h2", null, "Account"),
      h("p", null, "Signed in as ", h("strong", { "data-testid": "account-email" }, app.email ?? "unknown"), "."),
      h(
        "div",
        { class: "form-actions" },
        h("button", { class: "btn", type: "button", "data-testid": "sign-out", onclick: () => app.signOut() }, "Sign out"),
        h("a", { class: "btn btn-ghost", href: "/profiles", "data-link": "" }, "Manage profiles"),
      ),
      h(
        "details",
        { class: "danger-zone" },
        h("summary", null, "Deregister"),
        h("p", { class: "muted" }, "Terminates all your sessions and deletes your stored credential."),
        h(
          "button",
          {
            class: "btn btn-danger",
            type: "button",
            onclick: async () => {
              if (!confirm("Deregister? All your sessions are terminated and your credential is deleted.")) return;
              try {
                await app.api.deregister();
                app.signOut("You are deregistered.");
              } catch (e) {
                toast((e as Error).message, "error");
              }
            },
          },
          "Deregister",
        ),
      ),
    ),
  );

  const drawCredential = async () => {
    replace(credential, h("h2", null, "Claude credential"), h("p", { class: "muted" }, "Loading…"));
    let status;
    try {
      status = await app.api.credentialStatus();
    } catch (e) {
      replace(credential, h("h2", null, "Claude credential"), h("p", { class: "form-error" }, (e as Error).message));
      return;
    }
    app.hasCredentials = status.has_credentials;
    const keyInput = h("input", {
      id: "api-key",
      name: "api_key",
      type: "password",
      autocomplete: "off",
      placeholder: "sk-ant-api03-…",
      "data-testid": "api-key-input",
      required: true,
    });
    const error = h("p", { class: "form-error", role: "alert" });
    const save = h(
      "button",
      { class: "btn btn-primary", type: "submit", "data-testid": "api-key-save" },
      status.has_credentials ? "Replace key" : "Save key",
    );
    const keyForm = h(
      "form",
      {
        class: "form",
        onsubmit: async (e: SubmitEvent) => {
          e.preventDefault();
          const key = keyInput.value.trim();
          if (!key.startsWith("sk-ant-")) {
            error.textContent = "Anthropic API keys start with sk-ant-.";
            return;
          }
          save.disabled = true;
          try {
            await app.api.storeApiKey(key);
            keyInput.value = "";
            toast("API key stored");
            void drawCredential();
          } catch (err) {
            error.textContent = (err as Error).message;
            save.disabled = false;
          }
        },
      },
      h("label", { for: "api-key" }, "Anthropic API key"),
      keyInput,
      h("p", { class: "help" }, "Stored encrypted; it never enters a sandbox and no API returns it."),
      error,
      h("div", { class: "form-actions" }, save),
    );
    replace(
      credential,
      h("h2", null, "Claude credential"),
      h(
        "p",
        { "data-testid": "credential-status", "data-has-credentials": String(status.has_credentials) },
        status.has_credentials
          ? [
              h(
                "span",
                { class: "badge badge-running" },
                h("span", { class: "dot" }),
                status.credential_type === "oauth_token" ? "Claude Max (OAuth)" : "API key",
              ),
              ` stored ${relativeTime(status.created_at)}.`,
            ]
          : [h("span", { class: "badge badge-waiting" }, h("span", { class: "dot" }), "None"), " Store one to start sessions."],
      ),
      // The deployment says its model is simulated (the offline demo): the key `npm start` stored is a placeholder.
      status.simulated_model
        ? h(
            "p",
            { class: "callout warn", "data-testid": "simulated-model-note" },
            h("strong", null, "Offline demo: "),
            status.has_credentials ? "the stored key is a placeholder. " : "",
            "This platform runs a simulated model that accepts any key; its answers and costs are invented. ",
            "Run ",
            h("code", null, "npm start -- --model anthropic"),
            " and store a real key to use Claude.",
          )
        : null,
      keyForm,
      oauthSection(app, () => void drawCredential()),
      status.has_credentials
        ? h(
            "button",
            {
              class: "btn btn-ghost btn-sm",
              type: "button",
              onclick: async () => {
                if (!confirm("Remove the stored credential? New sessions cannot start without one.")) return;
                await app.api.deleteCredential();
                void drawCredential();
              },
            },
            "Remove stored credential",
          )
        : null,
    );
  };
  void drawCredential();
  return page;
}

/** Claude Max: start the PKCE flow, open the authorize URL, paste the code shown afterwards. */
function oauthSection(app: App, done: () => void): HTMLElement {
  const box = h("details", { class: "oauth" }, h("summary", null, "Or connect a Claude Max subscription"));
  const body = h("div", { class: "form" });
  box.append(body);
  const start = h(
    "button",
    {
      class: "btn",
      type: "button",
      onclick: async () => {
        start.disabled = true;
        try {
          const started = await app.api.oauthStart();
          let url: string | undefined;
          for (let i = 0; i < 20 && !url; i++) {
            const answer = await app.api.oauthUrl(started.oauth_session_id);
            url = answer.url;
            if (!url) await new Promise((r) => setTimeout(r, 500));
          }
          if (!url) throw new Error("the authorization URL did not arrive; try again");
          const code = h("input", { type: "text", placeholder: "Paste the code here", autocomplete: "off" });
          const err = h("p", { class: "form-error" });
          replace(
            body,
            h(
              "p",
              null,
              "1. ",
              h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, "Open Claude's authorization page"),
              " and approve.",
            ),
            h("p", null, "2. Paste the code it shows:"),
            code,
            err,
            h(
              "button",
              {
                class: "btn btn-primary",
                type: "button",
                onclick: async () => {
                  try {
                    await app.api.oauthCode(started.oauth_session_id, code.value.trim());
                    toast("Claude Max connected");
                    done();
                  } catch (e) {
                    err.textContent = e instanceof AiSessionsError ? e.message : String(e);
                  }
                },
              },
              "Connect",
            ),
          );
        } catch (e) {
          replace(body, h("p", { class: "form-error" }, (e as Error).message), start);
          start.disabled = false;
        }
      },
    },
    "Start Claude Max sign-in",
  );
  body.append(h("p", { class: "muted" }, "Uses your Claude subscription instead of an API key."), start);
  return box;
}
