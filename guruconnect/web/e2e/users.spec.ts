// Users (admins): make an account in the page, see who has two-factor sign-in on, reset it for
// someone who lost their phone, and disable an account — whose sign-in is then refused.
import { totp } from "../../../kit/web-test/totp";
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";

const PASSWORD = "a long enough password";

async function signIn(page: Page, gcUrl: string, username: string, password: string) {
  await page.goto(gcUrl);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Turns on `username`'s authenticator through the API, as their own browser would. */
async function enrol(gcUrl: string, username: string): Promise<void> {
  const call = async (method: string, path: string, body: unknown, token = "") => {
    const response = await fetch(`${gcUrl}${path}`, {
      method,
      headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    expect(response.ok, `${method} ${path}`).toBe(true);
    return response.json();
  };
  const { access_token: token } = await call("POST", "/api/auth/login", { username, password: PASSWORD });
  const { secret } = await call("POST", "/api/auth/second-factor/setup", {}, token);
  await call("POST", "/api/auth/second-factor/confirm", { code: totp(secret, -1) }, token);
}

test("an admin makes an account, resets its second factor and disables it", async ({ page, stack }) => {
  await signIn(page, stack.gcUrl, stack.admin.username, stack.admin.password);
  await page.getByRole("link", { name: "Users" }).click();
  const form = page.getByRole("form", { name: "New user" });
  await form.getByLabel("Username").fill("tech-users");
  await form.getByLabel("Display name").fill("Tess Users");
  await form.getByLabel("Password").fill("short");
  await form.getByRole("button", { name: "Create user" }).click();
  await expect(form.getByRole("alert")).toContainText("at least 10 characters");
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Create user" }).click();
  const row = page.locator("tr", { hasText: "tech-users" });
  await expect(row.locator(".second-factor")).toHaveText("Off");
  await expect(row.getByRole("button", { name: "Reset two-factor tech-users" })).toHaveCount(0);

  await enrol(stack.gcUrl, "tech-users");
  await page.reload();
  await expect(row.locator(".second-factor")).toHaveText("On");
  page.once("dialog", (dialog) => void dialog.accept());
  await row.getByRole("button", { name: "Reset two-factor tech-users" }).click();
  await expect(row.locator(".second-factor")).toHaveText("Off");

  page.once("dialog", (dialog) => void dialog.accept());
  await row.getByRole("button", { name: "Disable tech-users" }).click();
  await expect(row.locator(".status")).toHaveText("Disabled");
  // The admin's own row offers no way to lock themself out.
  await expect(page.getByRole("button", { name: `Disable ${stack.admin.username}` })).toHaveCount(0);

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByLabel("Username")).toBeVisible();
  await signIn(page, stack.gcUrl, "tech-users", PASSWORD);
  await expect(page.getByRole("alert")).toContainText("invalid username or password");
});
