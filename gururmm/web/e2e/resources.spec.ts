// Nothing a page asks for is missing: no page logs a failed resource, and the icon every page
// gets (the one it names, else /favicon.ico, which browsers fetch for the API docs and for JSON
// opened in a tab) is an image.
import { expect, signIn, test } from './fixtures';

test('no page logs a missing resource, and every page has its icon', async ({ page }) => {
  const failed: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Failed to load resource/.test(m.text())) failed.push(`${page.url()}: ${m.text()}`);
  });
  await signIn(page);
  const pages = ['/', '/agents', '/clients', '/commands', '/alerts', '/no-such-page', '/api/docs', '/health', '/api/openapi.json'];
  for (const path of pages) {
    await page.goto(path);
    await page.waitForLoadState('networkidle', { timeout: 5_000 }).catch(() => {});
    const icon = await page.evaluate(
      () => document.querySelector<HTMLLinkElement>('link[rel~="icon"]')?.href ?? new URL('/favicon.ico', location.href).href,
    );
    const res = await page.request.get(icon);
    expect(res.status(), `${path}: ${icon}`).toBe(200);
    expect(res.headers()['content-type'], `${path}: ${icon}`).toMatch(/^image\//);
  }
  expect(failed).toEqual([]);
});
