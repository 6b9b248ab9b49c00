// What every page looks like to the browser: the status badges as rendered meet WCAG AA
// contrast (4.5:1), and no page has an error in the console (the favicon, once a 404).
import type { Page } from "@playwright/test";
import WebSocket from "ws";
import { AgentMode, decode, encode, PROTOCOL_VERSION } from "../src/protocol/wire";
import { AGENT_ID, type Stack } from "./stack";
import { expect, test } from "./fixtures";

async function signIn(page: Page, stack: Stack) {
  await page.goto(stack.gcUrl);
  await page.getByLabel("GuruConnect username").fill(stack.admin.username);
  await page.getByLabel("Password").fill(stack.admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
}

/** A machine that registered once and left: its row wears the Offline badge. */
async function offlineMachine(stack: Stack): Promise<void> {
  const { key } = await stack.api<{ key: string }>("POST", "/api/agent-keys", { agent_id: "contrast-offline" });
  const ws = new WebSocket(`${stack.gcUrl.replace("http", "ws")}/ws/agent`);
  await new Promise((ok, fail) => ws.once("open", ok).once("error", fail));
  const registered = new Promise<void>((ok) =>
    ws.on("message", (data: Buffer) => {
      if (decode(new Uint8Array(data))?.$case === "serverHello") ok();
    }),
  );
  ws.send(encode({
    $case: "agentHello",
    value: {
      protocolVersion: PROTOCOL_VERSION, machineUid: "uid-contrast-offline", agentId: "contrast-offline",
      mode: AgentMode.AGENT_MODE_UNATTENDED, agentVersion: "0.0.0", credential: { $case: "agentKey", value: key },
      hostname: "contrast-offline", os: "Linux",
    },
  }));
  await registered;
  ws.close();
  await expect.poll(async () => (await stack.api<{ online: boolean }>("GET", "/api/machines/contrast-offline")).online).toBe(false);
}

test("every status badge, as rendered, has at least 4.5:1 contrast", async ({ page, context, stack }) => {
  await offlineMachine(stack);
  // A viewer on the desktop machine, so its row also shows the "viewing" badge.
  const { sessionId, token } = await stack.viewerToken();
  const viewer = await context.newPage();
  await viewer.goto(`${stack.gcUrl}/viewer#${new URLSearchParams({ session: sessionId, token })}`);
  await signIn(page, stack);
  await expect(page.locator(`tr[data-agent-id="${AGENT_ID}"]`)).toContainText("1 viewing");
  await expect(page.locator('tr[data-agent-id="contrast-offline"]')).toContainText("Offline");

  const badges = await page.locator(".badge").evaluateAll((elements) => {
    const rgb = (css: string) => css.match(/\d+(\.\d+)?/g)!.slice(0, 3).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const f = (c: number) => (c / 255 <= 0.03928 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    /** The first opaque background at or behind the element. */
    const background = (el: Element | null): number[] => {
      for (; el; el = el.parentElement) {
        const css = getComputedStyle(el).backgroundColor;
        if (!css.startsWith("rgba(") || !css.endsWith(", 0)")) return rgb(css);
      }
      return [255, 255, 255];
    };
    return elements.map((el) => {
      const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(background(el))];
      return { kind: el.className, text: el.textContent, ratio: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05) };
    });
  });
  expect(new Set(badges.map((b) => b.kind))).toEqual(new Set(["badge online", "badge offline", "badge"]));
  for (const badge of badges) expect(badge.ratio, `${badge.kind} "${badge.text}"`).toBeGreaterThanOrEqual(4.5);
});

test("no page logs an error, the favicon included", async ({ page, stack }) => {
  const errors: string[] = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("response", (r) => r.status() >= 400 && errors.push(`${r.status()} ${r.url()}`));
  await signIn(page, stack);
  for (const name of ["Sessions", "Support codes", "Machines"]) {
    await page.getByRole("link", { name }).click();
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
  }
  const { sessionId, token } = await stack.viewerToken();
  await page.goto(`${stack.gcUrl}/viewer#${new URLSearchParams({ session: sessionId, token })}`);
  await expect.poll(() => page.evaluate(() => (document.getElementById("screen") as HTMLCanvasElement).width)).toBeGreaterThan(0);
  const icon = await page.request.get(`${stack.gcUrl}/favicon.ico`);
  expect(icon.status()).toBe(200);
  expect(icon.headers()["content-type"]).toBe("image/x-icon");
  expect(errors).toEqual([]);
});
