// Metric samples to chart series: percentages from used/total, gaps kept as null.
import { describe, expect, it } from 'vitest';
import { AUTO_LOOKBACK_HOURS, fittingWindow, toSeries } from './metricSeries';

describe('toSeries', () => {
  it('computes percentages and keeps missing values as gaps', () => {
    const s = toSeries([
      {
        recorded_at: '2026-01-01T00:00:00Z',
        cpu_percent: 12.5,
        memory_used_bytes: 1,
        memory_total_bytes: 4,
        disk_used_bytes: null,
        disk_total_bytes: null,
        network_rx_bytes: 10,
        network_tx_bytes: 20,
      },
    ]);
    expect(s.times).toEqual([Date.parse('2026-01-01T00:00:00Z') / 1000]);
    expect(s.cpu).toEqual([12.5]);
    expect(s.memory).toEqual([25]);
    expect(s.disk).toEqual([null]);
    expect(s.rx).toEqual([10]);
  });
});

describe('fittingWindow', () => {
  const now = 1_800_000_000;
  const ago = (minutes: number) => now - minutes * 60;

  it('shows a new agent its first minutes in the last hour, not a sliver of a day', () => {
    expect(fittingWindow([ago(12), ago(6), ago(0)], now)).toBe(1);
    expect(fittingWindow([], now)).toBe(1);
  });

  it('widens to the smallest window that holds every sample, up to a day', () => {
    expect(fittingWindow([ago(61), ago(1)], now)).toBe(6);
    expect(fittingWindow([ago(7 * 60), ago(1)], now)).toBe(24);
    expect(fittingWindow([ago(3 * 24 * 60), ago(1)], now)).toBe(AUTO_LOOKBACK_HOURS);
  });
});
