// What a technician is offered: the fleet's everyday work (rename, move, commands), but not
// what only admins may do — deleting agents, sites and clients, or replacing a site code —
// which the server would refuse anyway. An admin sees those (agent-actions and clients specs).
import { expect, signIn, test } from './fixtures';

test('a technician is not offered deleting agents, sites and clients or a new site code', async ({ page }) => {
  await signIn(page, 'technician');
  await expect(page.getByRole('link', { name: 'Users' })).toHaveCount(0);
  await page.goto('/agents?status=online&q=e2e-first');
  await page.locator('.agent-row[data-agent-id]').first().getByRole('link').click();
  const actions = page.getByRole('toolbar', { name: 'Agent actions' });
  await expect(actions.getByRole('button', { name: 'Move' })).toBeVisible();
  await expect(actions.getByRole('button', { name: 'Delete agent' })).toHaveCount(0);

  await page.goto('/clients');
  await page.getByRole('list', { name: 'Clients' }).getByRole('button', { name: /^Acme E2E/ }).click();
  await expect(page.getByRole('button', { name: 'Rename site Head office' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Regenerate the site code of Head office' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Delete site Head office' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Save client' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Delete client' })).toHaveCount(0);
});
