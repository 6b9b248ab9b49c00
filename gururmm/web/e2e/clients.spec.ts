// Clients and sites through the UI, then the site code at work: a second real agent enrols
// with it and appears in the list under that client. And an agent that reports markup as its
// hostname and OS: shown as text in the list and the detail page, nothing executed.
import { expect, launchAgent, signIn, test } from './fixtures';

test.beforeEach(async ({ page }) => signIn(page));

test('create a client and a site, enrol a second agent with its code, and see it appear', async ({ page }) => {
  await page.getByRole('link', { name: 'Clients & sites' }).click();
  await expect(page.getByRole('heading', { name: 'Clients & sites', level: 1 })).toBeVisible();
  const clientName = page.getByLabel('New client name');
  await clientName.fill('Globex E2E');
  await clientName.press('Enter');
  await expect(page.getByRole('heading', { name: 'Globex E2E', level: 2 })).toBeVisible();

  const siteName = page.getByLabel('New site name');
  await siteName.fill('Branch office');
  await siteName.press('Enter');
  const code = (await page.getByTestId('site-code').textContent())?.trim() ?? '';
  expect(code).toMatch(/^[A-Z]+-[A-Z]+-\d+$/);
  await expect(page.locator('.instructions').first()).toContainText(`api_key = "${code}"`);
  await page.getByRole('button', { name: 'Copy the site code of Branch office' }).click();
  await expect(page.getByText('Copied', { exact: true })).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
  await page.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByTestId('site-code')).toHaveCount(0);

  launchAgent('second', code);
  await page.getByRole('link', { name: 'Agents' }).click();
  await expect(page.getByRole('heading', { name: 'Agents', level: 1 })).toBeVisible();
  await page.getByRole('combobox', { name: 'Client', exact: true }).selectOption({ label: 'Globex E2E' });
  await expect(page.getByText('1 agent', { exact: true })).toBeVisible();
  const row = page.locator('.agent-row[data-agent-id]');
  await expect(row).toHaveCount(1);
  await expect(row).toContainText('Branch office');
  await expect(row).toContainText('online');

  // Sorting by a header flips its order, announced through aria-sort.
  const header = page.getByRole('columnheader', { name: /Hostname/ });
  await expect(header).toHaveAttribute('aria-sort', 'ascending');
  await header.getByRole('button').click();
  await expect(header).toHaveAttribute('aria-sort', 'descending');
});

test('markup in an agent-reported hostname and OS renders inert', async ({ page, request }) => {
  const hostile = '<img src=x onerror="window.__pwned=1">';
  const res = await request.post('/api/agent/register-legacy', {
    data: {
      site_code: process.env.GRMM_E2E_SITE_CODE,
      device_id: 'e2e-hostile',
      hostname: hostile,
      os_type: 'linux',
      os_version: '<script>window.__pwned=2</script>',
      arch: 'x86_64"><svg onload=window.__pwned=3>',
      agent_version: '0.0.1',
    },
  });
  expect(res.status()).toBe(201);

  await page.goto('/agents?q=onerror');
  const row = page.locator('.agent-row[data-agent-id]');
  await expect(row).toHaveCount(1);
  await expect(row.getByRole('link')).toHaveText(hostile);
  await row.getByRole('link').click();
  await expect(page.locator('.agent-header h1')).toContainText(hostile);
  await expect(page.locator('.identity')).toContainText('<script>window.__pwned=2</script>');
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator('svg[onload]')).toHaveCount(0);
});

test('clients and sites are renamed and deleted; a regenerated code replaces the old one', async ({ page }) => {
  await page.goto('/clients');
  const name = page.getByLabel('New client name');
  await name.fill('Initech E2E');
  await name.press('Enter');
  await expect(page.getByRole('heading', { name: 'Initech E2E', level: 2 })).toBeVisible();
  await page.getByLabel('Name', { exact: true }).fill('Initech Renamed');
  await page.getByRole('button', { name: 'Save client' }).click();
  await expect(page.getByRole('heading', { name: 'Initech Renamed', level: 2 })).toBeVisible();

  await page.getByLabel('New site name').fill('Temp');
  await page.getByLabel('New site name').press('Enter');
  const first = (await page.getByTestId('site-code').textContent())?.trim();
  await page.getByRole('button', { name: 'Regenerate the site code of Temp' }).click();
  await expect(page.getByTestId('site-code')).not.toHaveText(first ?? '');
  const second = (await page.getByTestId('site-code').textContent())?.trim();
  expect(second).toMatch(/^[A-Z]+-[A-Z]+-\d+$/);
  // The old code no longer enrols anything.
  const res = await page.request.post('/api/agent/register-legacy', {
    data: { site_code: first, device_id: 'e2e-old-code', hostname: 'x', os_type: 'linux', agent_version: '0' },
  });
  expect(res.status()).toBe(401);

  await page.getByRole('button', { name: 'Rename site Temp' }).click();
  await page.getByLabel('Site name', { exact: true }).fill('Temp two');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.locator('.site-name', { hasText: 'Temp two' })).toBeVisible();
  await page.getByRole('button', { name: 'Delete site Temp two' }).click();
  await page.getByRole('button', { name: 'Confirm deleting site Temp two' }).click();
  await expect(page.getByText('No sites yet.')).toBeVisible();
  await expect(page.getByTestId('site-code'), 'the deleted site\'s code is no longer shown').toHaveCount(0);

  await page.getByRole('button', { name: 'Delete client' }).click();
  await page.getByRole('button', { name: 'Yes, delete client' }).click();
  await expect(page.getByRole('button', { name: /Initech Renamed/ })).toHaveCount(0);
});
