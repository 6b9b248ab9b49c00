// Metric samples as chart columns (uPlot wants one array per series): percentages from
// used/total, missing values kept as null so the chart shows a gap, not a zero.
import type { MetricSample } from '../api/types';
import { percent } from '../components/format';

/** Column-wise series from the samples (uPlot wants one array per series). */
export function toSeries(samples: MetricSample[]) {
  return {
    times: samples.map((s) => Date.parse(s.recorded_at) / 1000),
    cpu: samples.map((s) => s.cpu_percent),
    memory: samples.map((s) => percent(s.memory_used_bytes, s.memory_total_bytes)),
    disk: samples.map((s) => percent(s.disk_used_bytes, s.disk_total_bytes)),
    rx: samples.map((s) => s.network_rx_bytes),
    tx: samples.map((s) => s.network_tx_bytes),
  };
}

/** The windows the metrics panel offers, in hours. */
export const WINDOW_HOURS = [1, 6, 24, 168] as const;

/** How far back the panel looks before the technician picks a window. */
export const AUTO_LOOKBACK_HOURS = 24;

/**
 * The smallest window, up to a day, that holds every sample (`times`, Unix seconds, up to
 * `now`): a new agent's first minutes fill the chart instead of a sliver at its right edge,
 * and an agent reporting all day gets the day. With no samples yet, the smallest.
 */
export function fittingWindow(times: number[], now: number): number {
  const oldest = times.length ? Math.min(...times) : now;
  const fits = WINDOW_HOURS.find((h) => h <= AUTO_LOOKBACK_HOURS && now - oldest <= h * 3600);
  return fits ?? AUTO_LOOKBACK_HOURS;
}
