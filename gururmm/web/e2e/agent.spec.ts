// The real agent seen through the dashboard: online in the list, opened from the keyboard,
// charts fed by its real metrics, its network state, and a shell command run on it with the
// output shown. A command printing markup shows the markup as text and runs nothing.
import { expect, signIn, test } from './fixtures';
import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';

async function openFirstAgent(page: Page) {
  await page.goto('/agents?status=online');
  const row = page.locator('.agent-row[data-agent-id]').first();
  await expect(row).toContainText('online');
  const link = row.getByRole('link');
  const hostname = (await link.textContent()) ?? '';
  await link.focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('.agent-header h1')).toContainText('online');
  return hostname;
}

async function runCommand(page: Page, command: string) {
  const box = page.getByLabel('Command', { exact: true });
  await box.fill(command);
  await box.press('Control+Enter');
  const latest = page.getByRole('article', { name: 'Latest command' });
  await expect(latest.locator('.command-text')).toHaveText(command);
  await expect(latest.locator('.badge').first()).toHaveText('completed');
  return latest;
}

test.beforeEach(async ({ page }) => signIn(page));

test('the agent is online, opens from the keyboard, and its charts show real metrics', async ({ page }) => {
  await openFirstAgent(page);
  const cpu = page.getByRole('figure', { name: 'CPU' });
  await expect(cpu).toHaveAttribute('data-samples', /^[1-9]\d*$/);
  await expect(cpu.locator('output')).toHaveText(/^\d+%$/);
  await expect(page.getByRole('figure', { name: 'Memory' }).locator('output')).toHaveText(/^\d+%$/);
  await expect(page.getByRole('figure', { name: 'Disk' }).locator('output')).toHaveText(/^\d+%$/);
  await expect(page.getByRole('figure', { name: 'Network' }).locator('output').first()).toHaveText(/B$/);
  // uPlot drew onto a real canvas.
  await expect(cpu.locator('canvas')).toHaveCount(1);
  // The agent started moments ago: by default the axis fits its data (from its oldest sample),
  // not a day or an hour with the data a sliver at the right edge.
  await expect(page.getByRole('combobox', { name: 'Window' })).toHaveValue('0');
  const agentId = new URL(page.url()).pathname.split('/').pop();
  const oldest = await page.evaluate(async (id) => {
    const token = JSON.parse(localStorage.getItem('gururmm.session') ?? '{}').token;
    const res = await fetch(`/api/agents/${id}/metrics?hours=24`, { headers: { Authorization: `Bearer ${token}` } });
    const samples: { recorded_at: string }[] = await res.json();
    return Math.min(...samples.map((s) => Date.parse(s.recorded_at) / 1000));
  }, agentId);
  const from = Number(await cpu.getAttribute('data-span-from'));
  const to = Number(await cpu.getAttribute('data-span-to'));
  expect(from).toBeLessThanOrEqual(oldest);
  expect(to - from).toBeLessThan(3600);
  // The loopback interface is always there.
  await expect(page.getByRole('region', { name: 'Network' }).getByRole('cell', { name: 'lo', exact: true })).toBeVisible();
});

test('the OS is named once, as the machine names itself', async ({ page }) => {
  // The agent runs on this machine, so its os-release is the truth.
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  expect(pretty).not.toBe('');
  const escaped = pretty.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  await openFirstAgent(page);
  // "Debian GNU/Linux 12 (bookworm), x86_64": the name and the architecture, nothing twice.
  const os = page.locator('.identity dd').first();
  await expect(os).toHaveText(new RegExp(`^${escaped}, \\w+$`));
  await expect(os).not.toContainText('Linux (');
  await page.goto('/agents?status=online&q=e2e-first');
  const row = page.locator('.agent-row[data-agent-id]').first();
  await expect(row.getByRole('cell').nth(2)).toHaveText(pretty);
});

test('a shell command runs on the agent and its output is shown', async ({ page }) => {
  const hostname = await openFirstAgent(page);
  const latest = await runCommand(page, 'echo hello-from-e2e && uname -s');
  await expect(latest.getByLabel('Standard output')).toContainText('hello-from-e2e');
  await expect(latest.getByLabel('Standard output')).toContainText('Linux');
  await expect(latest).toContainText('exit 0');
  // And it is on the commands page too.
  await page.getByRole('link', { name: 'Commands' }).click();
  await expect(page.getByRole('heading', { name: 'Commands', level: 1 })).toBeVisible();
  const row = page.getByRole('row').filter({ has: page.getByRole('cell', { name: 'echo hello-from-e2e && uname -s' }) });
  await expect(row).toHaveCount(1);
  // The row names the machine it ran on.
  await expect(row.getByRole('link')).toHaveText(hostname);
});

test('the Elevated box decides whose rights the command runs with', async ({ page }) => {
  await openFirstAgent(page);
  // The real agent runs as the same user as this test.
  const root = process.getuid?.() === 0;
  const plain = await runCommand(page, 'id -un');
  if (root) await expect(plain.getByLabel('Standard output')).toHaveText('nobody');
  await page.getByLabel('Elevated').check();
  const box = page.getByLabel('Command', { exact: true });
  await box.fill('id -u');
  await box.press('Control+Enter');
  const latest = page.getByRole('article', { name: 'Latest command' });
  await expect(latest.locator('.command-text')).toHaveText('id -u');
  if (root) {
    await expect(latest.locator('.badge').first()).toHaveText('completed');
    await expect(latest.getByLabel('Standard output')).toHaveText('0');
  } else {
    await expect(latest.locator('.badge').first()).toHaveText('failed');
    await expect(latest).toContainText('asks for elevation');
  }
});

test('command output carrying markup renders as inert text', async ({ page }) => {
  await openFirstAgent(page);
  const payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';
  const latest = await runCommand(page, `printf '%s' '${payload}'`);
  await expect(latest.getByLabel('Standard output')).toHaveText(payload);
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(page.locator('main script')).toHaveCount(0);
});
