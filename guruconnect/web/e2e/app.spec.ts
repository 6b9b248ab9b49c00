// The technician app around the viewer: agent-reported text stays text, errors carry the
// server's words and correlation id, support codes, and ending a session from the list.
import WebSocket from "ws";
import { AgentMode, decode, encode, PROTOCOL_VERSION } from "../src/protocol/wire";
import { AGENT_ID } from "./stack";
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";

const XSS_HOST = `<img src=x onerror="window.__pwned='host'">`;
const XSS_OS = `<script>window.__pwned='os'</script>`;
const XSS_USER = `"><svg onload="window.__pwned='user'">`;

/** A hostile machine: the real protocol from Node, with script payloads in what it reports. */
async function hostileAgent(gcUrl: string, key: string): Promise<WebSocket> {
  const ws = new WebSocket(`${gcUrl.replace("http", "ws")}/ws/agent`);
  await new Promise((ok, fail) => ws.once("open", ok).once("error", fail));
  ws.send(
    encode({
      $case: "agentHello",
      value: {
        protocolVersion: PROTOCOL_VERSION,
        machineUid: "hostile-machine",
        agentId: "hostile",
        mode: AgentMode.AGENT_MODE_UNATTENDED,
        agentVersion: "0.0.0",
        credential: { $case: "agentKey", value: key },
        hostname: XSS_HOST,
        os: XSS_OS,
      },
    }),
  );
  await new Promise<void>((ok) =>
    ws.on("message", (data: Buffer) => {
      if (decode(new Uint8Array(data))?.$case === "serverHello") ok();
    }),
  );
  ws.send(
    encode({
      $case: "agentStatus",
      value: {
        hostname: XSS_HOST, osName: XSS_OS, osVersion: "", osArch: "", cpuModel: "", cpuCores: 1,
        ramBytes: 0n, manufacturer: "", model: "", serialNumber: "", addresses: [], loggedOnUser: XSS_USER,
        idleSeconds: 0, timeZone: "", uptimeSeconds: 0n, agentVersion: "", userIsLocalAdmin: false,
        organization: "Hostile Co", site: "", department: "", deviceType: "", tags: [],
      },
    }),
  );
  return ws;
}

async function signIn(page: Page, gcUrl: string, username: string, password: string) {
  await page.goto(gcUrl);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("script payloads reported by an agent render as inert text", async ({ page, stack }) => {
  const { key } = await stack.api<{ key: string }>("POST", "/api/agent-keys", { agent_id: "hostile" });
  const ws = await hostileAgent(stack.gcUrl, key);
  try {
    await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
    const row = page.locator('tr[data-agent-id="hostile"]');
    await expect(row.locator(".user")).toHaveText(XSS_USER);
    await expect(row.locator(".hostname")).toHaveText(XSS_HOST);
    await expect(row.locator(".os")).toHaveText(XSS_OS);
    await expect(page.getByRole("heading", { name: "Hostile Co" })).toBeVisible();
    expect(await page.locator("#app img, #app svg, #app script").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned)).toBeUndefined();
  } finally {
    ws.close();
  }
});

test("a failed sign-in says so without naming which part was wrong, with a correlation id", async ({ page, stack }) => {
  await signIn(page, stack.gcUrl, stack.admin.username, "wrong password");
  const alert = page.getByRole("alert");
  await expect(alert).toContainText("correlation id");
  const text = await alert.textContent();
  await signIn(page, stack.gcUrl, "no-such-user", "wrong password");
  await expect(page.getByRole("alert")).toContainText("correlation id");
  const other = await page.getByRole("alert").textContent();
  const strip = (s: string | null) => s?.replace(/\(correlation id .*\)/, "");
  expect(strip(other)).toBe(strip(text));
});

test("search narrows the machines list on the server", async ({ page, stack }) => {
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  await expect(page.locator(`tr[data-agent-id="${AGENT_ID}"]`)).toBeVisible();
  await page.getByLabel("Search machines").fill("company:nobody-has-this");
  await expect(page.locator(`tr[data-agent-id="${AGENT_ID}"]`)).toHaveCount(0);
  await expect(page.locator(".summary")).toHaveText(/^0 machines/);
});

