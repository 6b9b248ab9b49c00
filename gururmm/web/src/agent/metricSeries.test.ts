// Metric samples to chart series: percentages from used/total, gaps kept as null.
import { describe, expect, it } from 'vitest';
import { AUTO_LOOKBACK_HOURS, MIN_SPAN_SECONDS, fittingSpan, toSeries } from './metricSeries';

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

describe('fittingSpan', () => {
  const end = 1_800_000_000;
  const ago = (minutes: number) => end - minutes * 60;

  it('spans a new agent from its first sample, so its minutes fill the chart', () => {
    expect(fittingSpan([ago(12), ago(6), ago(0)], end)).toEqual([ago(12), end]);
  });

  it('spans at least a minute, at most the lookback', () => {
    expect(fittingSpan([end - 5], end)).toEqual([end - MIN_SPAN_SECONDS, end]);
    expect(fittingSpan([ago(3 * 24 * 60), ago(1)], end)).toEqual([end - AUTO_LOOKBACK_HOURS * 3600, end]);
  });

  it('shows the last hour while there is nothing yet', () => {
    expect(fittingSpan([], end)).toEqual([end - 3600, end]);
  });
});
