// Journeys across the seams, as a technician and an end user live them, with the binaries as
// shipped (shipped.ts) and GuruConnect on TLS from a private CA:
// (b) enrol a machine with the dashboard's instructions as displayed → Remote Control streams;
// (c) the same machine also running a standalone GuruConnect agent → both work, neither is
//     refused; (e) launches that cannot work say why in the panel within seconds, never green;
// (f) Disconnect ends the session: the end user's attended agent exits, and both products'
//     records say ended, by whom and why; (a) GuruConnect's own console: a support code, the
//     download and the command it shows, run as shown, then the technician joins over wss://.
// The browser is told to accept the private CA's certificate (ignoreHTTPSErrors): what is
// under test is that every agent and server trusts it through its documented setting.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test as base, expect, type Frame, type Page } from "@playwright/test";
import { enrol, type Machine } from "./machine";
import { RMM_ADMIN, shipped, startWorld, type World } from "./shipped";
import { expectViewerShowsDesktop } from "./viewer";

interface Fixtures {
  world: World;
  machine: Machine;
}

const test = base.extend<object, Fixtures>({
  world: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const world = await startWorld();
      await use(world);
      await world.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
  machine: [
    async ({ world, browser }, use) => {
      // The machine is enrolled the way the dashboard says, once, for every journey.
      const page = await browser.newPage({ ignoreHTTPSErrors: true });
      await signIn(page, world);
      const instructions = await enrolmentInstructions(page);
      await page.close();
      const machine = await enrol(world, instructions);
      await use(machine);
      await machine.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
});

test.use({ ignoreHTTPSErrors: true });
test.describe.configure({ mode: "serial" });

async function signIn(page: Page, world: World) {
  await page.goto(`${world.rmmUrl}/login`);
  await page.getByLabel("Email").fill(RMM_ADMIN.email);
  await page.getByLabel("Password").fill(RMM_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
}

/** A client and a site through the dashboard, and the Linux instructions it then shows. */
async function enrolmentInstructions(page: Page): Promise<string> {
  await page.getByRole("link", { name: "Clients & sites" }).click();
  await page.getByLabel("New client name").fill("Acme journeys");
  await page.getByLabel("New client name").press("Enter");
  await page.getByLabel("New site name").fill("Head office");
  await page.getByLabel("New site name").press("Enter");
  const linux = page.locator("pre.instructions").first();
  await expect(linux).toContainText("release_public_key");
  return (await linux.textContent())!;
}

interface RmmAgent {
  id: string;
  hostname: string;
  device_id: string;
  status: string;
  last_seen_at: string | null;
}

/** The machine's RMM agent once it is online (connected since `since`, when given). */
async function agentOnline(world: World, since = 0): Promise<RmmAgent> {
  let agent: RmmAgent | undefined;
  await expect
    .poll(async () => {
      const page = await world.rmm<{ items: RmmAgent[] }>("GET", "/api/agents?status=online");
      agent = page.items[0];
      if (agent && since && Date.parse(agent.last_seen_at ?? "") < since) return "online since before";
      return agent?.status ?? "none online";
    }, { timeout: 60_000 })
    .toBe("online");
  return agent!;
}

async function remoteControl(page: Page, world: World, agentId: string, mode: "unattended" | "attended") {
  await page.goto(`${world.rmmUrl}/agents/${agentId}`);
  const button = page.getByRole("button", { name: "Remote Control" });
  const hint = page.locator(".remote-control .hint");
  await expect
    .poll(
      async () =>
        (await button.isEnabled({ timeout: 1000 }))
          ? "enabled"
          : ((await hint.textContent({ timeout: 1000 }).catch(() => null)) ?? "disabled"),
      { timeout: 60_000 },
    )
    .toBe("enabled");
  await page.getByLabel("Mode").selectOption(mode);
  await button.click();
  return page.getByRole("region", { name: "Remote control session" });
}

function viewerFrame(page: Page): Frame | null {
  return page.frame({ url: /\/viewer\?embed=1/ });
}

/** Waits until the framed viewer's canvas shows exactly what the X server shows. */
async function expectFrameShowsDesktop(page: Page, world: World) {
  await expectViewerShowsDesktop(() => viewerFrame(page), world.screenshot);
}

interface RcRow {
  id: string;
  status: string;
  connect_session_id: string;
  ended_at: string | null;
  end_reason: string | null;
  launch_status: string | null;
}

async function latestRow(world: World, agentId: string): Promise<RcRow> {
  const rows = await world.rmm<RcRow[]>("GET", `/api/agents/${agentId}/remote-control/sessions`);
  return rows[0];
}

/** Clicks a button of the consent window (positions from guruconnect-agent's consent/x11.rs). */
async function answerConsent(world: World, button: "accept" | "decline") {
  let id = "";
  await expect
    .poll(() => {
      try {
        id = world.x("xdotool", ["search", "--name", "GuruConnect: remote support request"]).trim().split("\n")[0];
      } catch {
        id = "";
      }
      return id !== "";
    }, { timeout: 60_000 })
    .toBe(true);
  const [x, y] = button === "accept" ? [350, 154] : [130, 154];
  world.x("xdotool", ["mousemove", "--window", id, String(x), String(y), "click", "1"]);
}

test("(b)(f) enrolled with the dashboard's instructions, Remote Control streams; Disconnect ends it in both products", async ({ page, world, machine }) => {
  expect(readFileSync(machine.at("/etc/gururmm/agent.toml"), "utf8")).toContain("ca_cert = '/etc/gururmm/guruconnect-ca.pem'");
  const agent = await agentOnline(world);
  world.x("xsetroot", ["-solid", "#2a6b4f"]);
  await signIn(page, world);
  const panel = await remoteControl(page, world, agent.id, "unattended");
  const status = panel.getByRole("status");
  await expect(status).toHaveText(`Connected to ${agent.hostname}`, { timeout: 60_000 });
  await expect(status).toHaveClass(/rc-live/);
  await expectFrameShowsDesktop(page, world);
  await page.screenshot({ path: `${world.logs}/journey-b-streaming.png` });

  // The GuruConnect agent the RMM agent started speaks wss:// to the private-CA relay.
  const launched = machine.guruconnectAgents(`--server wss://localhost:`);
  expect(launched.length).toBe(1);

  // "Open in a new tab": GuruConnect's own viewer, on a fresh token, shows the same desktop.
  const [tab] = await Promise.all([page.context().waitForEvent("page"), panel.getByRole("button", { name: "Open in a new tab" }).click()]);
  await tab.waitForURL(new RegExp(`^${world.gcUrl}/viewer`));
  await expectViewerShowsDesktop(() => tab, world.screenshot);
  await tab.close();

  await panel.getByRole("button", { name: "Disconnect" }).click();
  await expect(status).toHaveText(`Ended: ended by ${RMM_ADMIN.email}`, { timeout: 15_000 });
  const row = await latestRow(world, agent.id);
  expect(row).toMatchObject({ status: "ended", end_reason: `ended by ${RMM_ADMIN.email}` });
  expect(row.ended_at).toBeTruthy();
  const session = await world.gc<{ status: string; end_reason: string }>("GET", `/api/sessions/${row.connect_session_id}`);
  expect(session).toMatchObject({ status: "ended", end_reason: "ended_by_integration" });
  await expect(viewerFrame(page)!.locator("#status")).toContainText("Session closed", { timeout: 15_000 });
});

test("(c) a machine that already runs its own GuruConnect agent is remote-controlled too, and keeps its own", async ({ page, world, machine }) => {
  const agent = await agentOnline(world);
  // The MSP's earlier GuruConnect install: its own agent id and key, trusting the CA by its
  // documented option.
  const minted = await world.gc<{ key: string }>("POST", "/api/agent-keys", { agent_id: "standalone-pc" });
  world.spawnX(shipped("guruconnect-agent"), ["run", "--server", world.gcUrl.replace("https://", "wss://"), "--agent-id", "standalone-pc"], {
    GURUCONNECT_AGENT_KEY: minted.key,
    GURUCONNECT_CA_CERT: world.caPem,
    GURUCONNECT_LOG_DIR: `${world.tmp}/standalone-logs`,
  });
  const online = (id: string) =>
    world.gc<{ online: boolean }>("GET", `/api/machines/${id}`).then(
      (m) => m.online,
      () => "not registered",
    );
  await expect.poll(() => online("standalone-pc"), { timeout: 30_000 }).toBe(true);

  // Remote Control from GuruRMM, with a fresh GuruConnect agent under the RMM device id.
  await machine.stopGuruconnectAgents();
  await signIn(page, world);
  const panel = await remoteControl(page, world, agent.id, "unattended");
  await expect(panel.getByRole("status")).toHaveText(`Connected to ${agent.hostname}`, { timeout: 60_000 });
  await expectFrameShowsDesktop(page, world);
  for (const id of ["standalone-pc", agent.device_id]) expect(await online(id), id).toBe(true);
  await panel.getByRole("button", { name: "Close" }).click();
  await expect(panel).toHaveCount(0);
});

test("(f) attended: the user accepts, the technician disconnects, the user's agent exits and both records say so", async ({ page, world, machine }) => {
  const agent = await agentOnline(world);
  await signIn(page, world);
  const panel = await remoteControl(page, world, agent.id, "attended");
  const status = panel.getByRole("status");
  await expect(status).toHaveText("Waiting for the user at the machine to accept…", { timeout: 60_000 });
  await answerConsent(world, "accept");
  await expect(status).toHaveText(`Connected to ${agent.hostname}`, { timeout: 60_000 });
  await expect.poll(() => machine.guruconnectAgents("--support-code").length).toBe(1);

  await panel.getByRole("button", { name: "Disconnect" }).click();
  await expect(status).toHaveText(`Ended: ended by ${RMM_ADMIN.email}`, { timeout: 15_000 });
  await expect.poll(() => machine.guruconnectAgents("--support-code").length, { timeout: 15_000 }).toBe(0);
  const row = await latestRow(world, agent.id);
  expect(row.status).toBe("ended");
  const events = await world.gc<{ event_type: string }[]>("GET", `/api/sessions/${row.connect_session_id}/events`);
  expect(events.map((e) => e.event_type)).toEqual(expect.arrayContaining(["consent_accepted", "session_ended"]));

  // A declined session ends both records with the user's answer, though nobody ended it here.
  const again = await remoteControl(page, world, agent.id, "attended");
  await answerConsent(world, "decline");
  await expect(again.getByRole("status")).toHaveText(/^(Ended|Disconnected): .*declined/, { timeout: 30_000 });
  await expect
    .poll(async () => (await latestRow(world, agent.id)).end_reason ?? "", { timeout: 30_000 })
    .toContain("declined");
});

test("(e) launches that cannot work say why within seconds, never a green status", async ({ page, world, machine }) => {
  const agent = await agentOnline(world);
  await signIn(page, world);

  // The machine's GuruConnect identity is bound to other hardware (a copied configuration):
  // GuruConnect refuses the agent; the panel says so.
  const boundUid = () => /'([0-9a-f]+)'/.exec(world.gcSql("SELECT machine_uid FROM connect_machines WHERE agent_id = ?", agent.device_id))?.[1];
  if (!boundUid()) {
    // Run on its own: one working session first binds the device id to this machine.
    const first = await remoteControl(page, world, agent.id, "unattended");
    await expect(first.getByRole("status")).toHaveText(`Connected to ${agent.hostname}`, { timeout: 60_000 });
    await first.getByRole("button", { name: "Close" }).click();
  }
  const original = boundUid()!;
  await machine.stopGuruconnectAgents();
  world.gcSql("UPDATE connect_machines SET machine_uid = 'another-box' WHERE agent_id = ?", agent.device_id);
  let panel = await remoteControl(page, world, agent.id, "unattended");
  await expect(panel.getByRole("status")).toHaveText(/refused the machine's GuruConnect agent: machine identity does not match/, {
    timeout: 20_000,
  });
  await expect(panel.getByRole("status")).toHaveClass(/rc-failed/);
  await page.screenshot({ path: `${world.logs}/journey-e-identity.png` });
  await machine.stopGuruconnectAgents();
  world.gcSql("UPDATE connect_machines SET machine_uid = ? WHERE agent_id = ?", original, agent.device_id);
  await panel.getByRole("button", { name: "Close" }).click();

  // A machine enrolled without GuruConnect's release key: the launch is refused, and shown.
  const config = machine.at("/etc/gururmm/agent.toml");
  const toml = readFileSync(config, "utf8");
  writeFileSync(config, toml.replace(/^release_public_key = .*$/m, ""));
  expect(readFileSync(machine.at("/etc/gururmm/agent.toml"), "utf8")).not.toContain("release_public_key");
  const restarted = Date.now();
  await machine.restartAgent();
  await agentOnline(world, restarted);
  panel = await remoteControl(page, world, agent.id, "unattended");
  await expect(panel.getByRole("status")).toHaveText(/^Remote control failed: .*release public key is pinned/, { timeout: 20_000 });
  await page.screenshot({ path: `${world.logs}/journey-e-no-key.png` });
  writeFileSync(machine.at("/etc/gururmm/agent.toml"), toml);
  await panel.getByRole("button", { name: "Close" }).click();
  const fixed = Date.now();
  await machine.restartAgent();
  await agentOnline(world, fixed);

  // GuruConnect is down: starting says so, and an open panel says it cannot ask.
  panel = await remoteControl(page, world, agent.id, "unattended");
  await expect(panel.getByRole("status")).toHaveText(`Connected to ${agent.hostname}`, { timeout: 60_000 });
  await world.stopGc();
  await expect(panel.getByText(/GuruConnect could not be asked about this session/)).toBeVisible({ timeout: 15_000 });
  await expect(panel.getByRole("status")).not.toHaveText(/^Connected to/, { timeout: 15_000 });
  await page.screenshot({ path: `${world.logs}/journey-e-guruconnect-down.png` });
  await expect(panel.getByRole("status")).toHaveText(/^Reconnecting to GuruConnect/);
  await panel.getByRole("button", { name: "Close" }).click();
  // Closing could not end the session on GuruConnect: the panel stays and says why.
  await expect(panel.getByText(/GuruConnect is unreachable: .*(refused|connect)/i).first()).toBeVisible({ timeout: 15_000 });
  await page.screenshot({ path: `${world.logs}/journey-e-guruconnect-down-close.png` });
  await world.startGc();
  await panel.getByRole("button", { name: "Close" }).click();
  await expect(panel).toHaveCount(0, { timeout: 15_000 });

  // The machine goes offline: the button says so instead of starting anything.
  await machine.stopAgent();
  await page.goto(`${world.rmmUrl}/agents/${agent.id}`);
  await expect(page.locator(".remote-control .hint")).toHaveText("The agent is offline.", { timeout: 20_000 });
  await expect(page.getByRole("button", { name: "Remote Control" })).toBeDisabled();
});

test("(a) GuruConnect's console: the end user runs the shown command against the TLS relay, the technician joins", async ({ page, world }) => {
  world.x("xsetroot", ["-solid", "#4f2a6b"]);
  await page.goto(world.gcUrl);
  await page.getByLabel("Username").fill(world.gcAdmin.username);
  await page.getByLabel("Password").fill(world.gcAdmin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("link", { name: "Support codes" }).click();
  await page.getByLabel("Note").fill("journey a");
  await page.getByRole("button", { name: "Create support code" }).click();
  const code = (await page.getByTestId("support-code").textContent())!;
  const command = (await page.getByTestId("command-linux-x86_64").textContent())!;
  expect(command).toContain(`--server ${world.gcUrl.replace("https://", "wss://")}`);
  expect(command).toContain(`--support-code ${code}`);

  // The end user's browser saves the agent the page offers; their machine trusts the MSP's
  // CA the documented way (GURUCONNECT_CA_CERT, as a managed machine would have it set).
  const home = mkdtempSync(join(world.tmp, "home-"));
  mkdirSync(join(home, "Downloads"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-linux-x86_64").click()]);
  await download.saveAs(join(home, "Downloads", download.suggestedFilename()));
  // Its own process group: the shell runs the agent as a child, and both must go at the end.
  const agent = spawn("sh", ["-c", command], {
    env: { PATH: process.env.PATH, HOME: home, DISPLAY: world.display, GURUCONNECT_CA_CERT: world.caPem },
    stdio: ["ignore", world.log("attended-agent"), world.log("attended-agent")],
    detached: true,
  });
  try {
    await answerConsent(world, "accept");
    const row = page.locator("table.codes tr", { hasText: "journey a" });
    await expect(row.locator(".status")).toHaveText("used: session live", { timeout: 30_000 });
    const [viewer] = await Promise.all([page.context().waitForEvent("page"), row.getByRole("button", { name: /^Join/ }).click()]);
    await viewer.waitForURL(/\/viewer$/);
    await expectViewerShowsDesktop(() => viewer, world.screenshot);
  } finally {
    process.kill(-agent.pid!, "SIGTERM");
  }
});
