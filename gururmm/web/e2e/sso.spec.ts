// Single sign-on as a technician meets it: the sign-in page offers the identity provider (a real
// OpenID Connect provider global setup starts), its form signs them in, and they land in the
// dashboard as their GuruRMM account; a person the provider knows but GuruRMM does not is told
// so in plain words and stays signed out.
import { expect, test } from './fixtures';
import type { Page } from '@playwright/test';

async function throughProvider(page: Page, login: string) {
  await page.goto('/login');
  await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await page.locator('input[name=login]').fill(login);
  await page.locator('input[name=password]').fill('any password');
  await page.locator('button[type=submit]').click();
}

test('a technician signs in at the identity provider and lands in the dashboard', async ({ page }) => {
  await throughProvider(page, 'sso-tech');
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  // The provider's answer is gone from the address bar.
  expect(new URL(page.url()).search).toBe('');
  await page.screenshot({ path: 'test-results/sso-signed-in.png' });
});

test('someone without a GuruRMM account is told why and stays signed out', async ({ page }) => {
  await throughProvider(page, 'stranger');
  await expect(page.getByRole('alert')).toContainText('no GuruRMM account has that email address');
  await expect(page.getByLabel('Email')).toBeVisible();
  await page.screenshot({ path: 'test-results/sso-no-account.png' });
  // Asked again, the provider shows its form instead of answering for the stranger at once.
  await page.getByRole('link', { name: 'Sign in with Test IdP' }).click();
  await expect(page.locator('input[name=login]')).toBeVisible();
});
