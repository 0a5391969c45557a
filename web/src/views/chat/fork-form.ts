/**
 * Fork a dormant or ended session (docs/api.md §4): pick the profile the fork runs with, see the
 * preflight for it (forkable or why not, whether the conversation comes along, the source's MCP
 * servers that profile lacks), acknowledge those, name the fork and give it a first message.
 */
import type { ForkPreflight, ForkRequest } from "../../../../schemas/fork.ts";
import { AiSessionsError } from "../../../../client-core/errors.ts";
import { h, replace } from "../../dom.ts";
import type { App } from "../../app.ts";

export function renderForkForm(app: App, sourceId: string): HTMLElement {
  const page = h("section", { class: "page narrow" });
  const profileSelect = h("select", { id: "fork-profile", name: "profile", "data-testid": "fork-profile" });
  const preflightBox = h("div", { class: "help", "data-testid": "fork-preflight", "aria-live": "polite" }, "Checking the session…");
  const missingBox = h("div", { "data-testid": "fork-missing" });
  const name = h("input", { id: "fork-name", name: "name", type: "text", maxlength: 200, "data-testid": "fork-name" });
  const prompt = h("textarea", {
    id: "fork-prompt",
    name: "prompt",
    rows: 3,
    placeholder: "What should the fork do first? (optional)",
    "data-testid": "fork-prompt",
  });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { class: "btn btn-primary", type: "submit", disabled: true, "data-testid": "fork-submit" }, "Fork session");
  let preflight: ForkPreflight | null = null;
  const acks = new Set<string>();

  const updateSubmit = () => {
    submit.disabled = !preflight?.is_forkable || preflight.missing_mcps.some((m) => !acks.has(m));
  };

  const showPreflight = (p: ForkPreflight) => {
    preflight = p;
    acks.clear();
    name.placeholder = p.default_fork_name;
    replace(
      preflightBox,
      h(
        "span",
        { "data-testid": "fork-forkable" },
        p.is_forkable ? "This session can be forked." : `It cannot be forked: ${p.is_forkable_reason}`,
      ),
      " ",
      p.history_available ? "Its files and conversation come along." : "Its files come along; there is no conversation to carry over.",
      ` Source kept ${p.source_lifetime_days} days after it ends.`,
    );
    replace(
      missingBox,
      p.missing_mcps.length
        ? [
            h("p", { class: "help" }, "The source used MCP servers this profile lacks; the fork runs without them:"),
            p.missing_mcps.map((mcp) =>
              h(
                "label",
                { class: "check" },
                h("input", {
                  type: "checkbox",
                  "data-testid": `fork-ack-${mcp}`,
                  onchange: (e: Event) => {
                    if ((e.target as HTMLInputElement).checked) acks.add(mcp);
                    else acks.delete(mcp);
                    updateSubmit();
                  },
                }),
                ` Fork without ${mcp}`,
              ),
            ),
          ]
        : null,
    );
    updateSubmit();
  };

  const check = () => {
    preflight = null;
    updateSubmit();
    void app.api.forkPreflight(sourceId, profileSelect.value || undefined).then(showPreflight, (e) => {
      replace(preflightBox);
      error.textContent = (e as Error).message;
    });
  };
  profileSelect.addEventListener("change", check);
  void app.api.listProfiles().then(
    (list) => {
      replace(
        profileSelect,
        list.map((p) => h("option", { value: p.id, selected: p.is_default }, `${p.name}${p.is_default ? " (default)" : ""}`)),
      );
      check();
    },
    (e) => (error.textContent = (e as Error).message),
  );

  const form = h(
    "form",
    {
      class: "card form",
      "data-testid": "fork-form",
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault();
        if (!preflight) return;
        submit.disabled = true;
        error.textContent = "";
        const body: ForkRequest = { acknowledge_missing_tools: [...acks] };
        if (profileSelect.value) body.profile_id = profileSelect.value;
        if (name.value.trim()) body.name = name.value.trim();
        if (prompt.value.trim()) body.initial_prompt = prompt.value.trim();
        try {
          const session = await app.api.forkSession(sourceId, body);
          app.store.upsert(session);
          app.navigate(`/sessions/${session.id}`);
        } catch (err) {
          if (err instanceof AiSessionsError && err.code === "no_credentials") {
            replace(error, "Store a Claude credential first: ", h("a", { href: "/settings", "data-link": "" }, "Settings"));
          } else error.textContent = (err as Error).message;
          updateSubmit();
        }
      },
    },
    h("h1", null, "Fork session"),
    h("label", { for: "fork-profile" }, "Profile for the fork"),
    profileSelect,
    preflightBox,
    missingBox,
    h("label", { for: "fork-name" }, "Name ", h("span", { class: "muted" }, "(optional)")),
    name,
    h("label", { for: "fork-prompt" }, "First message ", h("span", { class: "muted" }, "(optional)")),
    prompt,
    error,
    h(
      "div",
      { class: "form-actions" },
      submit,
      h("a", { class: "btn btn-ghost", href: `/sessions/${sourceId}`, "data-link": "" }, "Cancel"),
    ),
  );
  page.append(form);
  return page;
}
