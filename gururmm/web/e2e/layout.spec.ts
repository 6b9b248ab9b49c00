// No page is wider than the window. With the text nobody here chooses the length of at its
// worst — a long unbroken command and its output, a 250-character hostname (in an alert too),
// long client and site names — and a remote-control launch in the history, every page's
// document is no wider than the viewport at 1440 and at 1024 px. The launch shows as a
// remote-control event, never as its stored form.
import { expect, signIn, test } from './fixtures';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './credentials';
import type { Page } from '@playwright/test';

const BASE = () => process.env.GRMM_E2E_BASE_URL!;
const WIDE_HOST = `wide-${'w'.repeat(245)}`;
const LONG_COMMAND = `echo ${'x'.repeat(1500)}`;
const LONG_NAME = `Client ${Date.now()} ${'c'.repeat(170)}`;

async function api(path: string, token: string, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${BASE()}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

interface World {
  first: string;
  wide: string;
  clientId: string;
}

/** The long texts and the launch, made through the API as any client could. */
async function seed(): Promise<World> {
  const { token } = await api('/api/auth/login', '', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  const first = (await api('/api/agents?q=e2e-first', token)).items[0].id as string;
  const registered = await api('/api/agent/register-legacy', '', {
    site_code: process.env.GRMM_E2E_SITE_CODE,
    // Unique per run of this hook: Playwright runs it again in a new worker after a failure.
    device_id: `e2e-wide-${Date.now()}`,
    hostname: WIDE_HOST,
    os_type: 'linux',
    os_version: `Distribution ${'v'.repeat(120)}`,
    agent_version: '0.0.1',
  });
  const wide = registered.agent_id as string;
  // One heartbeat, then silence: it goes offline, and the server raises an alert naming it
  // (the e2e server's presence and alert delays are seconds; global-setup.ts).
  await api('/api/agent/heartbeat', '', {}, { 'X-Agent-Key': registered.api_key });
  const client = await api('/api/clients', token, { name: LONG_NAME });
  await api('/api/sites', token, { client_id: client.id, name: `Site ${'s'.repeat(150)}` });
  await api(`/api/agents/${wide}/command`, token, { command_type: 'shell', command: LONG_COMMAND });
  const sent = await api(`/api/agents/${first}/command`, token, { command_type: 'shell', command: LONG_COMMAND });
  await expect
    .poll(async () => (await api(`/api/commands/${sent.id}`, token)).status, { timeout: 20_000 })
    .toBe('completed');
  await api(`/api/agents/${first}/remote-control`, token, { mode: 'unattended' });
  await expect
    .poll(async () => (await api(`/api/alerts?agent_id=${wide}`, token)).length, { timeout: 20_000 })
    .toBeGreaterThan(0);
  return { first, wide, clientId: client.id };
}

/** Waits for what makes the page wide when it is, opens every collapsed command, measures. */
async function widthOf(page: Page, path: string, ready: string) {
  await page.goto(path);
  await expect(page.getByText(ready, { exact: false }).first()).toBeVisible();
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
  return page.evaluate(() => {
    const client = document.documentElement.clientWidth;
    const sticksOut = (el: Element) => el.getBoundingClientRect().right > client + 0.5;
    // The innermost elements past the right edge, to say what widened the page.
    const textSticksOut = (el: Element) =>
      [...el.childNodes].some((n) => {
        if (n.nodeType !== Node.TEXT_NODE) return false;
        const range = document.createRange();
        range.selectNode(n);
        return range.getBoundingClientRect().right > client + 0.5;
      });
    const culprits = [...document.querySelectorAll('body *')]
      .filter((el) => (sticksOut(el) && ![...el.children].some(sticksOut)) || textSticksOut(el))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${(el.textContent ?? '').slice(0, 40)}`);
    return { scroll: document.documentElement.scrollWidth, client, culprits };
  });
}

let world: World;
test.beforeAll(async () => {
  world = await seed();
});

test('no page is wider than the window, whatever the commands, output and names', async ({ page }) => {
  const event = 'Remote control (unattended) – GuruConnect';
  const pages: [string, string][] = [
    ['/', event],
    ['/agents', WIDE_HOST],
    [`/agents/${world.first}`, 'x'.repeat(100)],
    [`/agents/${world.wide}`, WIDE_HOST],
    [`/clients?client=${world.clientId}`, LONG_NAME],
    ['/commands', event],
    ['/alerts', WIDE_HOST],
  ];
  await signIn(page);
  for (const width of [1440, 1024]) {
    await page.setViewportSize({ width, height: 900 });
    for (const [path, ready] of pages) {
      const { scroll, client, culprits } = await widthOf(page, path, ready);
      expect(scroll, `${path} at ${width} px: ${culprits.join(' | ')}`).toBeLessThanOrEqual(client);
    }
  }
});

test('a launch is a remote-control event in every history, never its stored form', async ({ page }) => {
  await signIn(page);
  const first = new URLSearchParams({ q: 'e2e-first' });
  for (const path of ['/', '/commands', `/agents?${first}`]) {
    await page.goto(path);
    if (path.startsWith('/agents')) {
      await page.locator('.agent-row[data-agent-id] a').first().click();
    }
    await expect(page.locator('.command-event').first()).toContainText(/^Remote control \(unattended\) – GuruConnect \S+ – session \S{8}$/);
    const text = await page.locator('main').innerText();
    for (const stored of ['sealed_secret', 'signature', 'download_url', '"release"', 'wss://']) {
      expect(text, `${stored} on ${path}`).not.toContain(stored);
    }
  }
});
