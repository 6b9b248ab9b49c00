// The start page: how many agents are online and offline, the open alerts, the latest commands.
import { Link } from 'react-router-dom';
import { useAgentStats, useAlerts, useCommands } from '../api/hooks';
import { CommandLabel } from '../components/CommandLabel';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { timeAgo } from '../components/format';

export function OverviewPage() {
  const stats = useAgentStats();
  const alerts = useAlerts();
  const commands = useCommands(undefined, 10);
  const s = stats.data;
  return (
    <section>
      <h1>Overview</h1>
      <ErrorBox error={stats.error} title="Agent statistics" />
      <dl className="stat-cards" aria-label="Agents">
        <div>
          <dt>Online</dt>
          <dd data-testid="stat-online">{s?.online ?? '…'}</dd>
        </div>
        <div>
          <dt>Offline</dt>
          <dd data-testid="stat-offline">{s?.offline ?? '…'}</dd>
        </div>
        <div>
          <dt>Total</dt>
          <dd data-testid="stat-total">{s?.total ?? '…'}</dd>
        </div>
        <div>
          <dt>Unassigned</dt>
          <dd>{s?.unassigned ?? '…'}</dd>
        </div>
      </dl>
      <div className="columns">
        <section aria-labelledby="recent-alerts">
          <h2 id="recent-alerts">Open alerts</h2>
          <ErrorBox error={alerts.error} title="Alerts" />
          {alerts.data?.length === 0 && <p>No open alerts.</p>}
          <ul className="plain-list">
            {alerts.data?.slice(0, 10).map((a) => (
              <li key={a.id}>
                <StatusBadge status={a.severity} /> {a.message}{' '}
                {a.agent_id && <Link to={`/agents/${a.agent_id}`}>{a.agent_hostname || 'agent'}</Link>}{' '}
                <small>{timeAgo(a.created_at)}</small>
              </li>
            ))}
          </ul>
          <Link to="/alerts">All alerts</Link>
        </section>
        <section aria-labelledby="recent-commands">
          <h2 id="recent-commands">Recent commands</h2>
          <ErrorBox error={commands.error} title="Commands" />
          {commands.data?.length === 0 && <p>No commands yet.</p>}
          <ul className="plain-list">
            {commands.data?.map((c) => (
              <li key={c.id}>
                <StatusBadge status={c.status} /> <CommandLabel command={c} />{' '}
                on <Link to={`/agents/${c.agent_id}`}>{c.agent_hostname || 'agent'}</Link>{' '}
                <small>{timeAgo(c.created_at)}</small>
              </li>
            ))}
          </ul>
          <Link to="/commands">All commands</Link>
        </section>
      </div>
    </section>
  );
}
