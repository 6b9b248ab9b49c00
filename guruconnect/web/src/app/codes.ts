// Support codes (attended sessions): create one, hand the person at the machine the code, the
// agent download and the exact command that reaches this server; follow the code until its
// session is live and Join it from here.
import type { AgentDownloads, Api, Session, SupportCode } from "./api";
import { h, relativeTime } from "./dom";
import { endUserSteps } from "./instructions";
import { joinButton } from "./viewer-tab";

/** How often the list is re-read while the page is visible: the technician is waiting. */
const REFRESH_MS = 3000;

export function codesPage(api: Api, showError: (e: unknown) => void): HTMLElement {
  const note = h("input", { id: "code-note", maxlength: 200, placeholder: "e.g. ticket 4312, printer issue" });
  const created = h("div", { class: "created-code", "aria-live": "polite" });
  const body = h("tbody");
  let downloads: Promise<AgentDownloads> | null = null;

  const load = async () => {
    try {
      const [codes, live] = await Promise.all([api.codes(), api.liveSessions()]);
      const sessions = new Map(live.map((s) => [s.id, s]));
      body.replaceChildren(...codes.map((c) => row(c, c.session_id ? sessions.get(c.session_id) : undefined)));
      if (codes.length === 0) body.append(h("tr", {}, h("td", { colspan: 5 }, "No support codes yet.")));
    } catch (e) {
      showError(e);
    }
  };

  const row = (c: SupportCode, session: Session | undefined) => {
    let action: HTMLElement | null = null;
    if (c.status === "pending") {
      const cancel = h("button", { type: "button" }, "Cancel");
      cancel.setAttribute("aria-label", `Cancel code …${c.code_hint}`);
      cancel.addEventListener("click", async () => {
        try {
          await api.cancelCode(c.id);
        } catch (e) {
          showError(e);
        }
        await load();
      });
      action = cancel;
    } else if (session) {
      action = joinButton(api, session.id, `Join the session of code …${c.code_hint}`, showError);
    }
    return h("tr", { "data-code-id": c.id },
      h("td", {}, `…${c.code_hint}`),
      h("td", {}, c.note),
      h("td", { class: "status" }, codeStatus(c, session)),
      h("td", {}, relativeTime(c.created_at)),
      h("td", {}, action));
  };

  const form = h("form", { class: "inline" },
    h("label", { for: "code-note" }, "Note"), note,
    h("button", { type: "submit", class: "primary" }, "Create support code"));
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      downloads ??= api.agentDownloads();
      const [code, setup] = await Promise.all([api.createCode(note.value), downloads]);
      created.replaceChildren(
        h("p", {}, "Read this code to the person you are helping:"),
        h("p", { class: "code", "data-testid": "support-code" }, code.code),
        h("p", { class: "hint" }, `The code works once and expires at ${new Date(code.expires_at).toLocaleTimeString()}. Once they accept, Join appears in the list below.`),
        endUserSteps(code.code, setup),
      );
      note.value = "";
      await load();
    } catch (err) {
      downloads = null;
      showError(err);
    }
  });

  void load();
  const refresher = setInterval(() => {
    if (!document.body.contains(body)) clearInterval(refresher);
    else if (document.visibilityState === "visible") void load();
  }, REFRESH_MS);
  return h("section", { class: "page" }, h("h1", {}, "Support codes"), form, created,
    h("h2", {}, api.user?.role === "admin" ? "All codes" : "Your codes"),
    h("table", { class: "codes" },
      h("thead", {}, h("tr", {}, ...["Code", "Note", "Status", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
      body));
}

/** The code's state, and once redeemed, its session's. */
export function codeStatus(c: SupportCode, session: Session | undefined): string {
  if (c.status !== "used") return c.status;
  if (!c.session_id) return "used";
  if (!session) return "used: session ended";
  return session.status === "active" ? "used: session live" : `used: session ${session.status.replace("_", " ")}`;
}
