// Accessibility basics on every main page: each form control and button has an accessible name
// (a label, aria-label or text), every page has one h1 and a main landmark, the skip link
// moves focus to the content from the keyboard, and text (status badges above all) meets WCAG
// AA contrast.
import { expect, signIn, test } from './fixtures';
import type { Page } from '@playwright/test';

const PAGES = ['/', '/agents', '/clients', '/commands', '/alerts'];

test('every control on the main pages is labelled', async ({ page }) => {
  await signIn(page);
  // The agent page too, and a client selected so its editor and sites show.
  await page.goto('/agents');
  await page.locator('.agent-row[data-agent-id] a').first().click();
  await expect(page.getByRole('heading', { name: 'Command terminal' })).toBeVisible();
  const agentPath = new URL(page.url()).pathname;
  await page.goto('/clients');
  await page.getByRole('list', { name: 'Clients' }).getByRole('button').first().click();
  const clientPath = new URL(page.url()).pathname + new URL(page.url()).search;

  for (const path of [...PAGES, agentPath, clientPath]) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1);
    await expect(page.getByRole('main')).toHaveCount(1);
    // Let the lists load (bounded: polling may never leave the network idle for long).
    await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
    const unlabelled = await page.evaluate(() =>
      [...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => {
          const control = el as HTMLInputElement;
          const labelled = (control.labels?.length ?? 0) > 0;
          const aria = el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
          const text = el.tagName === 'BUTTON' && (el.textContent ?? '').trim().length > 0;
          return !labelled && !aria && !text;
        })
        .map((el) => el.outerHTML.slice(0, 120)),
    );
    expect(unlabelled, path).toEqual([]);
  }
});

test('the skip link takes keyboard users to the content', async ({ page }) => {
  await signIn(page);
  await page.goto('/agents');
  await expect(page.getByRole('heading', { name: 'Agents', level: 1 })).toBeVisible();
  await page.locator('body').focus();
  await page.keyboard.press('Tab');
  const skip = page.getByRole('link', { name: 'Skip to content' });
  await expect(skip).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('main')).toBeFocused();
});

/** Every status word the API can put in a badge: agents, commands, alert severities and states. */
const STATUSES = ['online', 'offline', 'pending', 'running', 'completed', 'failed', 'timed_out', 'cancelled',
  'info', 'warning', 'critical', 'open', 'acknowledged', 'resolved'];

/**
 * Text on the page below 4.5:1 against what is behind it (WCAG 2 AA for normal-size text; the
 * badges are small). Disabled controls are exempt, as WCAG says. Every status badge is also
 * lined up, as StatusBadge renders it, in each place badges appear (list, table, terminal
 * header, page title), so colours no page happens to show yet are measured too.
 */
async function lowContrast(page: Page): Promise<string[]> {
  return page.evaluate((statuses) => {
    // Each place a badge appears: [the element put on the page, the one the badges go in].
    const make = (tag: string, className = '') => Object.assign(document.createElement(tag), { className });
    const list = make('ul', 'plain-list');
    const item = list.appendChild(make('li'));
    const table = make('table', 'data-table');
    const cell = table.appendChild(make('tbody')).appendChild(make('tr')).appendChild(make('td'));
    const meta = make('div', 'command-meta');
    const title = make('h2');
    const lineup = make('div');
    for (const [host, into] of [[list, item], [table, cell], [meta, meta], [title, title]]) {
      for (const status of statuses) {
        into.append(Object.assign(make('span', `badge badge-${status}`), { textContent: status.replace('_', ' ') }), ' ');
      }
      lineup.append(host);
    }
    document.querySelector('main')?.append(lineup);

    const rgba = (css: string) => (css.match(/[\d.]+/g) ?? ['0', '0', '0', '0']).map(Number);
    const luminance = ([r, g, b]: number[]) => {
      const lin = (c: number) => ((c /= 255) <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
      return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    };
    const backdrop = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const [r, g, b, a = 1] = rgba(getComputedStyle(e).backgroundColor);
        if (a > 0) return [r, g, b];
      }
      return [255, 255, 255];
    };
    const low: string[] = [];
    for (const el of document.querySelectorAll('main *, header *')) {
      const text = [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent!.trim());
      if (!text || el.closest(':disabled')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden' || style.display === 'none') continue;
      const [r, g, b, a = 1] = rgba(style.color);
      const bg = backdrop(el);
      const fg = [r, g, b].map((c, i) => c * a + bg[i] * (1 - a));
      const [hi, lo] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
      const ratio = (hi + 0.05) / (lo + 0.05);
      if (ratio < 4.5) low.push(`${el.tagName.toLowerCase()}.${el.className} "${el.textContent!.trim().slice(0, 30)}": ${ratio.toFixed(2)}:1`);
    }
    lineup.remove();
    return low;
  }, STATUSES);
}

test('text, status badges above all, meets WCAG AA contrast (4.5:1)', async ({ page }) => {
  await signIn(page);
  await page.goto('/agents');
  await page.locator('.agent-row[data-agent-id] a').first().click();
  await expect(page.getByRole('heading', { name: 'Command terminal' })).toBeVisible();
  const agentPath = new URL(page.url()).pathname;
  for (const path of [...PAGES, agentPath]) {
    await page.goto(path);
    await expect(page.getByRole('heading', { level: 1 })).toHaveCount(1);
    await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
    expect(await lowContrast(page), path).toEqual([]);
  }
});
