// The technician app: sign-in, then Machines, Sessions, Support codes, Security (two-factor
// sign-in) and (for admins) Users and the Audit log behind a hash router (#/machines …), so
// the server only ever serves one page. Errors show the server's words and correlation id in
// one banner.
import "../styles/app.css";
import { Api, ApiError } from "./api";
import { auditPage } from "./audit";
import { codesPage } from "./codes";
import { h } from "./dom";
import { loginPage, ssoArrival } from "./login";
import { securityPage } from "./security";
import { usersPage } from "./users";
import { machinesPage } from "./machines";
import { sessionsPage } from "./sessions";

const api = new Api();
const root = document.getElementById("app")!;
const banner = h("div", { class: "banner error", role: "alert", hidden: true });
/** Why the last sign-in ended, shown once on the login page. */
let signedOutBecause: string | null = null;
/** Coming back from the identity provider (read once, then taken off the address bar). */
let arrival = ssoArrival(location.search);
if (arrival.finish || arrival.error) history.replaceState(null, "", location.pathname + location.hash);

const PAGES: Record<string, { title: string; render: typeof machinesPage; adminOnly?: boolean }> = {
  machines: { title: "Machines", render: machinesPage },
  sessions: { title: "Sessions", render: sessionsPage },
  codes: { title: "Support codes", render: codesPage },
  users: { title: "Users", render: usersPage, adminOnly: true },
  audit: { title: "Audit log", render: auditPage, adminOnly: true },
  security: { title: "Security", render: securityPage },
};

/** The pages this user may open (the server refuses the rest anyway). */
function pagesFor(api: Api): [string, (typeof PAGES)[string]][] {
  return Object.entries(PAGES).filter(([, page]) => !page.adminOnly || api.user?.role === "admin");
}

function showError(e: unknown): void {
  // A role that must use a second factor and has none yet may only set it up.
  if (e instanceof ApiError && e.code === "second_factor_setup_required" && route() !== "security") {
    location.hash = "#/security";
    return;
  }
  banner.textContent = e instanceof ApiError ? e.describe() : e instanceof Error ? e.message : String(e);
  banner.dataset.unreachable = String(e instanceof ApiError && e.status === 0);
  banner.hidden = false;
}

function route(): string {
  const name = location.hash.replace(/^#\/?/, "");
  return pagesFor(api).some(([allowed]) => allowed === name) ? name : "machines";
}

function render(): void {
  banner.hidden = true;
  if (!api.signedIn) {
    root.replaceChildren(loginPage(api, render, signedOutBecause, arrival));
    signedOutBecause = null;
    arrival = { finish: false, error: null };
    return;
  }
  const current = route();
  const nav = h(
    "nav",
    { "aria-label": "Main" },
    ...pagesFor(api).map(([name, page]) =>
      h("a", { href: `#/${name}`, "aria-current": name === current ? "page" : undefined }, page.title),
    ),
  );
  const logout = h("button", { type: "button" }, "Sign out");
  logout.addEventListener("click", async () => {
    await api.logout().catch(() => undefined);
    render();
  });
  document.title = `${PAGES[current].title} – GuruConnect`;
  root.replaceChildren(
    h("header", { class: "top" }, h("strong", {}, "GuruConnect"), nav,
      h("span", { class: "who" }, api.user?.display_name || api.user?.username || ""), logout),
    banner,
    PAGES[current].render(api, showError),
  );
}

// "The server cannot be reached" goes away by itself once the server answers again (pages
// keep polling); any other error stays until the next page is shown.
api.onAnswered = () => {
  if (banner.dataset.unreachable === "true") banner.hidden = true;
};
api.onSignedOut = (reason) => {
  signedOutBecause = reason;
  render();
};
api.onSignedInElsewhere = () => void api.resume().then((ok) => ok && render());
window.addEventListener("hashchange", render);
void api.resume().finally(render);
