/** Start a session: pick a profile (the default preselected), optionally override its mode, name it, and give a first prompt. */
import type { SessionCreate } from "../../../schemas/session.ts";
import { AiSessionsError } from "../../../client-core/errors.ts";
import { h, replace } from "../dom.ts";
import type { App } from "../app.ts";
import { permissionModeDescription, permissionModeName } from "../../../client-core/permission-modes.ts";

/** The modes a profile or a session may choose, as the pickers list them. */
export const PERMISSION_MODES = (["acceptEdits", "plan", "bypassPermissions"] as const).map((value) => ({
  value,
  label: `${permissionModeName(value)} — ${permissionModeDescription(value)}`,
}));

/** How the picker names a profile: "(default)" marks the default one unless its name already says so. */
export function profileOptionLabel(p: { name: string; is_default: boolean }): string {
  return p.is_default && p.name.trim().toLowerCase() !== "default" ? `${p.name} (default)` : p.name;
}

export function renderNewSession(app: App): HTMLElement {
  const page = h("section", { class: "page narrow" });
  const profileSelect = h("select", { id: "ns-profile", name: "profile", "data-testid": "ns-profile" });
  const modeSelect = h(
    "select",
    { id: "ns-mode", name: "mode", "data-testid": "ns-mode" },
    h("option", { value: "" }, "As the profile says"),
    PERMISSION_MODES.map((m) => h("option", { value: m.value }, m.label)),
  );
  const name = h("input", {
    id: "ns-name",
    name: "name",
    type: "text",
    maxlength: 200,
    placeholder: "e.g. Triage alert 4721",
    "data-testid": "ns-name",
  });
  const prompt = h("textarea", {
    id: "ns-prompt",
    name: "prompt",
    rows: 4,
    placeholder: "What should the agent do? (optional: you can also write in the chat)",
    "data-testid": "ns-prompt",
  });
  const error = h("p", { class: "form-error", role: "alert" });
  const submit = h("button", { class: "btn btn-primary", type: "submit", "data-testid": "ns-create" }, "Start session");
  const profileHint = h("p", { class: "help" });

  let profiles: Awaited<ReturnType<App["api"]["listProfiles"]>> = [];
  // The hint describes the session as it will run: an overridden mode replaces the profile's
  // mode and its description (which speaks of the profile's own mode).
  const describe = () => {
    const p = profiles.find((x) => x.id === profileSelect.value);
    if (!p) return replace(profileHint);
    const mode = modeSelect.value || p.permission_mode;
    const overridden = mode !== p.permission_mode;
    replace(
      profileHint,
      h("strong", { "data-testid": "ns-effective-mode" }, permissionModeName(mode)),
      `: ${permissionModeDescription(mode)}`,
      p.allowed_tools.length ? ` · allows ${p.allowed_tools.slice(0, 6).join(", ")}${p.allowed_tools.length > 6 ? "…" : ""}` : "",
      p.denied_tools.length ? ` · denies ${p.denied_tools.join(", ")}` : "",
      p.description && !overridden ? ` — ${p.description}` : "",
    );
  };
  profileSelect.addEventListener("change", describe);
  modeSelect.addEventListener("change", describe);
  void app.api.listProfiles().then(
    (list) => {
      profiles = list;
      replace(
        profileSelect,
        list.map((p) => h("option", { value: p.id, selected: p.is_default }, profileOptionLabel(p))),
      );
      describe();
    },
    (e) => (error.textContent = (e as Error).message),
  );

  const form = h(
    "form",
    {
      class: "card form",
      "data-testid": "new-session-form",
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault();
        submit.disabled = true;
        error.textContent = "";
        const body: SessionCreate = {};
        if (profileSelect.value) body.profile_id = profileSelect.value;
        if (modeSelect.value) body.permission_mode = modeSelect.value as SessionCreate["permission_mode"];
        if (name.value.trim()) body.name = name.value.trim();
        if (prompt.value.trim()) body.initial_prompt = prompt.value.trim();
        try {
          const session = await app.api.createSession(body);
          app.store.upsert(session);
          app.navigate(`/sessions/${session.id}`);
        } catch (err) {
          if (err instanceof AiSessionsError && err.code === "no_credentials") {
            replace(error, "Store a Claude credential first: ", h("a", { href: "/settings", "data-link": "" }, "Settings"));
          } else if (err instanceof AiSessionsError && err.code === "max_concurrent_sessions") {
            error.textContent = "You already have 10 live sessions. Terminate one first.";
          } else error.textContent = (err as Error).message;
          submit.disabled = false;
        }
      },
    },
    h("h1", null, "New session"),
    h("label", { for: "ns-profile" }, "Profile"),
    profileSelect,
    profileHint,
    h("label", { for: "ns-mode" }, "Permission mode"),
    modeSelect,
    h("label", { for: "ns-name" }, "Name ", h("span", { class: "muted" }, "(optional)")),
    name,
    h("label", { for: "ns-prompt" }, "First message ", h("span", { class: "muted" }, "(optional)")),
    prompt,
    error,
    h("div", { class: "form-actions" }, submit, h("a", { class: "btn btn-ghost", href: "/", "data-link": "" }, "Cancel")),
  );
  page.append(form);
  return page;
}
