/** Profiles (docs/api.md §3): list, create, edit, delete, set the default. */
import type { Profile, ProfileCreate, ProfileUpdate } from "../../../schemas/profile.ts";
import { AiSessionsError } from "../../../client-core/errors.ts";
import { permissionModeDescription, permissionModeName } from "../../../client-core/permission-modes.ts";
import { h, replace, toast } from "../dom.ts";
import type { App } from "../app.ts";
import { PERMISSION_MODES } from "./new-session.ts";

export function renderProfiles(app: App): HTMLElement {
  const page = h("section", { class: "page" });
  const list = h("div", { class: "profile-grid", "data-testid": "profile-list" }, h("p", { class: "muted" }, "Loading…"));
  page.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Profiles"),
      h("a", { class: "btn btn-primary", href: "/profiles/new", "data-link": "", "data-testid": "new-profile" }, "+ New profile"),
    ),
    h(
      "p",
      { class: "muted" },
      "Saved session settings: tools allowed and denied, permission mode, limits. Up to 10; the default one is used when you start a session without choosing.",
    ),
    list,
  );
  const draw = async () => {
    let profiles: Profile[];
    try {
      profiles = await app.api.listProfiles();
    } catch (e) {
      replace(list, h("p", { class: "form-error" }, (e as Error).message));
      return;
    }
    replace(
      list,
      profiles.map((p) =>
        h(
          "article",
          { class: "card profile-card", "data-testid": "profile-card", "data-profile-name": p.name },
          h(
            "div",
            { class: "profile-head" },
            h("h2", null, p.name),
            p.is_default ? h("span", { class: "chip chip-accent", "data-testid": "default-chip" }, "Default") : null,
          ),
          p.description ? h("p", { class: "muted" }, p.description) : null,
          h(
            "dl",
            { class: "facts" },
            h("dt", null, "Mode"),
            h("dd", { title: permissionModeDescription(p.permission_mode) }, permissionModeName(p.permission_mode)),
            h("dt", null, "Allows"),
            h("dd", null, p.allowed_tools.length ? p.allowed_tools.join(", ") : "—"),
            h("dt", null, "Denies"),
            h("dd", null, p.denied_tools.length ? p.denied_tools.join(", ") : "—"),
            p.max_turns ? [h("dt", null, "Max turns"), h("dd", null, String(p.max_turns))] : null,
            p.max_budget_usd ? [h("dt", null, "Budget"), h("dd", null, `$${p.max_budget_usd}`)] : null,
          ),
          h(
            "div",
            { class: "form-actions" },
            h("a", { class: "btn btn-sm", href: `/profiles/${p.id}`, "data-link": "", "data-testid": "edit-profile" }, "Edit"),
            !p.is_default
              ? h(
                  "button",
                  {
                    class: "btn btn-sm",
                    type: "button",
                    "data-testid": "make-default",
                    onclick: async () => {
                      await app.api.setDefaultProfile(p.id);
                      toast(`${p.name} is now the default`);
                      void draw();
                    },
                  },
                  "Make default",
                )
              : null,
            !p.is_default
              ? h(
                  "button",
                  {
                    class: "btn btn-sm btn-danger",
                    type: "button",
                    "data-testid": "delete-profile",
                    onclick: async () => {
                      if (!confirm(`Delete the profile "${p.name}"?`)) return;
                      try {
                        await app.api.deleteProfile(p.id);
                        toast("Profile deleted");
                      } catch (e) {
                        toast((e as Error).message, "error");
                      }
                      void draw();
                    },
                  },
                  "Delete",
                )
              : null,
          ),
        ),
      ),
    );
  };
  void draw();
  return page;
}

const lines = (text: string) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    if (!line.trim() || line.trim().startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) throw new Error(`environment: "${line.trim()}" is not NAME=value`);
    env[line.slice(0, eq).trim()] = line.slice(eq + 1);
  }
  return env;
}

