// Native Remote Control end to end (NRC-12): a technician in the GuruRMM dashboard clicks
// Remote Control and works on the endpoint's real desktop through GuruConnect's viewer framed
// in the page; attended sessions wait for the end user's Accept on that desktop; a tampered
// GuruConnect build never runs; a GuruConnect restart does not lose the session.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test as base, expect, type Frame, type Page } from "@playwright/test";
import { DEVICE_ID, RMM_ADMIN, startSystem, type System } from "./system";
import { expectViewerShowsDesktop } from "./viewer";

const test = base.extend<object, { system: System }>({
  system: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const system = await startSystem();
      await use(system);
      await system.stop();
    },
    { scope: "worker", timeout: 120_000 },
  ],
});

test.describe.configure({ mode: "serial" });

async function signIn(page: Page, system: System) {
  await page.goto(`${system.rmmUrl}/login`);
  await page.getByLabel("Email").fill(RMM_ADMIN.email);
  await page.getByLabel("Password").fill(RMM_ADMIN.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
}

async function remoteControl(page: Page, system: System, mode: "unattended" | "attended") {
  await page.goto(`${system.rmmUrl}/agents/${system.rmmAgentId}`);
  const button = page.getByRole("button", { name: "Remote Control" });
  await expect(button).toBeVisible({ timeout: 60_000 });
  // When it stays disabled, the page says why (the hint beside the button): show that.
  const hint = page.locator(".remote-control .hint");
  await expect
    .poll(
      async () =>
        (await button.isEnabled({ timeout: 1000 })) ? "enabled" : ((await hint.textContent({ timeout: 1000 }).catch(() => null)) ?? "disabled"),
      { timeout: 60_000 },
    )
    .toBe("enabled");
  await page.getByLabel("Mode").selectOption(mode);
  await button.click();
  return page.getByRole("region", { name: "Remote control session" });
}

function viewerFrame(page: Page): Frame {
  const frame = page.frame({ url: /\/viewer\?embed=1/ });
  if (!frame) throw new Error("no embedded viewer frame");
  return frame;
}

/** Waits until the framed viewer's canvas shows exactly what the X server shows. */
async function expectFrameShowsDesktop(page: Page, system: System) {
  await expectViewerShowsDesktop(() => page.frame({ url: /\/viewer\?embed=1/ }), system.screenshot);
}

async function gcEvents(system: System, sessionId: string): Promise<string[]> {
  const events = await system.gc<{ event_type: string }[]>("GET", `/api/sessions/${sessionId}/events`);
  return events.map((e) => e.event_type);
}

async function consentWindow(system: System): Promise<string> {
  let id = "";
  await expect
    .poll(
      () => {
        try {
          id = system.x("xdotool", ["search", "--name", "GuruConnect: remote support request"]).trim();
        } catch {
          id = "";
        }
        return id !== "";
      },
      { timeout: 60_000 },
    )
    .toBe(true);
  return id.split("\n")[0];
}

/** Clicks a button of the consent window (positions from guruconnect-agent's consent/x11.rs). */
function clickConsent(system: System, window: string, button: "accept" | "decline") {
  const [x, y] = button === "accept" ? [350, 154] : [130, 154];
  system.x("xdotool", ["mousemove", "--window", window, String(x), String(y), "click", "1"]);
}

test("unattended: the dashboard frames the endpoint's desktop and the keyboard reaches it", async ({ page, system }) => {
  system.x("xsetroot", ["-solid", "#2a6b4f"]);
  const typed = join(system.tmp, "typed.txt");
  system.spawnX("xterm", ["-geometry", "60x8+100+120", "-bg", "#fff8e0", "-fg", "#000000", "-e", "sh", "-c", `cat > ${typed}`]);
  await signIn(page, system);
  const panel = await remoteControl(page, system, "unattended");
  await expect(panel.getByRole("status")).toHaveText(/^Connected to /, { timeout: 60_000 });
  await expectFrameShowsDesktop(page, system);

  // Click into the terminal through the frame, then type.
  const canvas = page.frameLocator("iframe.remote-viewer").locator("#screen");
  const box = (await canvas.boundingBox())!;
  await page.mouse.click(box.x + (300 * box.width) / 1024, box.y + (160 * box.height) / 768);
  await page.keyboard.type("managed");
  await page.keyboard.press("Enter");
  await expect.poll(() => readFileSync(typed, "utf8"), { timeout: 30_000 }).toBe("managed\n");

  // Both sides kept a record: RMM's remote-control row, GuruConnect's managed session.
  const rows = await system.rmm<{ mode: string; connect_session_id: string }[]>("GET", `/api/agents/${system.rmmAgentId}/remote-control/sessions`);
  expect(rows[0].mode).toBe("unattended");
  const session = await system.gc<{ is_managed: boolean; source: string; agent_id: string }>("GET", `/api/sessions/${rows[0].connect_session_id}`);
  expect(session).toMatchObject({ is_managed: true, source: "gururmm", agent_id: DEVICE_ID });
  expect(await gcEvents(system, rows[0].connect_session_id)).toEqual(expect.arrayContaining(["session_created", "viewer_token_issued", "agent_connected"]));
});

test("the viewer URL the dashboard frames cannot be framed by another origin", async ({ page, system }) => {
  await signIn(page, system);
  const panel = await remoteControl(page, system, "unattended");
  await expect(panel.getByRole("status")).toHaveText(/^Connected to /, { timeout: 60_000 });
  const src = (await panel.locator("iframe").getAttribute("src"))!;
  const other = await page.context().newPage();
  const refused = other.waitForEvent("console", { predicate: (m) => m.text().includes("frame-ancestors") });
  await other.goto(`${system.foreignUrl}/?src=${encodeURIComponent(src)}`);
  await refused;
  const loaded = await (await other.locator("#viewer").elementHandle())!
    .contentFrame()
    .then((f) => f?.evaluate(() => document.getElementById("screen") !== null).catch(() => false));
  expect(loaded ?? false).toBe(false);
});

test("GuruConnect restarted mid-session: the framed viewer comes back to the same session", async ({ page, system }) => {
  await signIn(page, system);
  const panel = await remoteControl(page, system, "unattended");
  await expect(panel.getByRole("status")).toHaveText(/^Connected to /, { timeout: 60_000 });
  await expectFrameShowsDesktop(page, system);
  const before = viewerFrame(page).url();
  await system.restartGc();
  system.x("xsetroot", ["-solid", "#6b2a4f"]);
  await expectFrameShowsDesktop(page, system);
  expect(viewerFrame(page).url()).toBe(before);
});

test("attended: nothing shows until the end user accepts on the endpoint, and a decline is final", async ({ page, system }) => {
  await signIn(page, system);
  let panel = await remoteControl(page, system, "attended");
  const window = await consentWindow(system);
  // The viewer is connected to the relay but sees nothing yet. (A frame locator waits for the
  // frame to be there and loaded: the consent window can appear before the viewer page has.)
  await expect(page.frameLocator("iframe.remote-viewer").locator("#status")).toContainText("waiting for the user", { timeout: 60_000 });
  clickConsent(system, window, "accept");
  await expectFrameShowsDesktop(page, system);
  const rows = await system.rmm<{ mode: string; connect_session_id: string }[]>("GET", `/api/agents/${system.rmmAgentId}/remote-control/sessions`);
  expect(rows[0].mode).toBe("attended");
  expect(await gcEvents(system, rows[0].connect_session_id)).toEqual(expect.arrayContaining(["consent_requested", "consent_accepted"]));
  await panel.getByRole("button", { name: "Close" }).click();

  panel = await remoteControl(page, system, "attended");
  clickConsent(system, await consentWindow(system), "decline");
  await expect(panel.getByRole("status")).toHaveText(/^Disconnected: .*declined/, { timeout: 60_000 });
  const latest = await system.rmm<{ connect_session_id: string }[]>("GET", `/api/agents/${system.rmmAgentId}/remote-control/sessions`);
  expect(await gcEvents(system, latest[0].connect_session_id)).toContain("consent_declined");
});

test("a tampered GuruConnect build is refused before it runs", async ({ page, system }) => {
  // Publish a new version, then corrupt the stored file behind the channel's back.
  const marker = join(system.tmp, "tampered-build-ran");
  const script = join(system.tmp, "evil.sh");
  writeFileSync(script, `#!/bin/sh\ntouch ${marker}\n`);
  system.publish("0.0.2-e2e", script);
  const stored = join(system.gcDataDir, "releases/linux-x86_64/0.0.2-e2e/guruconnect-agent");
  writeFileSync(stored, Buffer.concat([readFileSync(stored), Buffer.from("# one more line\n")]));
  // With no GuruConnect agent running, the RMM agent must fetch and check the new build.
  await system.stopGcAgents();
  await signIn(page, system);
  await remoteControl(page, system, "unattended");
  await expect
    .poll(async () => {
      const rows = await system.rmm<{ launch_error?: string | null }[]>("GET", `/api/agents/${system.rmmAgentId}/remote-control/sessions`);
      return rows[0]?.launch_error ?? "";
    }, { timeout: 60_000 })
    .toMatch(/sha-?256|checksum|digest/i);
  expect(() => readFileSync(marker)).toThrow();
});
