// Journey (d), attended support from GuruConnect's own console, as people do it: the technician
// creates a support code; the end user downloads the agent from the link the page offers and
// runs exactly the command the page shows, in a shell; accepts the consent window on their
// desktop; the technician joins from the page and switches between the two monitors, and the
// picture follows. Nothing here is started the way a test would prefer: only as shown.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { test as base, type Page } from "@playwright/test";
import { stopChild } from "./harness";
import { debugBinary, SCREEN, type Stack, startStack } from "./stack";
import { expect, expectCanvasMatchesScreen } from "./fixtures";

// A desktop of its own with no unattended agent: the end user's machine is a stranger to
// this server, as a customer's PC is.
const test = base.extend<{ stack: Stack }>({
  // eslint-disable-next-line no-empty-pattern
  stack: async ({}, use) => {
    const stack = await startStack(SCREEN, { unattendedAgent: false });
    await use(stack);
    await stack.stop();
  },
});
test.setTimeout(180_000);

/** Publishes this build of the agent on the server's release channel, as `./dev run` does. */
function publishAgent(stack: Stack): void {
  const server = debugBinary("guruconnect-server");
  const key = join(stack.tmp, "release-signing.key");
  const env = { ...process.env, GURUCONNECT_DATA_DIR: join(stack.tmp, "server") };
  const agent = debugBinary("guruconnect-agent");
  const signature = join(stack.tmp, "guruconnect-agent.sig");
  execFileSync(server, ["release", "keygen", "--out", key], { env });
  execFileSync(server, ["release", "sign", "--signing-key", key, "--file", agent, "--out", signature], { env });
  execFileSync(server, ["release", "publish", "--version", "9.9.9-e2e", "--platform", "linux-x86_64",
    "--file", agent, "--signature", signature], { env });
}

async function signIn(page: Page, stack: Stack) {
  await page.goto(stack.gcUrl);
  await page.getByLabel("Username").fill(stack.admin.username);
  await page.getByLabel("Password").fill(stack.admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
}

/** The consent window's id once it is on the desktop. */
async function consentWindow(stack: Stack): Promise<string> {
  let id = "";
  await expect
    .poll(() => {
      try {
        id = stack.x("xdotool", ["search", "--name", "GuruConnect: remote support request"]).trim();
      } catch {
        id = "";
      }
      return id !== "";
    }, { timeout: 60_000 })
    .toBe(true);
  return id.split("\n")[0];
}

test("attended: code, the end user runs the shown command and accepts, the technician joins and switches monitors", async ({ page, stack }) => {
  publishAgent(stack);
  stack.x("xsetroot", ["-solid", "#334455"]);
  stack.spawnX("xterm", ["-geometry", "40x8+40+60", "-bg", "#ffeecc", "-fg", "#202020", "-e", "sh", "-c", "echo left; sleep 600"]);
  stack.spawnX("xterm", ["-geometry", "30x6+900+200", "-bg", "#00aa44", "-fg", "#ffffff", "-e", "sh", "-c", "echo right; sleep 600"]);

  // The technician: a code, and beside it the download and the command for Linux.
  await signIn(page, stack);
  await page.getByRole("link", { name: "Support codes" }).click();
  await page.getByLabel("Note").fill("journey d");
  await page.getByRole("button", { name: "Create support code" }).click();
  const code = (await page.getByTestId("support-code").textContent())!;
  const command = (await page.getByTestId("command-linux-x86_64").textContent())!;
  expect(command).toContain(`--server ws://127.0.0.1:${new URL(stack.gcUrl).port}`);
  expect(command).toContain(`--support-code ${code}`);
  // A loopback public URL works for this desktop only, and the page says so.
  await expect(page.getByText("only this computer can reach it")).toBeVisible();
  const windows = page.getByRole("region", { name: "Windows instructions" });
  await expect(windows).toContainText("No Windows build of the agent is published");

  // The end user: the browser saves the download in ~/Downloads, as browsers do.
  const home = mkdtempSync(join(stack.tmp, "home-"));
  mkdirSync(join(home, "Downloads"));
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByTestId("download-linux-x86_64").click()]);
  const saved = join(home, "Downloads", download.suggestedFilename());
  await download.saveAs(saved);
  expect(statSync(saved).size).toBe(statSync(debugBinary("guruconnect-agent")).size);

  // …then pastes the command into a terminal on their desktop.
  const log = openSync(resolve(import.meta.dirname, "../test-results/attended-agent.log"), "a");
  let agent: ChildProcess | undefined;
  try {
    agent = spawn("sh", ["-c", command], { env: { PATH: process.env.PATH, HOME: home, DISPLAY: stack.display }, stdio: ["ignore", log, log] });
    const window = await consentWindow(stack);
    stack.x("xdotool", ["mousemove", "--window", window, "350", "154", "click", "1"]); // Accept (consent/x11.rs)

    // The technician joins from the code's row.
    const row = page.locator("table.codes tr", { hasText: "journey d" });
    await expect(row.locator(".status")).toHaveText("used: session live");
    const [viewer] = await Promise.all([page.context().waitForEvent("page"), row.getByRole("button", { name: /^Join/ }).click()]);
    await viewer.waitForURL(/\/viewer$/);
    await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
    const select = viewer.getByLabel("Monitor");
    await expect(select.locator("option")).toHaveCount(2);
    await select.selectOption({ index: 1 });
    await expectCanvasMatchesScreen(viewer, stack, 800, [800, 600]);
    await select.selectOption({ index: 0 });
    await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);

    // The machine row offers Join too, not a greyed Connect.
    await page.getByRole("link", { name: "Machines" }).click();
    await expect(page.getByRole("button", { name: /^Join the session on / })).toBeEnabled();
  } finally {
    if (agent) await stopChild(agent);
  }
});
