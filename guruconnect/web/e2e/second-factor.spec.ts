// Two-factor sign-in as a technician meets it: set up with the QR code (decoded here, as a
// phone would) or the key, recovery codes shown once, the code asked at the next sign-in, a
// remembered browser, and a recovery code in a browser that is not remembered.
import jsQR from "jsqr";
import { steadyClock, totp } from "../../../kit/web-test/totp";
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";

const PASSWORD = "a long enough password";

async function signIn(page: Page, gcUrl: string, username: string) {
  await page.goto(gcUrl);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** What the QR code on the page says, read from its pixels. */
async function qrText(page: Page): Promise<string | undefined> {
  const { data, width, height } = await page.getByRole("img", { name: "QR code for your authenticator app" }).evaluate(async (img: HTMLImageElement) => {
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth * 2;
    canvas.height = img.naturalHeight * 2;
    const ctx = canvas.getContext("2d")!;
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height);
    return { data: Array.from(pixels.data), width: canvas.width, height: canvas.height };
  });
  return jsQR(Uint8ClampedArray.from(data), width, height)?.data;
}

test("a technician turns on two-factor sign-in and then signs in with the app's code", async ({ page, browser, stack }) => {
  await steadyClock(20);
  await stack.api("POST", "/api/users", { username: "tech-2fa", password: PASSWORD, role: "technician" });
  await signIn(page, stack.gcUrl, "tech-2fa");
  await page.getByRole("link", { name: "Security" }).click();
  await expect(page.getByText("Two-factor sign-in is off")).toBeVisible();
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();

  const key = (await page.locator("code.secret").textContent())!.replace(/\s/g, "");
  const scanned = await qrText(page);
  expect(scanned).toMatch(/^otpauth:\/\/totp\/GuruConnect:tech-2fa\?/);
  expect(scanned).toContain(`secret=${key}&`);

  await page.getByLabel("Code from your authenticator app").fill(totp(key, -1));
  await page.getByRole("button", { name: "Turn on" }).click();
  const listed = page.getByRole("list", { name: "Recovery codes" }).locator("li");
  await expect(listed).toHaveCount(10);
  const codes = await listed.allTextContents();
  await page.getByRole("button", { name: "I have saved these codes" }).click();
  await expect(page.getByText("Two-factor sign-in is on. 10 of 10 recovery codes left.")).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByLabel("Username")).toBeVisible();

  // The next sign-in asks for the code; a wrong one is refused and the code is asked again.
  await signIn(page, stack.gcUrl, "tech-2fa");
  const code = page.getByLabel("Authentication code");
  await expect(code).toBeFocused();
  const wrong = ["000000", "000001"].find((c) => c !== totp(key) && c !== totp(key, 1))!;
  await code.fill(wrong);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("that code is not right");
  await code.fill(totp(key));
  await page.getByLabel("Remember this browser for 30 days").check();
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("link", { name: "Machines" })).toBeVisible();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByLabel("Username")).toBeVisible();

  // This browser is remembered: the password alone signs in.
  await signIn(page, stack.gcUrl, "tech-2fa");
  await expect(page.getByRole("link", { name: "Machines" })).toBeVisible();

  // Another browser is not: it is asked, and a recovery code (typed loosely) lets it in once.
  const other = await browser.newContext();
  const elsewhere = await other.newPage();
  await signIn(elsewhere, stack.gcUrl, "tech-2fa");
  await elsewhere.getByLabel("Authentication code").fill(codes[0].toUpperCase().replace("-", " "));
  await elsewhere.getByRole("button", { name: "Sign in" }).click();
  await elsewhere.getByRole("link", { name: "Security" }).click();
  await expect(elsewhere.getByText("9 of 10 recovery codes left")).toBeVisible();
  await other.close();
});
