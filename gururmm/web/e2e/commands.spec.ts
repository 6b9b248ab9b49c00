// Every command type through the terminal on the real Linux agent, each reaching a result, and
// the states a technician watches: running while a slow command works, then completed; pending
// for an agent that is not connected, then cancelled from the terminal. Results arrive through
// the server's event stream, and by polling while that stream cannot be reached.
import { expect, signIn, test } from './fixtures';
import type { Page } from '@playwright/test';

async function openAgent(page: Page, query: string) {
  await page.goto(`/agents?${query}`);
  const row = page.locator('.agent-row[data-agent-id]').first();
  await row.getByRole('link').click();
  await expect(page.getByRole('heading', { name: 'Command terminal' })).toBeVisible();
}

async function send(page: Page, type: string, command: string) {
  await page.getByRole('combobox', { name: 'Type' }).selectOption(type);
  await page.getByLabel('Command', { exact: true }).fill(command);
  await page.getByRole('button', { name: 'Send command' }).click();
  const latest = page.getByRole('article', { name: 'Latest command' });
  await expect(latest.locator('.command-text')).toHaveText(command);
  return latest;
}

test.beforeEach(async ({ page }) => signIn(page));

test('each command type reaches a result on the real agent', async ({ page }) => {
  await openAgent(page, 'status=online&q=e2e-first');
  const expected: [string, string, RegExp, string][] = [
    ['shell', 'echo shell-ok', /completed/, 'shell-ok'],
    ['python', 'print(6 * 7)', /completed/, '42'],
    ['script', '#!/bin/sh\necho script-ok', /completed/, 'script-ok'],
    // Not installed / not enabled on this Linux agent: a failed result that says why.
    ['powershell', 'Get-Date', /failed/, 'PowerShell is not installed'],
    ['claude_task', 'summarise the disk usage', /failed/, ''],
  ];
  for (const [type, command, state, output] of expected) {
    const latest = await send(page, type, command);
    await expect(latest.locator('.badge').first(), type).toHaveText(state);
    await expect(latest.locator('.command-meta'), type).toContainText(type);
    if (output) await expect(latest.locator('.output').first(), type).toContainText(output);
  }
});

test('a slow command is seen running, then completed', async ({ page }) => {
  await openAgent(page, 'status=online&q=e2e-first');
  const latest = await send(page, 'shell', 'sleep 3 && echo slow-done');
  await expect(latest.locator('.badge').first()).toHaveText('running');
  await expect(latest).toContainText('Waiting for the agent');
  await expect(latest.locator('.badge').first()).toHaveText('completed');
  await expect(latest.getByLabel('Standard output')).toHaveText(/slow-done/);
});

// The command lists' own requests (not the event stream, /api/commands/events).
const COMMAND_LISTS = /\/api\/commands\?/;

test('a result arrives pushed: with the lists unreachable, it still shows', async ({ page }) => {
  await openAgent(page, 'status=online&q=e2e-first');
  const latest = await send(page, 'shell', 'sleep 2 && echo pushed-done');
  await expect(latest.locator('.badge').first()).toHaveText('running');
  // From here the page can learn the result only from the stream.
  await page.route(COMMAND_LISTS, (route) => route.abort());
  await expect(latest.locator('.badge').first()).toHaveText('completed');
  await expect(latest.getByLabel('Standard output')).toHaveText(/pushed-done/);
});

test('with the stream unreachable, the list polls and the result still shows', async ({ page }) => {
  await page.route('**/api/commands/events', (route) => route.abort());
  await openAgent(page, 'status=online&q=e2e-first');
  let listFetches = 0;
  page.on('request', (request) => {
    if (COMMAND_LISTS.test(request.url())) listFetches += 1;
  });
  const latest = await send(page, 'shell', 'sleep 3 && echo polled-done');
  await expect(latest.locator('.badge').first()).toHaveText('completed');
  await expect(latest.getByLabel('Standard output')).toHaveText(/polled-done/);
  // The reload after sending, then the fast poll while it ran (the slow one is every 10 s).
  expect(listFetches).toBeGreaterThanOrEqual(3);
});

test('a command for an agent that is not connected waits as pending and can be cancelled', async ({ page, request }) => {
  const res = await request.post('/api/agent/register-legacy', {
    data: {
      site_code: process.env.GRMM_E2E_SITE_CODE,
      device_id: 'e2e-offline',
      hostname: 'offline-box',
      os_type: 'linux',
      agent_version: '0.0.1',
    },
  });
  expect(res.status()).toBe(201);
  await openAgent(page, 'q=offline-box');
  const latest = await send(page, 'shell', 'echo queued');
  await expect(latest.locator('.badge').first()).toHaveText('pending');
  await latest.getByRole('button', { name: 'Cancel' }).click();
  await expect(latest.locator('.badge').first()).toHaveText('cancelled');
});
