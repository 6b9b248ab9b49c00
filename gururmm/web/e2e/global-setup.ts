// Starts the world the specs run in: a real gururmm-server on a free loopback port with a
// fresh SQLite data dir and the built dashboard, an admin made through the server's CLI, a
// client and site made through the API, and a real gururmm-agent enrolled with the site code.
// The specs read the details from GRMM_E2E_* variables; the returned function stops it all.
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startProvider, ssoEnv } from '../../../kit/web-test/oidc';
import { STANDIN_KEY, startStandIn } from './gc-standin';
import { WEB_DIR, createAdmin, freePort, startAgent, startServer, waitFor } from './processes';

import { ADMIN_EMAIL, ADMIN_PASSWORD, SSO_EMAIL, TECH_EMAIL, TECH_PASSWORD, TWO_FACTOR_EMAIL } from './credentials';

async function json(base: string, p: string, init: RequestInit & { token?: string } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  const res = await fetch(base + p, { ...init, headers });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${p}: ${res.status} ${await res.text()}`);
  return res.json();
}

export default async function globalSetup() {
  if (!existsSync(path.join(WEB_DIR, 'dist', 'index.html'))) {
    throw new Error('dist/index.html is missing: run `npm run build` before `npm run e2e`.');
  }
  const root = mkdtempSync(path.join(tmpdir(), 'gururmm-e2e-'));
  const pids = path.join(root, 'pids');
  const dataDir = path.join(root, 'data');
  createAdmin(dataDir, ADMIN_EMAIL, ADMIN_PASSWORD);
  createAdmin(dataDir, TECH_EMAIL, TECH_PASSWORD, 'technician');
  createAdmin(dataDir, TWO_FACTOR_EMAIL, TECH_PASSWORD, 'technician');
  createAdmin(dataDir, SSO_EMAIL, TECH_PASSWORD, 'technician');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // GuruConnect is played by a stand-in (e2e/gc-standin.ts) so the Remote Control panel can be
  // driven; it also becomes the dashboard's frame-src by default.
  const standin = await startStandIn();
  // Single sign-on at a real OpenID Connect provider (kit/oidc-provider): one person whose
  // address is an account, one stranger.
  const provider = await startProvider(`${base}/api/auth/sso/callback`, [
    { login: 'sso-tech', email: SSO_EMAIL, email_verified: true },
    { login: 'stranger', email: 'stranger@e2e.test', email_verified: true },
  ]);
  appendFileSync(pids, `${provider.child.pid}\n`);
  // Alerts within seconds, so the pages have some to show: the real agent's memory use always
  // crosses 1 %, and a legacy agent silent for 2 s is offline, 1 s later alerted.
  const config = path.join(root, 'server.toml');
  writeFileSync(
    config,
    ['[limits]', 'polling_presence_secs = 2', '[alerts]', 'offline_after_secs = 1', 'memory_percent = 1.0', ''].join('\n'),
  );
  const server = startServer(
    dataDir,
    port,
    { GURURMM_CONNECT_URL: standin.base, GURURMM_CONNECT_INTEGRATION_KEY: STANDIN_KEY, ...ssoEnv('GURURMM', provider, 'Test IdP') },
    config,
  );
  appendFileSync(pids, `${server.pid}\n`);
  let exited = false;
  server.on('exit', () => (exited = true));
  await waitFor('the server to answer /health', async () => {
    if (exited) throw new Error('gururmm-server exited; rerun with GRMM_E2E_VERBOSE=1 to see its log');
    return (await fetch(`${base}/health`)).ok ? true : undefined;
  });

  const { token } = await json(base, '/api/auth/login', {
    method: 'POST',
    body: JSON.stringify({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }),
  });
  const client = await json(base, '/api/clients', { method: 'POST', token, body: JSON.stringify({ name: 'Acme E2E' }) });
  const site = await json(base, '/api/sites', {
    method: 'POST',
    token,
    body: JSON.stringify({ client_id: client.id, name: 'Head office' }),
  });
  // A second site, so an agent can be moved.
  await json(base, '/api/sites', {
    method: 'POST',
    token,
    body: JSON.stringify({ client_id: client.id, name: 'Warehouse' }),
  });
  const agent = startAgent(root, 'first', port, site.site_code);
  appendFileSync(pids, `${agent.pid}\n`);
  await waitFor('the first agent to come online', async () => {
    const page = await json(base, '/api/agents?status=online', { token });
    return page.total === 1 ? true : undefined;
  });

  Object.assign(process.env, {
    GRMM_E2E_BASE_URL: base,
    GRMM_E2E_ROOT: root,
    GRMM_E2E_PORT: String(port),
    GRMM_E2E_PIDS: pids,
    GRMM_E2E_SITE_CODE: site.site_code,
    GRMM_E2E_GC_STANDIN: standin.base,
  });

  return async () => {
    const listed = existsSync(pids) ? readFileSync(pids, 'utf8').split('\n').filter(Boolean) : [];
    for (const pid of listed.reverse()) {
      try {
        process.kill(Number(pid), 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
    await new Promise((r) => setTimeout(r, 300));
    await standin.close();
    rmSync(root, { recursive: true, force: true });
  };
}
