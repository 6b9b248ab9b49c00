// What every spec shares: the admin's credentials, a signed-in page, a guard that fails the
// test if the page ran injected script, raised a dialog or broke the CSP, and starting an
// extra real agent whose process the global teardown stops.
import { test as base, expect, type Page } from '@playwright/test';
import { appendFileSync } from 'node:fs';
import { ADMIN_EMAIL, ADMIN_PASSWORD, TECH_EMAIL, TECH_PASSWORD } from './credentials';
import { startAgent } from './processes';

export { ADMIN_EMAIL, ADMIN_PASSWORD };

export async function signIn(page: Page, as: 'admin' | 'technician' = 'admin') {
  await page.goto('/login');
  await page.getByLabel('Email').fill(as === 'admin' ? ADMIN_EMAIL : TECH_EMAIL);
  await page.getByLabel('Password').fill(as === 'admin' ? ADMIN_PASSWORD : TECH_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Overview' })).toBeVisible();
}

export function launchAgent(name: string, siteCode: string) {
  const child = startAgent(process.env.GRMM_E2E_ROOT!, name, Number(process.env.GRMM_E2E_PORT), siteCode);
  appendFileSync(process.env.GRMM_E2E_PIDS!, `${child.pid}\n`);
  return child;
}

interface Guard {
  problems: string[];
}

export const test = base.extend<{ guard: Guard }>({
  guard: [
    async ({ page }, use) => {
      const guard: Guard = { problems: [] };
      page.on('dialog', (d) => {
        guard.problems.push(`dialog: ${d.message()}`);
        void d.dismiss();
      });
      page.on('pageerror', (e) => guard.problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) guard.problems.push(`CSP: ${m.text()}`);
      });
      await use(guard);
      const pwned = await page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned).catch(() => undefined);
      expect(pwned, 'injected script ran').toBeUndefined();
      expect(guard.problems).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
