// Embed mode (NRC-4) in a real browser: an allowed host page frames the viewer and hears its
// lifecycle in order; other origins cannot frame it; other routes cannot be framed at all;
// messages from anyone but the parent are ignored.
import { readFileSync } from "node:fs";
import type { Frame, Page } from "@playwright/test";
import { expect, expectCanvasMatchesScreen, test } from "./fixtures";
import type { Stack } from "./stack";

type Event = { type: string; [key: string]: unknown };

const allEvents = (page: Page) => page.evaluate(() => (window as unknown as { events: Event[] }).events);
/** The contract 1.0 events, in order (viewer:state, added in 1.1, is checked apart). */
const events = async (page: Page) => (await allEvents(page)).filter((e) => e.type !== "viewer:state");
const types = async (page: Page) => (await events(page)).map((e) => e.type);
/** The states the viewer reported (viewer:state), in order. */
const states = async (page: Page) => (await allEvents(page)).filter((e) => e.type === "viewer:state").map((e) => e.state);

async function hostWith(page: Page, hostUrl: string, src: string, extra: Record<string, string> = {}) {
  const query = new URLSearchParams({ src, ...extra });
  await page.goto(`${hostUrl}/host.html?${query}`);
}

function viewerFrame(page: Page): Frame {
  return page.frame({ url: /\/viewer/ })!;
}

async function embedUrl(stack: Stack, how: "fragment" | "message") {
  const { sessionId, token } = await stack.viewerToken();
  const base = `${stack.gcUrl}/viewer?embed=1&parent=${encodeURIComponent(stack.hostUrl)}`;
  return how === "fragment"
    ? { src: `${base}#${new URLSearchParams({ session: sessionId, token })}`, init: "" }
    : { src: base, init: JSON.stringify({ session_id: sessionId, token }) };
}

test("an allowed host receives ready, connected, resize, disconnected in order", async ({ page, stack }) => {
  const { src } = await embedUrl(stack, "fragment");
  await hostWith(page, stack.hostUrl, src);
  await expect.poll(() => types(page)).toEqual(["viewer:ready", "viewer:connected", "viewer:resize"]);
  const all = await events(page);
  expect(all[2]).toMatchObject({ width: 800, height: 600, v: 1 });
  expect(all[1]).toMatchObject({ v: 1 });
  const frame = viewerFrame(page);
  // No standalone chrome in embed mode, but the picture is the desktop's.
  await expect(frame.locator("#toolbar")).toBeHidden();
  await expectCanvasMatchesScreen(frame, stack, 0, [800, 600]);

  // The state says "streaming" only once the picture is there, after connecting.
  await expect.poll(() => states(page)).toContain("streaming");
  const before = await states(page);
  expect(before[0]).toBe("connecting");
  expect(before.at(-1)).toBe("streaming");
  expect(before).not.toContain("waiting_for_agent");

  await page.evaluate(() => (window as unknown as { sendToViewer(m: unknown): void }).sendToViewer({ v: 1, type: "viewer:disconnect" }));
  await expect.poll(() => types(page)).toEqual(["viewer:ready", "viewer:connected", "viewer:resize", "viewer:disconnected"]);
  expect((await events(page))[3]).toMatchObject({ final: true });
  await expect.poll(async () => (await states(page)).at(-1)).toBe("ended");
});

test("the session can arrive by postMessage instead of the URL", async ({ page, stack }) => {
  const { src, init } = await embedUrl(stack, "message");
  await hostWith(page, stack.hostUrl, src, { init });
  await expect.poll(() => types(page)).toEqual(["viewer:ready", "viewer:connected", "viewer:resize"]);
});

test("messages from another origin or window are ignored", async ({ page, stack }) => {
  const { src } = await embedUrl(stack, "fragment");
  await hostWith(page, stack.hostUrl, src, { intruder: `${stack.foreignUrl}/intruder.html` });
  await expect.poll(() => types(page)).toEqual(["viewer:ready", "viewer:connected", "viewer:resize"]);
  await page.evaluate(() => (window as unknown as { addIntruder(): void }).addIntruder());
  await expect.poll(() => page.frame({ url: /\/intruder\.html$/ })?.title()).toBe("intruder done");
  // The intruder's disconnect and forged init changed nothing: still streaming.
  const frame = viewerFrame(page);
  stack.x("xsetroot", ["-solid", "#225544"]);
  await expectCanvasMatchesScreen(frame, stack, 0, [800, 600]);
  expect(await types(page)).toEqual(["viewer:ready", "viewer:connected", "viewer:resize"]);
  expect((await states(page)).at(-1)).toBe("streaming");
  // The same message from the real parent is obeyed.
  await page.evaluate(() => (window as unknown as { sendToViewer(m: unknown): void }).sendToViewer({ v: 1, type: "viewer:disconnect" }));
  await expect.poll(() => types(page)).toContain("viewer:disconnected");
});

/** True when the framed document actually loaded (Chromium shows an error page otherwise). */
async function framedDocumentLoaded(page: Page, id: string): Promise<boolean> {
  const handle = await page.locator(`#${id}`).elementHandle();
  const frame = await handle!.contentFrame();
  if (!frame) return false;
  return frame.evaluate(() => document.querySelector("#screen, #app") !== null).catch(() => false);
}

test("a page on another origin cannot frame the viewer", async ({ page, stack }) => {
  const refused = page.waitForEvent("console", { predicate: (m) => m.text().includes("frame-ancestors") });
  const { src } = await embedUrl(stack, "fragment");
  await hostWith(page, stack.foreignUrl, src);
  await refused;
  expect(await framedDocumentLoaded(page, "viewer")).toBe(false);
  expect(await types(page)).toEqual([]);
});

test("a route other than the viewer cannot be framed even by the allowed host", async ({ page, stack }) => {
  for (const path of ["/", "/api/docs"]) {
    const refused = page.waitForEvent("console", { predicate: (m) => /frame-ancestors|X-Frame-Options/.test(m.text()) });
    await hostWith(page, stack.hostUrl, `${stack.gcUrl}${path}`);
    await refused;
    expect(await framedDocumentLoaded(page, "viewer")).toBe(false);
  }
});

test("inside the frame, a click focuses the viewer and the keyboard reaches the desktop", async ({ page, stack }) => {
  const file = `${stack.tmp}/embedded.txt`;
  stack.spawnX("xterm", ["-geometry", "40x5+300+100", "-e", "sh", "-c", `cat > ${file}`]);
  await new Promise((r) => setTimeout(r, 1000));
  const { src } = await embedUrl(stack, "fragment");
  await hostWith(page, stack.hostUrl, src);
  await expect.poll(() => types(page)).toContain("viewer:resize");
  const frame = viewerFrame(page);
  await expectCanvasMatchesScreen(frame, stack, 0, [800, 600]);
  const canvas = page.frameLocator("#viewer").locator("#screen");
  const box = (await canvas.boundingBox())!;
  await page.mouse.click(box.x + (400 * box.width) / 800, box.y + (130 * box.height) / 600);
  await page.keyboard.type("framed");
  await page.keyboard.press("Enter");
  await expect.poll(() => readFileSync(file, "utf8"), { timeout: 15_000 }).toBe("framed\n");
});
