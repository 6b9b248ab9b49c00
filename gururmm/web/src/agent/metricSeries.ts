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

/** How far back "fit to data" looks: the panel's default until a window is picked. */
export const AUTO_LOOKBACK_HOURS = 24;

/** The least time "fit to data" spans, so one sample is a point on an axis, not the axis. */
export const MIN_SPAN_SECONDS = 60;

/**
 * "Fit to data": the time axis from the oldest sample (`times`, Unix seconds) to `end`, so a
 * new agent's first minutes fill the charts instead of a sliver at a day's right edge; at
 * least a minute, at most the lookback. With no samples yet, the last hour.
 */
export function fittingSpan(times: number[], end: number): [number, number] {
  if (!times.length) return [end - 3600, end];
  const oldest = Math.min(...times);
  const start = Math.max(end - AUTO_LOOKBACK_HOURS * 3600, Math.min(oldest, end - MIN_SPAN_SECONDS));
  return [start, end];
}
