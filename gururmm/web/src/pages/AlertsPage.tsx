// Alerts across the fleet, filtered by state; acknowledge and resolve from the list.
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { useAlerts } from '../api/hooks';
import { AlertActions } from '../agent/EventsPanels';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatTime } from '../components/format';

export function AlertsPage() {
  const [status, setStatus] = useState('');
  const alerts = useAlerts(status ? { status } : {});
  return (
    <section>
      <h1>Alerts</h1>
      <label>
        State
        <select value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="">Not resolved</option>
          <option value="open">Open</option>
          <option value="acknowledged">Acknowledged</option>
          <option value="resolved">Resolved</option>
        </select>
      </label>
      <ErrorBox error={alerts.error} title="Alerts" />
      {alerts.data?.length === 0 && <p>No alerts in this state.</p>}
      {!!alerts.data?.length && (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Raised</th>
              <th scope="col">Severity</th>
              <th scope="col">Kind</th>
              <th scope="col">Message</th>
              <th scope="col">State</th>
              <th scope="col">Agent</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {alerts.data.map((a) => (
              <tr key={a.id}>
                <td className="nowrap">{formatTime(a.created_at)}</td>
                <td className="nowrap">
                  <StatusBadge status={a.severity} />
                </td>
                <td className="nowrap">{a.kind}</td>
                <td>{a.message}</td>
                <td className="nowrap">
                  <StatusBadge status={a.status} />
                </td>
                <td>{a.agent_id ? <Link to={`/agents/${a.agent_id}`}>{a.agent_hostname || 'Open agent'}</Link> : '—'}</td>
                <td className="nowrap">
                  <AlertActions id={a.id} status={a.status} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
