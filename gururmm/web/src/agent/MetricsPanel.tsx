// CPU, memory, disk and network over time for one agent, from /api/agents/{id}/metrics.
import { useState } from 'react';
import { useMetrics } from '../api/hooks';
import { Chart } from '../components/Chart';
import { ErrorBox } from '../components/ErrorBox';
import { formatBytes } from '../components/format';
import { toSeries } from './metricSeries';

const WINDOWS = [
  { hours: 1, label: 'Last hour' },
  { hours: 6, label: 'Last 6 hours' },
  { hours: 24, label: 'Last 24 hours' },
  { hours: 168, label: 'Last 7 days' },
];

const pct = (v: number) => `${v.toFixed(0)}%`;

export function MetricsPanel({ agentId }: { agentId: string }) {
  const [hours, setHours] = useState(24);
  const metrics = useMetrics(agentId, hours);
  const s = toSeries(metrics.data ?? []);
  // The window ends at the last fetch, so the newest sample sits at the right edge.
  const end = metrics.dataUpdatedAt ? metrics.dataUpdatedAt / 1000 : Date.now() / 1000;
  const span: [number, number] = [end - hours * 3600, end];
  return (
    <section aria-labelledby="metrics-heading" className="panel">
      <div className="panel-head">
        <h2 id="metrics-heading">Metrics</h2>
        <label>
          Window
          <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            {WINDOWS.map((w) => (
              <option key={w.hours} value={w.hours}>
                {w.label}
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
