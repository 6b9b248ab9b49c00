// Playwright drives Debian's Chromium (/usr/bin/chromium; `npx playwright install` cannot
// download browsers here) against the real gururmm-server and real gururmm-agent processes
// that e2e/global-setup.ts starts. Playwright's launch() already gives every run a fresh
// temporary profile (--user-data-dir), so no state leaks between runs. One worker: the specs
// share one server and build on each other's data.
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'e2e',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // Bounds, not performance thresholds: a stuck run fails instead of hanging CI.
  timeout: 60_000,
  globalTimeout: 300_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    baseURL: process.env.GRMM_E2E_BASE_URL,
    browserName: 'chromium',
    launchOptions: {
      executablePath: process.env.GRMM_E2E_CHROMIUM ?? '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    permissions: ['clipboard-read', 'clipboard-write'],
    trace: 'off',
  },
});