export function renderProfileForm(app: App, id: string | null): HTMLElement {
  const page = h("section", { class: "page narrow" });
  const field = (label: string, input: HTMLElement, help?: string) =>
    h("div", { class: "field" }, h("label", { for: input.id }, label), input, help ? h("p", { class: "help" }, help) : null);
  const name = h("input", { id: "pf-name", type: "text", required: true, maxlength: 100, "data-testid": "pf-name" });
  const description = h("textarea", { id: "pf-description", rows: 2, maxlength: 500 });
  const mode = h(
    "select",
    { id: "pf-mode", "data-testid": "pf-mode" },
    PERMISSION_MODES.map((m) => h("option", { value: m.value }, m.label)),
  );
  const allowed = h("textarea", { id: "pf-allowed", rows: 3, placeholder: "Read\nGrep\nBash(ls:*)", "data-testid": "pf-allowed" });
  const denied = h("textarea", { id: "pf-denied", rows: 2, placeholder: "WebFetch" });
  const model = h("input", { id: "pf-model", type: "text", placeholder: "(platform default)" });
  const maxTurns = h("input", { id: "pf-turns", type: "number", min: 1, step: 1 });
  const budget = h("input", { id: "pf-budget", type: "number", min: 0.01, step: 0.01 });
  const ttl = h("input", { id: "pf-ttl", type: "number", min: 60, max: 86400, step: 1 });
  const oneShot = h("input", { id: "pf-oneshot", type: "checkbox" });
  const env = h("textarea", { id: "pf-env", rows: 3, placeholder: "NAME=value\nTOKEN=hive://secret/my-token", spellcheck: "false" });
  const mcp = h("textarea", {
    id: "pf-mcp",
    rows: 3,
    placeholder: '{"tickets": {"type": "http", "url": "https://mcp.example.com"}}',
    spellcheck: "false",
  });
  const error = h("p", { class: "form-error", role: "alert" });
  const save = h("button", { class: "btn btn-primary", type: "submit", "data-testid": "pf-save" }, id ? "Save" : "Create profile");

  const fill = (p: Profile) => {
    name.value = p.name;
    description.value = p.description;
    mode.value = p.permission_mode;
    allowed.value = p.allowed_tools.join("\n");
    denied.value = p.denied_tools.join("\n");
    model.value = p.model ?? "";
    maxTurns.value = p.max_turns ? String(p.max_turns) : "";
    budget.value = p.max_budget_usd ? String(p.max_budget_usd) : "";
    ttl.value = p.ttl_seconds ? String(p.ttl_seconds) : "";
    oneShot.checked = p.one_shot;
    env.value = Object.entries(p.environment)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n");
    mcp.value = Object.keys(p.mcp_servers).length ? JSON.stringify(p.mcp_servers, null, 2) : "";
  };
  if (id) {
    void app.api.listProfiles().then((list) => {
      const p = list.find((x) => x.id === id);
      if (p) fill(p);
      else error.textContent = "Profile not found.";
    });
  }

  const num = (input: HTMLInputElement) => (input.value.trim() === "" ? null : Number(input.value));
  const form = h(
    "form",
    {
      class: "card form",
      "data-testid": "profile-form",
      onsubmit: async (e: SubmitEvent) => {
        e.preventDefault();
        error.textContent = "";
        let body: ProfileUpdate;
        try {
          body = {
            name: name.value.trim(),
            description: description.value.trim(),
            permission_mode: mode.value as Profile["permission_mode"],
            allowed_tools: lines(allowed.value),
            denied_tools: lines(denied.value),
            model: model.value.trim() || null,
            max_turns: num(maxTurns),
            max_budget_usd: num(budget),
            ttl_seconds: num(ttl),
            one_shot: oneShot.checked,
            environment: parseEnv(env.value),
            mcp_servers: mcp.value.trim() ? JSON.parse(mcp.value) : {},
          };
        } catch (err) {
          error.textContent = err instanceof SyntaxError ? `MCP servers: not valid JSON (${err.message})` : (err as Error).message;
          return;
        }
        save.disabled = true;
        try {
          if (id) await app.api.updateProfile(id, body);
          else {
            // Creation takes no nulls: leave unset limits out.
            const create = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null)) as ProfileCreate;
            await app.api.createProfile(create);
          }
          toast(id ? "Profile saved" : "Profile created");
          app.navigate("/profiles");
        } catch (err) {
          error.textContent =
            err instanceof AiSessionsError && err.code === "profile_limit"
              ? "You already have 10 profiles; delete one first."
              : (err as Error).message;
          save.disabled = false;
        }
      },
    },
    h("h1", null, id ? "Edit profile" : "New profile"),
    field("Name", name),
    field("Description", description),
    field("Permission mode", mode),
    field("Allowed tools", allowed, "One pattern per line: a tool name (Read), Bash(<prefix>:*), mcp__<server> or mcp__<server>__<tool>."),
    field("Denied tools", denied, "Same patterns; a denial always wins."),
    h("div", { class: "field-row" }, field("Model", model), field("Max turns", maxTurns)),
    h("div", { class: "field-row" }, field("Budget (USD)", budget), field("Lifetime (seconds)", ttl, "60 – 86400")),
    h("label", { class: "check" }, oneShot, " One-shot: end the session once its first task is done"),
    field("Environment", env, "NAME=value per line. Stored encrypted."),
    field("MCP servers (JSON)", mcp),
    error,
    h("div", { class: "form-actions" }, save, h("a", { class: "btn btn-ghost", href: "/profiles", "data-link": "" }, "Cancel")),
  );
  page.append(form);
  return page;
}
