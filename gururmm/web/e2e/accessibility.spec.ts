// Accessibility basics on every main page: each form control and button has an accessible name
// (a label, aria-label or text), every page has one h1 and a main landmark, and the skip link
// moves focus to the content from the keyboard.
import { expect, signIn, test } from './fixtures';

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
