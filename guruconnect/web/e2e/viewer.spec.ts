// The technician's path through the real system: sign in, open the machine, see its desktop
// pixel for pixel, type into a program on it, click where intended, switch monitors.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { AGENT_ID } from "./stack";
import { expect, expectCanvasMatchesScreen, test } from "./fixtures";

async function signIn(page: Page, gcUrl: string, username: string, password: string) {
  await page.goto(gcUrl);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
}

async function openViewer(page: Page): Promise<Page> {
  const row = page.locator(`tr[data-agent-id="${AGENT_ID}"]`);
  await expect(row.getByText("Online")).toBeVisible();
  const [viewer] = await Promise.all([page.context().waitForEvent("page"), row.getByRole("button", { name: /Connect/ }).click()]);
  await viewer.waitForURL(/\/viewer$/);
  return viewer;
}

test.describe.configure({ mode: "serial" });

test("sign in, open the machine, and the canvas shows the remote desktop", async ({ page, stack }) => {
  stack.x("xsetroot", ["-solid", "#336699"]);
  stack.spawnX("xterm", ["-geometry", "40x8+40+60", "-bg", "#ffeecc", "-fg", "#202020", "-e", "sh", "-c", "echo left monitor; sleep 600"]);
  stack.spawnX("xterm", ["-geometry", "30x6+900+200", "-bg", "#00aa44", "-fg", "#ffffff", "-e", "sh", "-c", "echo right monitor; sleep 600"]);
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  const viewer = await openViewer(page);
  // The token travelled in the fragment and was wiped from the address bar at once.
  expect(viewer.url()).not.toContain("token");
  await expect(viewer.locator("#status")).toBeHidden();
  const compared = await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
  expect(compared).toBeGreaterThan(300);
  await expect(viewer.locator("#title")).not.toHaveText("GuruConnect");
});

test("typed text reaches a program on the desktop and a click lands where it was aimed", async ({ page, stack }) => {
  const file = join(stack.tmp, "typed.txt");
  stack.spawnX("xterm", ["-geometry", "50x6+100+300", "-bg", "#ffffff", "-fg", "#000000", "-e", "sh", "-c", `cat > ${file}`]);
  await new Promise((r) => setTimeout(r, 1000));
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  const viewer = await openViewer(page);
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);

  // Aim at remote pixel (250, 340), inside the xterm, through the fitted canvas.
  const box = (await viewer.locator("#screen").boundingBox())!;
  const target = { x: 250, y: 340 };
  await viewer.mouse.click(box.x + ((target.x + 0.5) * box.width) / 800, box.y + ((target.y + 0.5) * box.height) / 600);
  await expect
    .poll(() => {
      const out = stack.x("xdotool", ["getmouselocation", "--shell"]);
      const x = Number(/X=(\d+)/.exec(out)?.[1]);
      const y = Number(/Y=(\d+)/.exec(out)?.[1]);
      return Math.abs(x - target.x) <= 1 && Math.abs(y - target.y) <= 1 ? "on target" : `pointer at ${x},${y}`;
    })
    .toBe("on target");

  // Physical keys with a real Shift, a Backspace, and Enter.
  await viewer.keyboard.press("Shift+KeyH");
  await viewer.keyboard.type("ello gc");
  await viewer.keyboard.press("Backspace");
  await viewer.keyboard.press("Backspace");
  await viewer.keyboard.press("Shift+KeyG");
  await viewer.keyboard.press("Shift+KeyC");
  await viewer.keyboard.type(" 42");
  await viewer.keyboard.press("Shift+Digit1");
  await viewer.keyboard.press("Enter");
  await expect.poll(() => readFileSync(file, "utf8"), { timeout: 15_000 }).toBe("Hello GC 42!\n");
});

test("switching monitors shows the other monitor", async ({ page, stack }) => {
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  const viewer = await openViewer(page);
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
  const select = viewer.getByLabel("Monitor");
  await expect(select.locator("option")).toHaveCount(2);
  await select.selectOption({ index: 1 });
  await expectCanvasMatchesScreen(viewer, stack, 800, [800, 600]);
  await select.selectOption({ index: 0 });
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
});

