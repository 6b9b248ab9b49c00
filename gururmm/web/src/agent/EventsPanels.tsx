// The agent's watchdog events (services restarted or given up on) and its alerts.
import { useAlertAction, useAlerts, useWatchdogEvents } from '../api/hooks';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatTime } from '../components/format';

export function WatchdogPanel({ agentId }: { agentId: string }) {
  const events = useWatchdogEvents(agentId);
  return (
    <section aria-labelledby="watchdog-heading" className="panel">
      <h2 id="watchdog-heading">Watchdog events</h2>
      <ErrorBox error={events.error} title="Watchdog events" />
      {events.data?.length === 0 && <p>No watchdog events.</p>}
      {!!events.data?.length && (
        <table>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Service</th>
              <th scope="col">Event</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {events.data.slice(0, 50).map((e) => (
              <tr key={e.id}>
                <td>{formatTime(e.occurred_at)}</td>
                <td>{e.service}</td>
                <td>{e.event}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function AlertActions({ id, status }: { id: string; status: string }) {
  const action = useAlertAction();
  if (status === 'resolved') return null;
  return (
    <>
      {status === 'open' && (
        <button type="button" onClick={() => action.mutate({ id, action: 'acknowledge' })} disabled={action.isPending}>
          Acknowledge
        </button>
      )}
      <button type="button" onClick={() => action.mutate({ id, action: 'resolve' })} disabled={action.isPending}>
        Resolve
      </button>
      <ErrorBox error={action.error} title="Alert" />
    </>
  );
}

export function AgentAlertsPanel({ agentId }: { agentId: string }) {
  const alerts = useAlerts({ agent_id: agentId });
  return (
    <section aria-labelledby="alerts-heading" className="panel">
      <h2 id="alerts-heading">Open alerts</h2>
      <ErrorBox error={alerts.error} title="Alerts" />
      {alerts.data?.length === 0 && <p>No open alerts.</p>}
      <ul className="plain-list">
        {alerts.data?.map((a) => (
          <li key={a.id}>
            <StatusBadge status={a.severity} /> <StatusBadge status={a.status} /> {a.message}{' '}
            <small>{formatTime(a.created_at)}</small> <AlertActions id={a.id} status={a.status} />
          </li>
        ))}
      </ul>
    </section>
  );
}
