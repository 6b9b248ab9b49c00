// Remote Control in the dashboard with the real gururmm-server and gururmm-agent, GuruConnect
// played by the STAND-IN of e2e/gc-standin.ts (its /viewer is a fake page that posts the embed
// lifecycle events). Covers the panel wiring: the button, the framed viewer (allowed by the
// page's CSP), and the real agent's refusal shown as the panel's status, not "connected".
import { expect, signIn, test } from './fixtures';
import { ADMIN_EMAIL, ADMIN_PASSWORD } from './credentials';

const BASE = () => process.env.GRMM_E2E_BASE_URL!;

async function adminToken(): Promise<string> {
  const res = await fetch(`${BASE()}/api/auth/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  return (await res.json()).token;
}

test('a launch the agent refuses shows its reason in the panel, never a green status', async ({ page }) => {
  const token = await adminToken();
  const agents = await (
    await fetch(`${BASE()}/api/agents?q=e2e-first`, { headers: { Authorization: `Bearer ${token}` } })
  ).json();
  const agent = agents.items[0];
  await signIn(page);
  await page.goto(`/agents/${agent.id}`);
  const button = page.getByRole('button', { name: 'Remote Control' });
  await expect(button).toBeEnabled();
  await page.getByLabel('Mode').selectOption('unattended');
  // The frame is shown until the launch is known to have failed, then taken away; the agent
  // may refuse before a poll of the page would see it, so every frame added is recorded.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { framesSeen: string[] }).framesSeen = seen;
    new MutationObserver((records) => {
      for (const added of records.flatMap((r) => [...r.addedNodes])) {
        if (!(added instanceof Element)) continue;
        const frames = added instanceof HTMLIFrameElement ? [added] : [...added.querySelectorAll('iframe')];
        seen.push(...frames.map((f) => f.src));
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  await button.click();

  const panel = page.getByRole('region', { name: 'Remote control session' });
  // The real RMM agent got the launch and refused it: no GuruConnect release key is pinned in
  // its agent.toml, so nothing was downloaded or run. The panel says so within seconds, even
  // though the viewer frame was accepted by "GuruConnect".
  const status = panel.getByRole('status');
  await expect(status).toHaveText(/^Remote control failed: .*release_public_key/, { timeout: 15_000 });
  await expect(status).toHaveClass(/rc-failed/);
  const framed = await page.evaluate(() => (window as unknown as { framesSeen: string[] }).framesSeen);
  const viewer = new RegExp(`^${process.env.GRMM_E2E_GC_STANDIN}/viewer\\?embed=1&parent=`);
  expect(framed.some((src) => viewer.test(src)), `the viewer was framed: ${framed.join(', ')}`).toBe(true);
  await expect(panel.locator('iframe'), 'a failed launch shows no frame').toHaveCount(0);
  await expect(panel.getByRole('button', { name: 'Disconnect' })).toBeDisabled();
  await expect(panel.getByRole('link', { name: /GuruConnect app/ })).toHaveCount(0);
  const row = await (
    await fetch(`${BASE()}/api/agents/${agent.id}/remote-control/sessions`, { headers: { Authorization: `Bearer ${token}` } })
  ).json();
  expect(row[0].status).toBe('failed');
  expect(row[0].ended_at).toBeTruthy();
  await panel.getByRole('button', { name: 'Close' }).click();
  await expect(panel).toHaveCount(0);
});