test("the remote cursor is drawn on its own layer, and keys held when focus leaves are released", async ({ page, stack }) => {
  const file = join(stack.tmp, "blur.txt");
  stack.spawnX("xterm", ["-geometry", "50x6+100+300", "-bg", "#ffffff", "-fg", "#000000", "-e", "sh", "-c", `cat > ${file}`]);
  await new Promise((r) => setTimeout(r, 1000));
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  const viewer = await openViewer(page);
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
  const box = (await viewer.locator("#screen").boundingBox())!;
  await viewer.mouse.click(box.x + (250 * box.width) / 800, box.y + (340 * box.height) / 600);

  // The X server's cursor, at the pointer, on the overlay; the picture itself has no cursor.
  await expect
    .poll(() =>
      viewer.evaluate(() => {
        const layer = document.querySelector(".cursor-layer") as HTMLCanvasElement;
        const data = layer.getContext("2d")!.getImageData(230, 320, 40, 40).data;
        return data.some((v, i) => i % 4 === 3 && v > 0);
      }),
    )
    .toBe(true);

  // Shift goes down in the viewer, then the viewer loses focus: Shift must come up remotely,
  // so what the desktop types next is lower case.
  await viewer.keyboard.down("Shift");
  await viewer.locator("#stats-toggle").focus();
  await new Promise((r) => setTimeout(r, 500));
  stack.x("xdotool", ["type", "--delay", "50", "abc"]);
  stack.x("xdotool", ["key", "Return"]);
  await expect.poll(() => readFileSync(file, "utf8"), { timeout: 15_000 }).toBe("abc\n");
  await viewer.keyboard.up("Shift");
});

test("controls: stats overlay, actual size, pause and resume, disconnect", async ({ page, stack }) => {
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  const viewer = await openViewer(page);
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);

  await viewer.getByRole("button", { name: "Stats" }).click();
  await expect(viewer.locator("#stats")).toContainText(/fps[\s\S]*RTT \d+ ms[\s\S]*decode/);

  const cssWidth = () => viewer.locator("#screen").evaluate((c) => c.getBoundingClientRect().width);
  expect(await cssWidth()).toBeGreaterThan(800); // fitted to the 1280-pixel-wide window
  await viewer.getByRole("button", { name: "Actual size" }).click();
  await expect.poll(cssWidth).toBe(800);

  await viewer.getByRole("button", { name: "Pause" }).click();
  await expect(viewer.getByRole("status")).toHaveText(/Paused/);
  stack.x("xsetroot", ["-solid", "#884422"]);
  await viewer.getByRole("button", { name: "Resume" }).click();
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);

  await viewer.getByRole("button", { name: "Disconnect" }).click();
  await expect(viewer.getByRole("status")).toHaveText("Session closed: disconnected by the technician.");
});

test("after a server restart the viewer says it is reconnecting, then streams again", async ({ page, stack }) => {
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  const viewer = await openViewer(page);
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
  const saw: string[] = [];
  await viewer.exposeFunction("recordStatus", (text: string) => saw.push(text));
  await viewer.evaluate(() => {
    const status = document.getElementById("status")!;
    new MutationObserver(() => (window as unknown as { recordStatus(t: string): void }).recordStatus(status.textContent ?? "")).observe(status, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await stack.restartServer();
  stack.x("xsetroot", ["-solid", "#443388"]);
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
  expect(saw.some((t) => t.startsWith("Reconnecting — "))).toBe(true);
  await expect(viewer.getByRole("status")).toBeHidden();
});

test("a page stalled for ten seconds while the desktop changes shows the screen as it is when it recovers, with no backlog", async ({
  page,
  stack,
}) => {
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  const viewer = await openViewer(page);
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
  const paintedSoFar = () => viewer.evaluate(() => (window as unknown as { guruconnectMetrics: { frames: unknown[] } }).guruconnectMetrics.frames.length);
  const before = await paintedSoFar();

  // The page's main thread is stalled (a starved machine, a busy tab): no script runs, nothing
  // is painted or acknowledged for eleven seconds, while the whole desktop changes colour twenty
  // times a second for the first ten and then settles.
  const stall = viewer.evaluate(() => {
    const end = performance.now() + 11_000;
    while (performance.now() < end);
  });
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  let shade = 0;
  for (const end = Date.now() + 10_000; Date.now() < end; ) {
    shade += 1;
    stack.x("xsetroot", ["-solid", `#${hex((shade * 7) % 256)}${hex((shade * 13) % 256)}40`]);
    await new Promise((r) => setTimeout(r, 50));
  }
  stack.x("xsetroot", ["-solid", "#1e90ff"]);
  await stall;
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
  // What was in flight when it stalled (the agent keeps two frames unacknowledged), then the
  // screen as it is: not a backlog of the changes it missed.
  expect(shade).toBeGreaterThan(100);
  expect(await paintedSoFar()).toBeLessThanOrEqual(before + 3);

  // After that burst a small change still reaches the page.
  stack.spawnX("xterm", ["-geometry", "20x3+300+200", "-bg", "#ffff00", "-e", "sh", "-c", "sleep 600"]);
  await expectCanvasMatchesScreen(viewer, stack, 0, [800, 600]);
});
