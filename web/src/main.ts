/**
 * The AI Sessions web UI: sign in with a token, register, store a Claude credential, manage
 * profiles, and work with sessions (list with live states, chat over the session WebSocket).
 * Plain TypeScript + DOM; routes are paths (`/sessions/<id>`), served by the Worker's
 * single-page fallback.
 */
import "./styles.css";
import { AiSessionsError } from "../../client-core/errors.ts";
import { Api, tokenClaims } from "./api.ts";
import { h, onDispose, replace, toast } from "./dom.ts";
import type { App } from "./app.ts";
import { SessionStore } from "./session-store.ts";
import { renderSessionList } from "./views/session-list.ts";
import { renderSignIn, renderRegister } from "./views/signin.ts";
import { renderSwitchAccount } from "./views/switch-account.ts";
import { ChatView } from "./views/chat.ts";
import { renderNewSession } from "./views/new-session.ts";
import { renderForkForm } from "./views/chat/fork-form.ts";
import { renderSettings } from "./views/settings.ts";
import { renderProfiles, renderProfileForm } from "./views/profiles.ts";
import { renderOrgSignIn, withSignInTabs } from "./views/org-signin.ts";
import { saveOrgCredentials, startOrgView, storedOrgCredentials } from "./org-app.ts";

const TOKEN_KEY = "ai-sessions.token";

const root = document.getElementById("app")!;

/** A `#token=...` fragment (from the identity provider or a dev link) signs in, then disappears. */
function takeFragmentToken(): string | null {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match) return null;
  history.replaceState(null, "", location.pathname + location.search);
  return decodeURIComponent(match[1]!);
}

function storedToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

function saveToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lives as long as the page
  }
}

let current: { app: App; chat: ChatView | null; shell: Shell } | null = null;

interface Shell {
  el: HTMLElement;
  sidebar: HTMLElement;
  main: HTMLElement;
}

function buildShell(app: App): Shell {
  const sidebar = h("aside", { class: "sidebar", "aria-label": "Sessions" });
  const main = h("main", { class: "main", id: "main" });
  const closeDrawer = () => document.body.classList.remove("drawer-open");
  const topbar = h(
    "header",
    { class: "topbar" },
    h(
      "button",
      {
        class: "icon-btn menu-btn",
        "aria-label": "Sessions menu",
        title: "Sessions",
        onclick: () => document.body.classList.toggle("drawer-open"),
      },
      "☰",
    ),
    h("a", { class: "brand", href: "/", "data-link": "" }, h("span", { class: "brand-mark", "aria-hidden": "true" }, "◆"), " AI Sessions"),
    h("div", { class: "spacer" }),
    h("a", { class: "btn btn-primary btn-sm", href: "/new", "data-link": "", "data-testid": "new-session" }, "+ New session"),
    h("a", { class: "btn btn-ghost btn-sm", href: "/profiles", "data-link": "" }, "Profiles"),
    h("a", { class: "btn btn-ghost btn-sm", href: "/settings", "data-link": "", title: app.email ?? "Settings" }, "Settings"),
  );
  const scrim = h("div", { class: "scrim", onclick: closeDrawer });
  const el = h("div", { class: "app" }, topbar, h("div", { class: "body" }, sidebar, scrim, main));
  return { el, sidebar, main };
}

function parseRoute(pathname: string): { name: string; id?: string } {
  const m = /^\/sessions\/([A-Za-z0-9_-]+)\/?$/.exec(pathname);
  if (m) return { name: "session", id: m[1]! };
  const f = /^\/sessions\/([A-Za-z0-9_-]+)\/fork\/?$/.exec(pathname);
  if (f) return { name: "fork", id: f[1]! };
  const p = /^\/profiles\/([A-Za-z0-9_-]+)\/?$/.exec(pathname);
  if (p) return p[1] === "new" ? { name: "profile-new" } : { name: "profile", id: p[1]! };
  switch (pathname.replace(/\/$/, "") || "/") {
    case "/new":
      return { name: "new" };
    case "/settings":
      return { name: "settings" };
    case "/profiles":
      return { name: "profiles" };
    default:
      return { name: "home" };
  }
}

function renderRoute(): void {
  if (!current) return;
  const { app, shell } = current;
  const route = parseRoute(location.pathname);
  document.body.classList.remove("drawer-open");
  document.body.dataset.route = route.name;
  if (current.chat && (route.name !== "session" || current.chat.sessionId !== route.id)) {
    current.chat.destroy();
    current.chat = null;
  }
  renderSessionList(app, shell.sidebar, route.name === "session" ? route.id! : null);
  switch (route.name) {
    case "session":
      if (!current.chat) {
        current.chat = new ChatView(app, route.id!);
        replace(shell.main, current.chat.el);
      }
      document.title = "AI Sessions";
      return;
    case "fork":
      replace(shell.main, renderForkForm(app, route.id!));
      document.title = "Fork session · AI Sessions";
      return;
    case "new":
      replace(shell.main, renderNewSession(app));
      document.title = "New session · AI Sessions";
      return;
    case "settings":
      replace(shell.main, renderSettings(app));
      document.title = "Settings · AI Sessions";
      return;
    case "profiles":
      replace(shell.main, renderProfiles(app));
      document.title = "Profiles · AI Sessions";
      return;
    case "profile-new":
    case "profile":
      replace(shell.main, renderProfileForm(app, route.id ?? null));
      document.title = "Profile · AI Sessions";
      return;
    default:
      replace(shell.main, renderHome(app));
      document.title = "AI Sessions";
  }
}