test("a support code is shown once with the end user's instructions and listed as pending", async ({ page, stack }) => {
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  await page.getByRole("link", { name: "Support codes" }).click();
  await page.getByLabel("Note").fill("ticket 4312");
  await page.getByRole("button", { name: "Create support code" }).click();
  const code = (await page.getByTestId("support-code").textContent())!;
  expect(code).toMatch(/^\d{6,}$/);
  // Nothing is published on this server: no half-instruction, but how to publish (the
  // published case is the attended journey, attended.spec.ts).
  for (const [name, platform] of [["Linux", "linux-x86_64"], ["Windows", "windows-x86_64"]]) {
    const steps = page.getByRole("region", { name: `${name} instructions` });
    await expect(steps).toContainText(`No ${name} build of the agent is published on this server`);
    // Signed where it was built (the key never reaches the server), then published.
    await expect(steps).toContainText("guruconnect-server release sign --signing-key KEY_FILE");
    await expect(steps).toContainText(`guruconnect-server release publish --version VERSION --platform ${platform}`);
  }
  await expect(page.getByText("--support-code")).toHaveCount(0);
  const row = page.locator("table.codes tr", { hasText: "ticket 4312" });
  await expect(row).toContainText(`…${code.slice(-2)}`);
  await expect(row).toContainText("pending");
  await row.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toContainText("cancelled");
});

test("ending the session from the list closes the viewer with the reason", async ({ page, context, stack }) => {
  const { sessionId, token } = await stack.viewerToken();
  const viewer = await context.newPage();
  await viewer.goto(`${stack.gcUrl}/viewer#${new URLSearchParams({ session: sessionId, token })}`);
  await expect.poll(() => viewer.evaluate(() => (document.getElementById("screen") as HTMLCanvasElement).width)).toBe(800);

  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  await page.getByRole("link", { name: "Sessions" }).click();
  const row = page.locator(`tr[data-session-id="${sessionId}"]`);
  await expect(row.locator(".status")).toHaveText(/active/);
  await row.getByRole("button", { name: /End session/ }).click();
  await expect(row.locator(".status")).toHaveText(/ended/);
  await expect(viewer.getByRole("status")).toHaveText(/Session closed: the session ended/);
});

test("'the server cannot be reached' shows while it is so, and goes once the server answers again", async ({ page, stack }) => {
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  await page.getByRole("link", { name: "Support codes" }).click();
  // The server goes away: every API call fails to connect, as the page polls.
  await page.route("**/api/**", (route) => route.abort("connectionrefused"));
  await expect(page.getByRole("alert")).toHaveText("the server cannot be reached");
  await page.unroute("**/api/**");
  await expect(page.getByRole("alert")).toBeHidden();
});

test("admins read the audit log, newest first and by type; technicians are not shown it", async ({ page, stack }) => {
  // A failed sign-in to find, then the admin signs in for real.
  await signIn(page, stack.gcUrl, stack.admin.username, "not the password");
  await expect(page.getByRole("alert")).toBeVisible();
  await stack.api("POST", "/api/users", { username: "tech-audit", password: "a long enough password", role: "technician" });
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
  const rows = page.locator("table.audit tbody tr");
  await expect(rows.first().locator("td.event")).toHaveText("login_succeeded");
  await expect(rows.first()).toContainText(stack.admin.username);
  await expect(page.getByRole("status")).toContainText(/Events 1–\d+ of \d+, newest first/);
  await page.getByRole("combobox", { name: "Event type" }).selectOption({ label: "Failed sign-ins" });
  // Only failed sign-ins now (other tests on this server failed some too), ours the newest.
  await expect(page.locator("table.audit td.event").filter({ hasNotText: /^login_failed$/ })).toHaveCount(0);
  await expect(rows.first().locator("td.event")).toHaveText("login_failed");
  await expect(rows.first()).toContainText("127.0.0.1");
  await expect(page.locator("table.audit")).not.toContainText("not the password");

  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, stack.gcUrl, "tech-audit", "a long enough password");
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" })).toHaveCount(0);
  await page.goto(`${stack.gcUrl}/#/audit`);
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
});
