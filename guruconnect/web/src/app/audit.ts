// Audit log (admins): sign-ins and failed sign-ins, accounts and keys made or revoked, support
// codes and sessions, newest first, a type at a time or all, 50 to a page. Nothing secret is
// ever in it (the server records identifiers and addresses only).
import type { Api, AuditEvent } from "./api";
import { h, relativeTime } from "./dom";

const PER_PAGE = 50;

/** The event types worth picking out; "" shows them all. */
const TYPES: [string, string][] = [
  ["", "Every event"],
  ["login_succeeded", "Sign-ins"],
  ["login_failed", "Failed sign-ins"],
  ["refresh_token_replayed", "Reused sign-in tokens"],
  ["logout", "Sign-outs"],
  ["second_factor_failed", "Wrong sign-in codes"],
  ["second_factor_enabled", "Two-factor turned on"],
  ["second_factor_disabled", "Two-factor turned off"],
  ["second_factor_reset", "Two-factor reset by an admin"],
  ["user_created", "Users created"],
  ["user_disabled", "Users disabled"],
  ["agent_key_minted", "Agent keys made"],
  ["agent_key_revoked", "Agent keys revoked"],
  ["agent_auth_failed", "Agents refused"],
  ["machine_removed", "Machines removed"],
  ["support_code_created", "Support codes made"],
];

export function auditPage(api: Api, showError: (e: unknown) => void): HTMLElement {
  let page = 1;
  const type = h("select", { "aria-label": "Event type" }, ...TYPES.map(([value, label]) => h("option", { value }, label)));
  const summary = h("p", { class: "summary", role: "status" });
  const body = h("tbody");
  const previous = h("button", { type: "button" }, "Newer");
  const next = h("button", { type: "button" }, "Older");
  // Accounts by id, so "By" names people; an id stays shown when its account is gone.
  let names: Map<string, string> | null = null;
  const load = async () => {
    try {
      names ??= new Map((await api.users()).map((u) => [`user:${u.id}`, u.username]));
      const result = await api.audit(type.value, page, PER_PAGE);
      body.replaceChildren(...result.items.map((e) => row(e, names!)));
      if (result.items.length === 0) body.append(h("tr", {}, h("td", { colspan: 6 }, "No events.")));
      const first = (page - 1) * PER_PAGE + 1;
      summary.textContent = result.total === 0 ? "No events." : `Events ${first}–${first + result.items.length - 1} of ${result.total}, newest first`;
      previous.disabled = page === 1;
      next.disabled = page * PER_PAGE >= result.total;
    } catch (e) {
      showError(e);
    }
  };
  type.addEventListener("change", () => {
    page = 1;
    void load();
  });
  previous.addEventListener("click", () => {
    page = Math.max(1, page - 1);
    void load();
  });
  next.addEventListener("click", () => {
    page += 1;
    void load();
  });
  void load();
  return h(
    "section",
    { class: "page" },
    h("h1", {}, "Audit log"),
    h("div", { class: "pager" }, type, previous, next),
    summary,
    h("table", { class: "audit" },
      h("thead", {}, h("tr", {}, ...["When", "Event", "By", "Machine", "Address", "Detail"].map((t) => h("th", { scope: "col" }, t)))),
      body),
  );
}

function row(e: AuditEvent, names: Map<string, string>): HTMLElement {
  const when = h("td", {}, relativeTime(e.occurred_at));
  when.title = e.occurred_at;
  return h(
    "tr",
    { "data-event-id": e.id },
    when,
    h("td", { class: "event" }, e.event_type),
    h("td", {}, names.get(e.actor) ?? e.actor),
    h("td", {}, e.agent_id ?? ""),
    h("td", {}, e.ip),
    h("td", { class: "detail" }, detailText(e.detail)),
  );
}

/** `key: value` pairs of the detail object, as text (agent-reported values stay text). */
export function detailText(detail: unknown): string {
  if (detail === null || typeof detail !== "object") return "";
  return Object.entries(detail as Record<string, unknown>)
    .map(([key, value]) => `${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`)
    .join(", ");
}
