// CPU, memory, disk and network over time for one agent, from /api/agents/{id}/metrics.
import { useState } from 'react';
import { useMetrics } from '../api/hooks';
import { Chart } from '../components/Chart';
import { ErrorBox } from '../components/ErrorBox';
import { formatBytes } from '../components/format';
import { AUTO_LOOKBACK_HOURS, WINDOW_HOURS, fittingSpan, toSeries } from './metricSeries';

const LABELS: Record<(typeof WINDOW_HOURS)[number], string> = {
  1: 'Last hour',
  6: 'Last 6 hours',
  24: 'Last 24 hours',
  168: 'Last 7 days',
};

const pct = (v: number) => `${v.toFixed(0)}%`;

export function MetricsPanel({ agentId }: { agentId: string }) {
  // 0: "fit to data", the default: the last day is fetched and the axis spans what there is
  // (fittingSpan), so a new agent's data is not a sliver at the edge of a 24-hour axis.
  const [hours, setHours] = useState(0);
  const metrics = useMetrics(agentId, hours || AUTO_LOOKBACK_HOURS);
  const s = toSeries(metrics.data ?? []);
  // The window ends at the last fetch, so the newest sample sits at the right edge.
  const end = metrics.dataUpdatedAt ? metrics.dataUpdatedAt / 1000 : Date.now() / 1000;
  const span: [number, number] = hours ? [end - hours * 3600, end] : fittingSpan(s.times, end);
  return (
    <section aria-labelledby="metrics-heading" className="panel">
      <div className="panel-head">
        <h2 id="metrics-heading">Metrics</h2>
        <label>
          Window
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            <option value={0}>Fit to data (up to {AUTO_LOOKBACK_HOURS} hours)</option>
            {WINDOW_HOURS.map((h) => (
              <option key={h} value={h}>
                {LABELS[h]}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={metrics.error} title="Metrics" />
      {metrics.data && metrics.data.length === 0 && <p>No samples in this window yet.</p>}
      <div className="charts">
        <Chart span={span} title="CPU" times={s.times} series={[{ label: 'CPU', values: s.cpu, color: '#1f6feb' }]} format={pct} range={[0, 100]} />
        <Chart span={span} title="Memory" times={s.times} series={[{ label: 'Memory used', values: s.memory, color: '#8250df' }]} format={pct} range={[0, 100]} />
        <Chart span={span} title="Disk" times={s.times} series={[{ label: 'Fullest disk', values: s.disk, color: '#bf8700' }]} format={pct} range={[0, 100]} />
        <Chart
          span={span}
          title="Network"
          times={s.times}
          series={[
            { label: 'Received', values: s.rx, color: '#1a7f37' },
            { label: 'Sent', values: s.tx, color: '#cf222e' },
          ]}
          format={formatBytes}
        />
      </div>
    </section>
  );
}
