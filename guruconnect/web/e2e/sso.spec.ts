// Single sign-on as a technician meets it: the login page offers the identity provider, its
// form signs them in, and they land in the app as their GuruConnect account; a person the
// provider knows but GuruConnect does not is told so in plain words and stays signed out.
import { expect, test } from "./fixtures";
import type { Page } from "@playwright/test";

async function throughProvider(page: Page, gcUrl: string, login: string) {
  await page.goto(gcUrl);
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await page.locator("input[name=login]").fill(login);
  await page.locator("input[name=password]").fill("any password");
  await page.locator("button[type=submit]").click();
}

test("a technician signs in at the identity provider and lands in the app", async ({ page, stack }) => {
  await stack.api("POST", "/api/users", {
    username: "sso.tech@example.com",
    display_name: "Sam SSO",
    password: "a long enough password",
    role: "technician",
  });
  await throughProvider(page, stack.gcUrl, "sso-tech");
  await expect(page.locator(".who")).toHaveText("Sam SSO");
  await expect(page.getByRole("link", { name: "Machines" })).toBeVisible();
  // The provider's answer is gone from the address bar.
  expect(new URL(page.url()).search).toBe("");
  await page.screenshot({ path: "test-results/sso-signed-in.png" });

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("link", { name: "Sign in with Test IdP" })).toBeVisible();
});

test("someone without a GuruConnect account is told why and stays signed out", async ({ page, stack }) => {
  await throughProvider(page, stack.gcUrl, "stranger");
  await expect(page.getByRole("alert")).toContainText("no GuruConnect account has that email address");
  await expect(page.getByLabel("GuruConnect username")).toBeVisible();
  await page.screenshot({ path: "test-results/sso-no-account.png" });
  // Asked again, the provider shows its form instead of answering for the stranger at once.
  await page.getByRole("link", { name: "Sign in with Test IdP" }).click();
  await expect(page.locator("input[name=login]")).toBeVisible();
});