function renderHome(app: App): HTMLElement {
  const el = h("section", { class: "home" });
  const draw = () => {
    const live = app.store.sessions.filter((s) => s.status !== "ended");
    const attention = live.filter((s) => s.needs_attention).length;
    replace(
      el,
      h(
        "div",
        { class: "empty-state" },
        h("h1", null, "Your sessions"),
        h(
          "p",
          { class: "muted" },
          live.length
            ? `${live.length} live session${live.length === 1 ? "" : "s"}${attention ? `, ${attention} waiting for you` : ""}. Pick one on the left, or start a new one.`
            : "Start a session: a Claude Code agent in its own sandbox, with real tools.",
        ),
        app.hasCredentials === false
          ? h(
              "div",
              { class: "callout warn" },
              "Store your Claude API key before starting a session. ",
              h("a", { href: "/settings", "data-link": "" }, "Go to settings"),
            )
          : null,
        h("a", { class: "btn btn-primary", href: "/new", "data-link": "" }, "+ New session"),
      ),
    );
  };
  draw();
  onDispose(el, app.store.subscribe(draw));
  return el;
}

function startApp(token: string): void {
  const api = new Api(token);
  const claims = tokenClaims(token);
  const store = new SessionStore(api);
  const app: App = {
    api,
    store,
    email: claims.email,
    hasCredentials: null,
    navigate(path, replaceState = false) {
      if (path !== location.pathname + location.search) {
        if (replaceState) history.replaceState(null, "", path);
        else history.pushState(null, "", path);
      }
      renderRoute();
    },
    signOut(message) {
      saveToken(null);
      current?.chat?.destroy();
      current?.app.store.stop();
      current = null;
      showSignIn(message);
    },
    async refreshCredentials() {
      try {
        app.hasCredentials = (await api.credentialStatus()).has_credentials;
      } catch {
        // keep what we knew
      }
    },
  };
  api.onUnauthorized = () => app.signOut("Your token was refused (expired or revoked). Sign in again.");
  const shell = buildShell(app);
  current = { app, chat: null, shell };
  replace(root, shell.el);
  store.start();
  renderRoute();
  void app.refreshCredentials().then(() => {
    if (app.hasCredentials === false && parseRoute(location.pathname).name === "home") renderRoute();
  });
}

/** Checks a token against the platform and routes to registration or the app. */
async function signIn(token: string): Promise<void> {
  const api = new Api(token);
  try {
    // A registered-only route: the credential routes now register on the way, so they cannot tell.
    await api.listProfiles();
    saveToken(token);
    saveOrgCredentials(null);
    startApp(token);
  } catch (error) {
    if (error instanceof AiSessionsError && error.code === "not_registered") {
      saveToken(token);
      replace(
        root,
        renderRegister(
          api,
          tokenClaims(token).email,
          async () => startApp(token),
          () => {
            saveToken(null);
            showSignIn();
          },
        ),
      );
      return;
    }
    saveToken(null);
    showSignIn(
      error instanceof AiSessionsError && error.status === 401 ? `This token was refused: ${error.message}` : (error as Error).message,
    );
  }
}

function showSignIn(message?: string, mode: "user" | "org" = "user"): void {
  document.body.dataset.route = "signin";
  const orgSignOut = (message?: string) => showSignIn(message, "org");
  const page =
    mode === "org"
      ? renderOrgSignIn(async (credentials) => {
          await startOrgView(root, credentials, orgSignOut);
          saveToken(null);
        }, message)
      : renderSignIn((token) => signIn(token), message);
  replace(
    root,
    withSignInTabs(page, mode, (other) => showSignIn(undefined, other)),
  );
}

// Links with data-link navigate inside the app.
document.addEventListener("click", (event) => {
  const a = (event.target as HTMLElement | null)?.closest?.("a[data-link]") as HTMLAnchorElement | null;
  if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  current?.app.navigate(a.getAttribute("href") ?? "/");
});
window.addEventListener("popstate", () => renderRoute());
window.addEventListener("unhandledrejection", (event) => {
  const error = event.reason;
  if (error instanceof AiSessionsError) toast(error.message, "error");
});

/** Signs in with `token`, showing progress. */
function begin(token: string): void {
  replace(root, h("div", { class: "center-page" }, h("p", { class: "muted" }, "Signing in…")));
  void signIn(token);
}

const fragment = takeFragmentToken();
const stored = storedToken();
const storedWho = stored ? tokenClaims(stored) : null;
const fragmentWho = fragment ? tokenClaims(fragment) : null;
if (fragment && stored && storedWho && fragmentWho && (fragmentWho.sub === null || fragmentWho.sub !== storedWho.sub)) {
  // A link naming someone else never replaces the signed-in user without being asked.
  replace(
    root,
    renderSwitchAccount(storedWho, fragmentWho, (switchAccount) => begin(switchAccount ? fragment : stored)),
  );
} else if (!fragment && storedOrgCredentials()) {
  // Signed in with an org key last time: the org's read-only rules view.
  const org = storedOrgCredentials()!;
  replace(root, h("div", { class: "center-page" }, h("p", { class: "muted" }, "Signing in…")));
  startOrgView(root, org, (message) => showSignIn(message, "org")).catch((error: Error) => showSignIn(error.message, "org"));
} else if (fragment ?? stored) begin((fragment ?? stored)!);
else showSignIn();
