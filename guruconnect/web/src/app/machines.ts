// Machines: search (the server's `?q=` syntax), grouped by company, online state, and Connect,
// which starts an unattended machine's session and opens the viewer in a new tab; an attended
// machine (a support-code visit) offers Join while its session is live.
import type { Api, Machine } from "./api";
import { h, relativeTime } from "./dom";
import { joinButton, openViewerTab } from "./viewer-tab";

export function machinesPage(api: Api, showError: (e: unknown) => void): HTMLElement {
  const search = h("input", {
    id: "machine-search",
    type: "search",
    placeholder: "Search: name, user, IP, os:windows, company:acme …",
    "aria-label": "Search machines",
  });
  const summary = h("p", { class: "summary", "aria-live": "polite" });
  const list = h("div", { class: "machine-groups" });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

  const load = async () => {
    const mine = ++generation;
    try {
      const page = await api.machines(search.value);
      if (mine !== generation) return; // a newer search answered first
      summary.textContent = `${page.total} machine${page.total === 1 ? "" : "s"}, ${page.items.filter((m) => m.online).length} online`;
      list.replaceChildren(...groups(page.items).map(([company, machines]) => group(company, machines)));
    } catch (e) {
      showError(e);
    }
  };

  const group = (company: string, machines: Machine[]) =>
    h(
      "section",
      { class: "group", "aria-label": company || "No company" },
      h("h2", {}, company || "No company", h("span", { class: "count" }, ` (${machines.length})`)),
      h(
        "table",
        { class: "machines" },
        h("thead", {}, h("tr", {}, ...["Machine", "Status", "User", "OS", "Address", "Last seen", ""].map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...machines.map(row)),
      ),
    );

  const row = (m: Machine) => {
    return h(
      "tr",
      { "data-agent-id": m.agent_id },
      h("td", { class: "hostname" }, m.hostname || m.agent_id),
      h("td", {}, h("span", { class: m.online ? "badge online" : "badge offline" }, m.online ? "Online" : "Offline"),
        m.viewers > 0 ? h("span", { class: "badge" }, ` ${m.viewers} viewing`) : null),
      h("td", { class: "user" }, m.logged_on_user),
      h("td", { class: "os" }, [m.os_name, m.os_version].filter(Boolean).join(" ")),
      h("td", {}, m.private_ips[0] ?? ""),
      h("td", {}, m.online ? "now" : relativeTime(m.last_seen_at)),
      h("td", {}, action(m)),
    );
  };

  const action = (m: Machine): HTMLElement => {
    const name = m.hostname || m.agent_id;
    if (!m.is_persistent && m.online && m.session_id) return joinButton(api, m.session_id, `Join the session on ${name}`, showError);
    const connect = h("button", { type: "button", class: "primary", disabled: !m.online || !m.is_persistent }, "Connect");
    connect.setAttribute("aria-label", `Connect to ${name}`);
    if (!m.is_persistent) connect.title = "An attended machine: it can be joined only while its end user runs the agent with a support code.";
    connect.addEventListener("click", () => void openViewerTab(api, async () => (await api.startSession(m.agent_id)).id, showError));
    return connect;
  };

  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(load, 250);
  });
  void load();
  const refresher = setInterval(() => {
    if (!document.body.contains(list)) clearInterval(refresher);
    else if (document.visibilityState === "visible") void load();
  }, 10_000);
  return h("section", { class: "page" }, h("h1", {}, "Machines"), search, summary, list);
}

/** Sorted company groups, each sorted online first, then by name. */
export function groups(machines: Machine[]): [string, Machine[]][] {
  const byCompany = new Map<string, Machine[]>();
  for (const m of machines) {
    const key = m.organization.trim();
    byCompany.set(key, [...(byCompany.get(key) ?? []), m]);
  }
  for (const list of byCompany.values()) {
    list.sort((a, b) => Number(b.online) - Number(a.online) || a.hostname.localeCompare(b.hostname));
  }
  return [...byCompany.entries()].sort(([a], [b]) => (a === "" ? 1 : b === "" ? -1 : a.localeCompare(b)));
}
