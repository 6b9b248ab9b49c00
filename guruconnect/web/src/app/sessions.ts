// Sessions: what is live or recent, with Join (opens the viewer) and End for live ones.
import type { Api, Session } from "./api";
import { h, relativeTime } from "./dom";
import { joinButton } from "./viewer-tab";

const LIVE = new Set(["waiting", "active", "agent_offline"]);

export function sessionsPage(api: Api, showError: (e: unknown) => void): HTMLElement {
  const body = h("tbody");
  const load = async () => {
    try {
      const page = await api.sessions();
      body.replaceChildren(...page.items.map(row));
      if (page.items.length === 0) body.append(h("tr", {}, h("td", { colspan: 6 }, "No sessions yet.")));
    } catch (e) {
      showError(e);
    }
  };
  const row = (s: Session) => {
    const end = h("button", { type: "button", class: "danger" }, "End");
    end.setAttribute("aria-label", `End session ${s.id}`);
    end.addEventListener("click", async () => {
      end.disabled = true;
      try {
        await api.endSession(s.id);
      } catch (e) {
        showError(e);
      }
      await load();
    });
    return h(
      "tr",
      { "data-session-id": s.id },
      h("td", {}, s.agent_id),
      h("td", {}, s.mode),
      h("td", {}, s.source),
      h("td", { class: "status" }, s.status, s.end_reason ? ` (${s.end_reason})` : ""),
      h("td", {}, relativeTime(s.started_at ?? s.created_at)),
      h("td", {}, LIVE.has(s.status) ? h("span", { class: "actions" }, joinButton(api, s.id, `Join session ${s.id}`, showError), end) : null),
    );
  };
  void load();
  const refresher = setInterval(() => {
    if (!document.body.contains(body)) clearInterval(refresher);
    else if (document.visibilityState === "visible") void load();
  }, 5000);
  return h(
    "section",
    { class: "page" },
    h("h1", {}, "Sessions"),
    h("table", { class: "sessions" },
      h("thead", {}, h("tr", {}, ...["Machine", "Mode", "Source", "Status", "Started", ""].map((t) => h("th", { scope: "col" }, t)))),
      body),
  );
}
