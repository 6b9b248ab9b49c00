// Metric samples to chart series: percentages from used/total, gaps kept as null.
import { describe, expect, it } from 'vitest';
import { toSeries } from './metricSeries';

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
