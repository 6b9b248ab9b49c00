// One agent: a header with its status and identity and the action area (with Remote Control,
// whose embedded viewer opens below the header), then its metrics,
// network state, command terminal, watchdog events and alerts.
import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useAgent } from '../api/hooks';
import type { RemoteControlStart } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatOs, formatTime, timeAgo } from '../components/format';
import { AgentActions } from './AgentActions';
import { CommandTerminal } from './CommandTerminal';
import { AgentAlertsPanel, WatchdogPanel } from './EventsPanels';
import { MetricsPanel } from './MetricsPanel';
import { NetworkPanel } from './NetworkPanel';
import { RemoteControlPanel } from './RemoteControl';

export function AgentDetailPage() {
  const { id = '' } = useParams();
  const agent = useAgent(id);
  const [remote, setRemote] = useState<RemoteControlStart | null>(null);
  if (agent.error) {
    return (
      <section>
        <h1>Agent</h1>
        <ErrorBox error={agent.error} />
        <Link to="/agents">Back to agents</Link>
      </section>
    );
  }
  const a = agent.data;
  if (!a) return <p role="status">Loading agent…</p>;
  return (
    <div className="agent-detail">
      <header className="agent-header">
        <div>
          <h1>
            {a.hostname || a.device_id} <StatusBadge status={a.status} />
          </h1>
          <dl className="identity">
            <dt>OS</dt>
            <dd>
              {formatOs(a.os_type, a.os_version)}
              {a.arch && `, ${a.arch}`}
            </dd>
            <dt>Client / site</dt>
            <dd>{a.site_name ? `${a.client_name ?? ''} / ${a.site_name}` : 'Unassigned'}</dd>
            <dt>Agent version</dt>
            <dd>{a.agent_version || '—'}</dd>
            <dt>Device id</dt>
            <dd>
              <code>{a.device_id}</code>
            </dd>
            <dt>Last seen</dt>
            <dd title={formatTime(a.last_seen_at)}>{timeAgo(a.last_seen_at)}</dd>
          </dl>
        </div>
        <AgentActions agent={a} onRemoteControl={setRemote} />
      </header>
      {remote && (
        <RemoteControlPanel
          key={remote.session_id + remote.viewer_embed_url}
          start={remote}
          hostname={a.hostname || a.device_id}
          onClose={() => setRemote(null)}
        />
      )}
      <MetricsPanel agentId={a.id} />
      <div className="columns">
        <CommandTerminal agentId={a.id} />
        <div>
          <NetworkPanel agentId={a.id} />
          <AgentAlertsPanel agentId={a.id} />
          <WatchdogPanel agentId={a.id} />
        </div>
      </div>
    </div>
  );
}
