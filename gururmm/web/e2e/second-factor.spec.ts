// Two-factor sign-in as a dashboard user meets it: set up from the Security page with the key
// shown, recovery codes shown once, the code asked at the next sign-in (a wrong one refused),
// a remembered browser, and a recovery code in a browser that is not remembered.
import { steadyClock, totp } from '../../../kit/web-test/totp';
import { TECH_PASSWORD, TWO_FACTOR_EMAIL } from './credentials';
import { expect, signIn as signInAs, test } from './fixtures';
import type { Page } from '@playwright/test';

async function signIn(page: Page) {
  await page.goto('/login');
  await page.getByLabel('Email').fill(TWO_FACTOR_EMAIL);
  await page.getByLabel('Password').fill(TECH_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

// The admin's part below finds the account the first test left with two-factor on.
test.describe.configure({ mode: 'serial' });

test('a technician turns on two-factor sign-in and then signs in with the app code', async ({ page, browser }) => {
  await steadyClock(20);
  await signIn(page);
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await page.getByRole('link', { name: 'Security' }).click();
  await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
  const key = (await page.locator('code.secret').textContent())!.replace(/\s/g, '');
  await page.getByLabel('Code from your authenticator app').fill(totp(key, -1));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const listed = page.getByRole('list', { name: 'Recovery codes' }).locator('li');
  await expect(listed).toHaveCount(10);
  const codes = await listed.allTextContents();
  await page.getByRole('button', { name: 'I have saved these codes' }).click();
  await expect(page.getByText('Two-factor sign-in is on. 10 of 10 recovery codes left.')).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Email')).toBeVisible();

  await signIn(page);
  const code = page.getByLabel('Authentication code');
  await expect(code).toBeVisible();
  const wrong = ['000000', '000001'].find((c) => c !== totp(key) && c !== totp(key, 1))!;
  await code.fill(wrong);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('that code is not right');
  await code.fill(totp(key));
  await page.getByLabel('Remember this browser for 30 days').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Signed in, back on the page the sign-out left (Security).
  await expect(page.getByRole('heading', { name: 'Security' })).toBeVisible();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Email')).toBeVisible();

  // This browser is remembered: the password alone signs in.
  await signIn(page);
  await expect(page.getByRole('heading', { name: 'Security' })).toBeVisible();

  // Another browser is asked; a recovery code lets it in once.
  const other = await browser.newContext({ baseURL: test.info().project.use.baseURL });
  const elsewhere = await other.newPage();
  await signIn(elsewhere);
  await elsewhere.getByLabel('Authentication code').fill(codes[0]);
  await elsewhere.getByRole('button', { name: 'Sign in' }).click();
  await elsewhere.getByRole('link', { name: 'Security' }).click();
  await expect(elsewhere.getByText('9 of 10 recovery codes left')).toBeVisible();
  await other.close();
});

test('an admin sees who has two-factor on, resets it for a lost phone and disables the account', async ({ page }) => {
  await signInAs(page, 'admin');
  await page.getByRole('link', { name: 'Users' }).click();
  const row = page.locator('tr', { hasText: TWO_FACTOR_EMAIL });
  await expect(row.locator('.second-factor')).toHaveText('On');
  await row.getByRole('button', { name: `Reset two-factor ${TWO_FACTOR_EMAIL}` }).click();
  await row.getByRole('button', { name: 'Yes, reset two-factor' }).click();
  await expect(row.locator('.second-factor')).toHaveText('Off');
  await row.getByRole('button', { name: `Disable ${TWO_FACTOR_EMAIL}` }).click();
  await row.getByRole('button', { name: 'Yes, disable' }).click();
  await expect(row.locator('.status')).toHaveText('Disabled');
  await expect(page.getByRole('button', { name: 'Disable admin@e2e.test' })).toHaveCount(0);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Email')).toBeVisible();
  await signIn(page);
  await expect(page.getByRole('alert')).toContainText('invalid email or password');
});
