// Signing in against the real server: the refusal names no account (same words for an unknown
// email and a wrong password) and carries a correlation id; the whole flow works from the
// keyboard; a reload keeps the session.
import { ADMIN_EMAIL, ADMIN_PASSWORD, expect, test } from './fixtures';

test('a refused sign-in says the same for unknown accounts and wrong passwords', async ({ page }) => {
  const messages: string[] = [];
  for (const email of ['nobody@e2e.test', ADMIN_EMAIL]) {
    await page.goto('/login');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('definitely-not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('invalid email or password');
    await expect(alert).toContainText(/Correlation id: [0-9a-f-]{36}/);
    messages.push((await alert.locator('.error-detail').textContent()) ?? '');
  }
  expect(messages[0]).toBe(messages[1]);
});

test('sign in and move around with the keyboard only; a reload keeps the session', async ({ page }) => {
  await page.goto('/agents');
  await expect(page).toHaveURL(/\/login$/);
  // The email field has focus on arrival.
  await expect(page.getByLabel('Email')).toBeFocused();
  await page.keyboard.type(ADMIN_EMAIL);
  await page.keyboard.press('Tab');
  await page.keyboard.type(ADMIN_PASSWORD);
  await page.keyboard.press('Enter');
  // Back where the technician was heading.
  await expect(page.getByRole('heading', { name: 'Agents', level: 1 })).toBeVisible();

  // Tab from the top of the page to the "Overview" link and follow it.
  await page.locator('body').focus();
  const overview = page.getByRole('link', { name: 'Overview' });
  for (let i = 0; i < 10 && !(await overview.evaluate((el) => el === document.activeElement)); i += 1) {
    await page.keyboard.press('Tab');
  }
  await expect(overview).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByTestId('stat-online')).not.toHaveText('0');

  // After a reload the stored session signs the very first requests.
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
  await expect(page.getByTestId('stat-online')).toHaveText(/^[1-9]\d*$/);
  await page.goto('/clients');
  await expect(page.getByRole('button', { name: /Acme E2E/ })).toBeVisible();
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.getByRole('button', { name: 'Sign out' }).press('Enter');
  await expect(page).toHaveURL(/\/login$/);
});
