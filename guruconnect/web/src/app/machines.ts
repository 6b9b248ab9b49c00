// Machines: search (the server's `?q=` syntax), a company filter, and pages of the list
// grouped by company, with counts the server makes over the whole fleet (a page cannot know
// them), so thousands of machines stay fast and every one is reachable. Connect starts an
// unattended machine's session and opens the viewer in a new tab; an attended machine (a
// support-code visit) offers Join while its session is live.
import type { Api, Machine, MachineGroup } from "./api";
import { h, relativeTime } from "./dom";
import { count, pageGroups, pageRange, type PageGroup, totals } from "./machine-groups";
import { joinButton, openViewerTab } from "./viewer-tab";

export const PER_PAGE = 100;
const COLUMNS = ["Machine", "Status", "User", "OS", "Address", "Last seen", ""];

export function machinesPage(api: Api, showError: (e: unknown) => void): HTMLElement {
  const search = h("input", {
    id: "machine-search",
    type: "search",
    placeholder: "Search: name, user, IP, os:windows, company:acme …",
    "aria-label": "Search machines",
  });
  const company = h("select", { id: "machine-company", "aria-label": "Company" });
  const summary = h("p", { class: "summary", "aria-live": "polite" });
  const list = h("div", { class: "machine-groups" });
  const pagers = [pager("Machine pages, top"), pager("Machine pages, bottom")];
  let page = 1;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let generation = 0;

  const load = async () => {
    const mine = ++generation;
    const organization = chosenCompany(company);
    try {
      const [groups, machines] = await Promise.all([
        api.machineGroups(search.value),
        api.machines(search.value, organization, page, PER_PAGE),
      ]);
      if (mine !== generation) return; // a newer search answered first
      if (machines.items.length === 0 && page > 1 && machines.total > 0) {
        page = Math.ceil(machines.total / PER_PAGE); // the list shrank under this page
        return load();
      }
      fillCompanies(company, groups, organization);
      const shown = organization === null ? totals(groups) : totals(groups.filter((g) => g.organization === organization));
      summary.textContent = `${count(shown.total, "machine")}, ${shown.online.toLocaleString("en")} online`;
      const offset = (page - 1) * PER_PAGE;
      list.replaceChildren(...pageGroups(machines.items, groups, offset).map(group));
      for (const p of pagers) p.show(page, machines.total);
    } catch (e) {
      showError(e);
    }
  };

  const group = (g: PageGroup) =>
    h("section", { class: "group", "aria-label": g.company || "No company" },
      h("h2", {}, g.company || "No company",
        h("span", { class: "count" }, ` (${count(g.total, "machine")}, ${g.online.toLocaleString("en")} online${g.continued ? ", continued" : ""})`)),
      h("table", { class: "machines" },
        h("thead", {}, h("tr", {}, ...COLUMNS.map((t) => h("th", { scope: "col" }, t)))),
        h("tbody", {}, ...g.machines.map(row))));

  const row = (m: Machine) =>
    h("tr", { "data-agent-id": m.agent_id },
      h("td", { class: "hostname" }, m.hostname || m.agent_id),
      h("td", {}, h("span", { class: m.online ? "badge online" : "badge offline" }, m.online ? "Online" : "Offline"),
        m.viewers > 0 ? h("span", { class: "badge" }, ` ${m.viewers} viewing`) : null),
      h("td", { class: "user" }, m.logged_on_user),
      h("td", { class: "os" }, [m.os_name, m.os_version].filter(Boolean).join(" ")),
      h("td", {}, m.private_ips[0] ?? ""),
      h("td", {}, m.online ? "now" : relativeTime(m.last_seen_at)),
      h("td", {}, action(m)));

  const action = (m: Machine): HTMLElement => {
    const name = m.hostname || m.agent_id;
    if (!m.is_persistent && m.online && m.session_id) return joinButton(api, m.session_id, `Join the session on ${name}`, showError);
    const connect = h("button", { type: "button", class: "primary", disabled: !m.online || !m.is_persistent }, "Connect");
    connect.setAttribute("aria-label", `Connect to ${name}`);
    if (!m.is_persistent) connect.title = "An attended machine: it can be joined only while its end user runs the agent with a support code.";
    connect.addEventListener("click", () => void openViewerTab(api, async () => (await api.startSession(m.agent_id)).id, showError));
    return connect;
  };

  const restart = () => {
    page = 1;
    void load();
  };
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(restart, 250);
  });
  company.addEventListener("change", restart);
  for (const p of pagers) {
    p.onMove((delta) => {
      page = Math.max(1, page + delta);
      summary.scrollIntoView({ block: "nearest" });
      void load();
    });
  }
  void load();
  const refresher = setInterval(() => {
    if (!document.body.contains(list)) clearInterval(refresher);
    else if (document.visibilityState === "visible") void load();
  }, 10_000);
  return h("section", { class: "page" }, h("h1", {}, "Machines"),
    h("div", { class: "filters" }, search, company), summary, pagers[0].element, list, pagers[1].element);
}

/** Option values: "all", or "company:" and the company's exact name (which may be empty). */
const ALL = "all";
const COMPANY = "company:";

function chosenCompany(select: HTMLSelectElement): string | null {
  return select.value.startsWith(COMPANY) ? select.value.slice(COMPANY.length) : null;
}

/** The company filter: every group with its counts, keeping the current choice. */
function fillCompanies(select: HTMLSelectElement, groups: MachineGroup[], chosen: string | null): void {
  const all = totals(groups);
  const option = (organization: string, total: number) =>
    h("option", { value: COMPANY + organization }, `${organization || "No company"} (${total.toLocaleString("en")})`);
  const options = [
    h("option", { value: ALL }, `All companies (${all.total.toLocaleString("en")})`),
    ...groups.map((g) => option(g.organization, g.total)),
  ];
  if (chosen !== null && !groups.some((g) => g.organization === chosen)) options.push(option(chosen, 0));
  select.replaceChildren(...options);
  select.value = chosen === null ? ALL : COMPANY + chosen;
}

/** Previous / Next with where the page sits in the list; hidden when one page holds it all. */
function pager(name: string) {
  const label = h("span", { class: "range" });
  const previous = h("button", { type: "button" }, "Previous page");
  const next = h("button", { type: "button" }, "Next page");
  const element = h("nav", { class: "pager", "aria-label": name, hidden: true }, previous, label, next);
  return {
    element,
    show(page: number, total: number) {
      element.hidden = total <= PER_PAGE;
      label.textContent = pageRange(page, PER_PAGE, total);
      previous.disabled = page <= 1;
      next.disabled = page * PER_PAGE >= total;
    },
    onMove(move: (delta: number) => void) {
      previous.addEventListener("click", () => move(-1));
      next.addEventListener("click", () => move(1));
    },
  };
}
