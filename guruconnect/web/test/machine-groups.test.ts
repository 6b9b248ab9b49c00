// The machines list's groups carry the server's whole-fleet counts, whatever page is shown.
import { expect, it } from "vitest";
import type { Machine, MachineGroup } from "../src/app/api";
import { pageGroups, pageRange, totals } from "../src/app/machine-groups";

const m = (hostname: string, organization: string, online = false) => ({ hostname, organization, online }) as Machine;
const groups: MachineGroup[] = [
  { organization: "Acme", total: 150, online: 40 },
  { organization: "Beta", total: 60, online: 60 },
  { organization: "", total: 3, online: 0 },
];

it("a page's groups keep the server's order and carry the whole company's counts", () => {
  const page = pageGroups([m("a1", "Acme"), m("a2", "Acme", true), m("b1", "Beta")], groups, 0);
  expect(page.map((g) => [g.company, g.machines.map((x) => x.hostname), g.total, g.online, g.continued])).toEqual([
    ["Acme", ["a1", "a2"], 150, 40, false],
    ["Beta", ["b1"], 60, 60, false],
  ]);
});

it("a company that began on an earlier page is marked continued", () => {
  const page = pageGroups([m("a101", "Acme"), m("b1", "Beta")], groups, 100);
  expect(page.map((g) => g.continued)).toEqual([true, false]);
  expect(pageGroups([m("b1", "Beta")], groups, 150)[0].continued).toBe(false);
});

it("totals sum every group, and the range says where the page sits", () => {
  expect(totals(groups)).toEqual({ total: 213, online: 100 });
  expect(pageRange(2, 100, 213)).toBe("101–200 of 213");
  expect(pageRange(3, 100, 213)).toBe("201–213 of 213");
  expect(pageRange(1, 100, 0)).toBe("none");
  expect(pageRange(1, 100, 4500)).toBe("1–100 of 4,500");
});
