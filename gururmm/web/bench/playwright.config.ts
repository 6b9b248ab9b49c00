// `npm run bench`: the dashboard's agents list with 10,000 agents, measured in Chromium against
// the real server (the e2e global setup starts it). Prints a table; asserts no timing.
import { defineConfig } from '@playwright/test';
import base from '../playwright.config';

export default defineConfig({
  ...base,
  testDir: '.',
  testMatch: /.*\.bench\.ts$/,
  globalSetup: '../e2e/global-setup.ts',
  timeout: 600_000,
  globalTimeout: 900_000,
});
