// Remote Control in the dashboard with the real gururmm-server and gururmm-agent, GuruConnect
// played by the STAND-IN of e2e/gc-standin.ts (its /viewer is a fake page that posts the embed
// lifecycle events). Covers the panel wiring: the button, the framed viewer (allowed by the
// page's CSP), connected/resize/disconnect, and the real agent's refusal of an unsigned build.
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

test('remote control embeds the viewer and follows its lifecycle', async ({ page }) => {
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
  await button.click();

  const panel = page.getByRole('region', { name: 'Remote control session' });
  await expect(panel.getByRole('status')).toHaveText('Connected to standin-host');
  const frame = panel.locator('iframe');
  await expect(frame).toHaveAttribute('data-width', '1280');
  await expect(frame).toHaveAttribute('src', new RegExp(`^${process.env.GRMM_E2E_GC_STANDIN}/viewer\\?embed=1&parent=`));
  await expect(page.frameLocator('iframe.remote-viewer').locator('#status')).toContainText('connected');
  await expect(panel.getByRole('link', { name: 'Open in the GuruConnect app' })).toHaveAttribute(
    'href',
    /^guruconnect:\/\/session\?server=/,
  );

  await panel.getByRole('button', { name: 'Disconnect' }).click();
  await expect(panel.getByRole('status')).toHaveText('Disconnected: technician disconnected');

  // The real RMM agent got the launch and refused it: no GuruConnect release key is pinned in
  // its agent.toml, so nothing was downloaded or run. The audit row says why.
  await expect
    .poll(
      async () => {
        const rows = await (
          await fetch(`${BASE()}/api/agents/${agent.id}/remote-control/sessions`, {
            headers: { Authorization: `Bearer ${token}` },
          })
        ).json();
        return rows[0]?.launch_error ?? '';
      },
      { timeout: 20_000 },
    )
    .toContain('release_public_key');
});
