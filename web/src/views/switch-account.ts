/**
 * Asked when a `#token=` link would sign in as someone other than the signed-in user. Such a
 * link can come from anyone (a page, a chat message, an agent's output), so following it must
 * never silently replace who you are: otherwise an attacker's link signs you into the
 * attacker's account (login CSRF) and your next prompts, files and keys land there.
 */
import { h } from "../dom.ts";

/** Who a token names, for people: its email, else its subject, else a shrug. */
function describe(who: { email: string | null; sub: string | null }): string {
  return who.email ?? who.sub ?? "an unknown account";
}

export function renderSwitchAccount(
  current: { email: string | null; sub: string | null },
  offered: { email: string | null; sub: string | null },
  choose: (switchAccount: boolean) => void,
): HTMLElement {
  return h(
    "div",
    { class: "center-page" },
    h(
      "div",
      { class: "card auth-card", role: "alertdialog", "aria-labelledby": "switch-title", "data-testid": "switch-account" },
      h("div", { class: "auth-brand" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), " AI Sessions"),
      h("h1", { id: "switch-title" }, "Switch account?"),
      h("p", null, "You are signed in as ", h("strong", { "data-testid": "current-account" }, describe(current)), "."),
      h(
        "p",
        null,
        "The link you opened would sign you in as ",
        h("strong", { "data-testid": "offered-account" }, describe(offered)),
        " instead.",
      ),
      h("p", { class: "muted" }, "Only switch if you asked for this link yourself."),
      h(
        "button",
        { class: "btn btn-primary btn-block", type: "button", "data-testid": "stay", onclick: () => choose(false) },
        `Stay signed in as ${describe(current)}`,
      ),
      h(
        "button",
        { class: "btn btn-block", type: "button", "data-testid": "switch", onclick: () => choose(true) },
        `Switch to ${describe(offered)}`,
      ),
    ),
  );
}
