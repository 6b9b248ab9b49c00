// Vite builds the dashboard into dist/, which gururmm-server serves (dashboard_dir). In
// `npm run dev` API and /ws requests go to a server on 127.0.0.1:3001, so the page and the API
// share an origin exactly as in production. Vitest's settings live here too.
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The CSP forbids inline code; Vite's module preload polyfill would not need it, but
    // modern Chromium has modulepreload, so leave the polyfill out entirely.
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:3001',
    },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
  },
});
