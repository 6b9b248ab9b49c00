// The pure parts of the machines list: a page of machines (in the server's order: company,
// then hostname) cut into company groups that carry the server's whole-fleet counts, and the
// words for where a page sits in the list.
import type { Machine, MachineGroup } from "./api";

export interface PageGroup {
  company: string;
  machines: Machine[];
  /** The company's machines and online machines in the whole (searched) fleet. */
  total: number;
  online: number;
  /** The company's first machines are on an earlier page. */
  continued: boolean;
}

/** Cuts `items`, the page starting at `offset` of the list, into its companies' groups. */
export function pageGroups(items: Machine[], groups: MachineGroup[], offset: number): PageGroup[] {
  const starts = new Map<string, number>();
  let position = 0;
  for (const g of groups) {
    starts.set(g.organization, position);
    position += g.total;
  }
  const counts = new Map(groups.map((g) => [g.organization, g]));
  const out: PageGroup[] = [];
  for (const m of items) {
    const last = out[out.length - 1];
    if (last && last.company === m.organization) {
      last.machines.push(m);
      continue;
    }
    const group = counts.get(m.organization);
    out.push({
      company: m.organization,
      machines: [m],
      // A machine newer than the counts: the page is right about it being there.
      total: group?.total ?? 1,
      online: group?.online ?? Number(m.online),
      continued: out.length === 0 && (starts.get(m.organization) ?? offset) < offset,
    });
  }
  return out;
}

/** Sums of every group: the fleet (or search) as a whole. */
export function totals(groups: MachineGroup[]): { total: number; online: number } {
  return groups.reduce((sum, g) => ({ total: sum.total + g.total, online: sum.online + g.online }), { total: 0, online: 0 });
}

const number = new Intl.NumberFormat("en");

export function count(n: number, noun: string): string {
  return `${number.format(n)} ${noun}${n === 1 ? "" : "s"}`;
}

/** "101–200 of 1,250" for page 2 of 100 per page. */
export function pageRange(page: number, perPage: number, total: number): string {
  if (total === 0) return "none";
  const first = (page - 1) * perPage + 1;
  const last = Math.min(page * perPage, total);
  return `${number.format(first)}–${number.format(last)} of ${number.format(total)}`;
}
