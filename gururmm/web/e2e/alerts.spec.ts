// Alerts name the machine they are about: on the Alerts page and in the Overview's list, each
// alert links to its agent by the agent's hostname (the e2e server raises a memory alert at
// 1 %, global-setup.ts, so the real agent has one).
import { expect, signIn, test } from './fixtures';

test('alerts name their machine on the Alerts page and the Overview', async ({ page }) => {
  await signIn(page);
  const agents = await page.evaluate(async () => {
    const token = JSON.parse(localStorage.getItem('gururmm.session') ?? '{}').token;
    const res = await fetch('/api/agents?q=e2e-first', { headers: { Authorization: `Bearer ${token}` } });
    return res.json();
  });
  const { id, hostname } = agents.items[0] as { id: string; hostname: string };
  expect(hostname).not.toBe('');
  const toAgent = `a[href="/agents/${id}"]`;

  await page.goto('/alerts');
  const row = page.getByRole('row').filter({ hasText: 'memory_high' }).filter({ has: page.locator(toAgent) });
  await expect(row.locator(toAgent)).toHaveText(hostname);

  await page.goto('/');
  const item = page.getByRole('region', { name: 'Open alerts' }).getByRole('listitem').filter({ hasText: 'memory at' });
  await expect(item.locator(toAgent).first()).toHaveText(hostname);
});
