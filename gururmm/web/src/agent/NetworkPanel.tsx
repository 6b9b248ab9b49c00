// The agent's last reported network interfaces and uptime, from /api/agents/{id}/state. Every
// value is agent-supplied text and is rendered as text only.
import { useAgentState } from '../api/hooks';
import { ErrorBox } from '../components/ErrorBox';
import { formatDuration, formatTime } from '../components/format';

export function NetworkPanel({ agentId }: { agentId: string }) {
  const state = useAgentState(agentId);
  const interfaces = Array.isArray(state.data?.network) ? state.data.network : [];
  return (
    <section aria-labelledby="network-heading" className="panel">
      <h2 id="network-heading">Network</h2>
      <ErrorBox error={state.error} title="Network state" />
      {state.data && (
        <p>
          Uptime {formatDuration(state.data.uptime_seconds)} · interfaces updated{' '}
          {formatTime(state.data.network_updated_at)}
        </p>
      )}
      {interfaces.length === 0 ? (
        <p>No interfaces reported yet.</p>
      ) : (
        <table>
          <caption className="visually-hidden">Network interfaces</caption>
          <thead>
            <tr>
              <th scope="col">Interface</th>
              <th scope="col">MAC</th>
              <th scope="col">Addresses</th>
            </tr>
          </thead>
          <tbody>
            {interfaces.map((i, n) => (
              <tr key={`${i.name}-${n}`}>
                <td>{String(i.name ?? '')}</td>
                <td>
                  <code>{String(i.mac ?? '')}</code>
                </td>
                <td>{Array.isArray(i.addresses) ? i.addresses.map(String).join(', ') : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
