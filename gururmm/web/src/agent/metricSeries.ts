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
