// The technician's sign-in across tabs: a new tab is already signed in, page script never
// holds the long-lived refresh token, and when the sign-in ends the login page says why.
import type { BrowserContext, Page } from "@playwright/test";
import type { Stack } from "./stack";
import { expect, test } from "./fixtures";

async function signIn(page: Page, stack: Stack) {
  await page.goto(stack.gcUrl);
  await page.getByLabel("GuruConnect username").fill(stack.admin.username);
  await page.getByLabel("Password").fill(stack.admin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
}

/** The refresh cookie as the browser holds it (the test reads it; page script cannot). */
async function refreshCookie(context: BrowserContext) {
  return (await context.cookies()).find((c) => c.name === "gc_refresh");
}

test("a new tab is signed in, and no page script can read the refresh token", async ({ page, context, stack }) => {
  await signIn(page, stack);
  const cookie = await refreshCookie(context);
  expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict", path: "/api/auth/refresh" });

  const second = await context.newPage();
  await second.goto(`${stack.gcUrl}/#/sessions`);
  await expect(second.getByRole("heading", { name: "Sessions" })).toBeVisible();
  await expect(second.getByRole("button", { name: "Sign out" })).toBeVisible();

  for (const tab of [page, second]) {
    const visible = await tab.evaluate(() => ({
      cookies: document.cookie,
      session: JSON.stringify({ ...sessionStorage }),
      local: JSON.stringify({ ...localStorage }),
    }));
    // Only the marker that a sign-in exists; the token itself is HttpOnly.
    expect(visible).toEqual({ cookies: "gc_signed_in=1", session: "{}", local: "{}" });
  }
});

test("several tabs opened at once all sign in (renewals take turns, none is taken for a replay)", async ({ page, context, stack }) => {
  await signIn(page, stack);
  const tabs = await Promise.all([1, 2, 3].map(() => context.newPage()));
  await Promise.all(tabs.map((tab) => tab.goto(stack.gcUrl)));
  for (const tab of tabs) await expect(tab.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
  // Still one live sign-in: a reload works too.
  await page.reload();
  await expect(page.getByRole("heading", { name: "Machines", exact: true })).toBeVisible();
});

test("signing out in one tab signs out the others, and they say so", async ({ page, context, stack }) => {
  await signIn(page, stack);
  const other = await context.newPage();
  await other.goto(stack.gcUrl);
  await expect(other.getByRole("button", { name: "Sign out" })).toBeVisible();

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByLabel("GuruConnect username")).toBeVisible();
  await expect(other.getByRole("status")).toHaveText("You signed out in another tab.");
  await expect(other.getByLabel("GuruConnect username")).toBeVisible();
  expect(await refreshCookie(context)).toBeUndefined();

  // A tab opened now asks to sign in, quietly.
  const fresh = await context.newPage();
  await fresh.goto(stack.gcUrl);
  await expect(fresh.getByLabel("GuruConnect username")).toBeVisible();
  await expect(fresh.getByRole("status")).toHaveCount(0);
});

test("a sign-in ended by the server drops to the login page with the reason", async ({ page, context, stack }) => {
  await signIn(page, stack);
  const spent = (await refreshCookie(context))!.value;
  // A second tab renews: the first cookie is spent. Presenting it again is a replay, which
  // ends the whole sign-in on the server.
  const second = await context.newPage();
  await second.goto(stack.gcUrl);
  await expect(second.getByRole("button", { name: "Sign out" })).toBeVisible();
  await second.close();
  const replay = await fetch(`${stack.gcUrl}/api/auth/refresh`, {
    method: "POST",
    headers: { cookie: `gc_refresh=${spent}`, "content-type": "application/json" },
    body: "{}",
  });
  expect(replay.status).toBe(401);

  // The first tab's next call finds out.
  await page.getByRole("link", { name: "Sessions" }).click();
  await expect(page.getByRole("status")).toHaveText(/^Your sign-in was ended: .*Sign in again\.$/);
  await expect(page.getByLabel("GuruConnect username")).toBeVisible();
});

test("the login form names the account it wants, and refuses unknown users like wrong passwords", async ({ page, stack }) => {
  await page.goto(stack.gcUrl);
  await expect(page.getByLabel("GuruConnect username")).toHaveAccessibleDescription("Your GuruConnect account, not your GuruRMM email.");
  await page.getByLabel("GuruConnect username").fill("someone@example.com");
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("invalid username or password");
});
