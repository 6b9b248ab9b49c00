// Seeds 10,000 agents (legacy registration with the suite's site code, 8 requests in flight)
// and measures what a technician sees on the agents list: time from navigation to the first
// rows, how many rows exist in the DOM, time for a jump to the end of the list to show its
// last rows, a search, and the API pages behind them. Several runs; medians printed.
import { expect, signIn, test } from '../e2e/fixtures';

const AGENTS = Number(process.env.GRMM_BENCH_AGENTS ?? 10_000);
const RUNS = 3;
const OS = ['windows', 'linux', 'macos'];

async function seed(base: string, code: string) {
  let next = 0;
  const worker = async () => {
    while (next < AGENTS) {
      const i = next++;
      const res = await fetch(`${base}/api/agent/register-legacy`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          site_code: code,
          device_id: `bench-${i}`,
          hostname: `bench-${String(i).padStart(5, '0')}`,
          os_type: OS[i % OS.length],
          os_version: 'bench',
          arch: 'x86_64',
          agent_version: '0.1.0',
        }),
      });
      if (res.status !== 201) throw new Error(`register ${i}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('agents list with 10,000 agents', async ({ page, request }) => {
  const base = process.env.GRMM_E2E_BASE_URL!;
  const seedStart = Date.now();
  await seed(base, process.env.GRMM_E2E_SITE_CODE!);
  const seedMs = Date.now() - seedStart;
  await signIn(page);

  const firstRows: number[] = [];
  const lastRows: number[] = [];
  const searches: number[] = [];
  let domRows = 0;
  for (let run = 0; run < RUNS; run += 1) {
    await page.goto('/');
    const t0 = Date.now();
    await page.goto('/agents');
    await expect(page.locator('.agent-row[data-agent-id]').first()).toBeVisible();
    firstRows.push(Date.now() - t0);
    await expect(page.getByText(`${(AGENTS + 1).toLocaleString('en-US')} agents`)).toBeVisible();
    domRows = await page.locator('.agent-row[data-agent-id], .loading-row').count();

    const t1 = Date.now();
    await page.getByTestId('agents-scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect(page.locator('[aria-rowindex="10002"][data-agent-id]')).toBeVisible();
    lastRows.push(Date.now() - t1);

    const t2 = Date.now();
    await page.getByRole('searchbox', { name: 'Search' }).fill('bench-09999');
    await expect(page.getByText('1 agent', { exact: true })).toBeVisible();
    searches.push(Date.now() - t2);
  }

  const token = await page.evaluate(() => JSON.parse(localStorage.getItem('gururmm.session') ?? '{}').token);
  const api = async (path: string) => {
    const times: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const t = Date.now();
      const res = await request.get(path, { headers: { Authorization: `Bearer ${token}` } });
      expect(res.ok()).toBe(true);
      times.push(Date.now() - t);
    }
    return median(times);
  };
  const rows = [
    ['agents seeded (legacy registration, 8 in flight)', `${AGENTS} in ${(seedMs / 1000).toFixed(1)} s`],
    ['navigation to first rows visible (median of 3)', `${median(firstRows)} ms`],
    ['rows in the DOM (of 10,001)', String(domRows)],
    ['jump to the end until the last rows show (median)', `${median(lastRows)} ms`],
    ['search typed until the one match shows (median, incl. 250 ms debounce)', `${median(searches)} ms`],
    ['API first page, 100 rows, hostname order (median of 20)', `${await api('/api/agents?per_page=100&page=1')} ms`],
    ['API last page, 100 rows (median of 20)', `${await api('/api/agents?per_page=100&page=101')} ms`],
    ['API first page sorted by last_seen desc (median of 20)', `${await api('/api/agents?per_page=100&sort=last_seen&order=desc')} ms`],
    ['API os_type=windows, first page (median of 20)', `${await api('/api/agents?per_page=100&os_type=windows')} ms`],
  ];
  console.log('\n| Measure | Result |\n|---|---|');
  for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
});
