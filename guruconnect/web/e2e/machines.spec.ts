// The machines list past one page: hundreds of machines registered by agents speaking the real
// protocol. The company counts are the whole fleet's, and every machine is reachable by paging
// and by the company filter.
import WebSocket from "ws";
import type { Page } from "@playwright/test";
import { AgentMode, decode, encode, PROTOCOL_VERSION } from "../src/protocol/wire";
import type { Stack } from "./stack";
import { expect, test } from "./fixtures";

/** (company, machines, of which stay connected). More than the list's 100 per page, and 200. */
const FLEET: [string, number, number][] = [
  ["Fleet North", 230, 0],
  ["Fleet South", 41, 5],
];

/** Registers one machine with its company label; returns the socket (still connected). */
async function register(stack: Stack, agentId: string, company: string): Promise<WebSocket> {
  const { key } = await stack.api<{ key: string }>("POST", "/api/agent-keys", { agent_id: agentId });
  const ws = new WebSocket(`${stack.gcUrl.replace("http", "ws")}/ws/agent`);
  await new Promise((ok, fail) => ws.once("open", ok).once("error", fail));
  const hello = new Promise<void>((ok) =>
    ws.on("message", (data: Buffer) => {
      if (decode(new Uint8Array(data))?.$case === "serverHello") ok();
    }),
  );
  ws.send(encode({
    $case: "agentHello",
    value: {
      protocolVersion: PROTOCOL_VERSION, machineUid: `uid-${agentId}`, agentId, mode: AgentMode.AGENT_MODE_UNATTENDED,
      agentVersion: "0.0.0", credential: { $case: "agentKey", value: key }, hostname: agentId, os: "Linux",
    },
  }));
  await hello;
  ws.send(encode({
    $case: "agentStatus",
    value: {
      hostname: agentId, osName: "Debian GNU/Linux", osVersion: "12", osArch: "x86_64", cpuModel: "", cpuCores: 1,
      ramBytes: 0n, manufacturer: "", model: "", serialNumber: "", addresses: [], loggedOnUser: "",
      idleSeconds: 0, timeZone: "", uptimeSeconds: 0n, agentVersion: "", userIsLocalAdmin: false,
      organization: company, site: "", department: "", deviceType: "", tags: [],
    },
  }));
  return ws;
}

async function seed(stack: Stack): Promise<WebSocket[]> {
  const kept: WebSocket[] = [];
  for (const [company, count, connected] of FLEET) {
    const prefix = company.toLowerCase().replace(" ", "-");
    for (let start = 0; start < count; start += 20) {
      const batch = Array.from({ length: Math.min(20, count - start) }, (_, i) => start + i);
      const sockets = await Promise.all(batch.map((i) => register(stack, `${prefix}-${String(i).padStart(3, "0")}`, company)));
      sockets.forEach((ws, i) => (batch[i] < connected ? kept.push(ws) : ws.close()));
    }
  }
  // The inventory (the company label) is stored once the server read it, and a closed socket
  // is offline once the server saw it close: wait for both, or the counts read next are stale.
  await expect.poll(async () => {
    const groups = await stack.api<{ organization: string; total: number; online: number }[]>("GET", "/api/machine-groups");
    return FLEET.map(([company]) => {
      const group = groups.find((g) => g.organization === company);
      return [group?.total ?? 0, group?.online ?? 0];
    });
  }, { timeout: 30_000 }).toEqual(FLEET.map(([, count, connected]) => [count, connected]));
  return kept;
}

async function signIn(page: Page, stack: Stack) {
  await page.goto(stack.gcUrl);
  await page.getByLabel("Username").fill(stack.admin.username);
  await page.getByLabel("Password").fill(stack.admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
}

test("hundreds of machines: true company counts, and every machine reachable by page and by company", async ({ page, stack }) => {
  test.setTimeout(180_000);
  const kept = await seed(stack);
  try {
    const fleet = await stack.api<{ total: number; online: number }[]>("GET", "/api/machine-groups");
    const total = fleet.reduce((n, g) => n + g.total, 0);
    const online = fleet.reduce((n, g) => n + g.online, 0);
    await signIn(page, stack);
    await expect(page.locator(".summary")).toHaveText(`${total.toLocaleString("en")} machines, ${online} online`);
    await expect(page.locator("tr[data-agent-id]")).toHaveCount(100);
    const top = page.getByRole("navigation", { name: "Machine pages, top" });
    await expect(top).toContainText(`1–100 of ${total}`);

    // The whole company, counted by the server, whatever page shows it.
    const north = page.getByRole("region", { name: "Fleet North" });
    await expect(north.getByRole("heading")).toHaveText("Fleet North (230 machines, 0 online)");

    // One company: its machines across three pages, the last one marked as continued.
    await page.getByRole("combobox", { name: "Company" }).selectOption({ label: "Fleet North (230)" });
    await expect(page.locator(".summary")).toHaveText("230 machines, 0 online");
    await top.getByRole("button", { name: "Next page" }).click();
    await top.getByRole("button", { name: "Next page" }).click();
    await expect(top).toContainText("201–230 of 230");
    await expect(page.locator("tr[data-agent-id]")).toHaveCount(30);
    await expect(page.locator('tr[data-agent-id="fleet-north-229"]')).toBeVisible();
    await expect(north.getByRole("heading")).toHaveText("Fleet North (230 machines, 0 online, continued)");
    await expect(top.getByRole("button", { name: "Next page" })).toBeDisabled();

    await page.getByRole("combobox", { name: "Company" }).selectOption({ label: "Fleet South (41)" });
    await expect(page.locator(".summary")).toHaveText("41 machines, 5 online");
    await expect(page.locator("tr[data-agent-id]")).toHaveCount(41);
    await expect(top).toBeHidden();
  } finally {
    for (const ws of kept) ws.close();
  }
});
