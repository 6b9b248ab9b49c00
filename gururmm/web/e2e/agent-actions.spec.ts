// The agent header's actions: move to another site (and back to unassigned), delete.
import { expect, signIn, test } from './fixtures';

test('an agent is moved to another site and deleted from its page', async ({ page, request }) => {
  const res = await request.post('/api/agent/register-legacy', {
    data: {
      site_code: process.env.GRMM_E2E_SITE_CODE,
      device_id: 'e2e-movable',
      hostname: 'movable-box',
      os_type: 'windows',
      agent_version: '0.0.1',
    },
  });
  expect(res.status()).toBe(201);
  await signIn(page);
  await page.goto('/agents?os_type=windows&q=movable');
  await page.getByRole('link', { name: 'movable-box' }).click();
  const identity = page.locator('.identity');
  await expect(identity).toContainText('Acme E2E / Head office');

  const actions = page.getByRole('toolbar', { name: 'Agent actions' });
  await actions.getByRole('combobox', { name: 'Site' }).selectOption({ label: 'Acme E2E / Warehouse' });
  await actions.getByRole('button', { name: 'Move' }).click();
  await expect(identity).toContainText('Acme E2E / Warehouse');

  await actions.getByRole('button', { name: 'Delete agent' }).click();
  await actions.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(page.getByRole('heading', { name: 'Agents', level: 1 })).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search' }).fill('movable');
  await expect(page.getByText('0 agents', { exact: true })).toBeVisible();
});
