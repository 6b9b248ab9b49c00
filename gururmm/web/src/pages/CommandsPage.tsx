// The latest commands across all agents, with their state and the machine each ran on.
import { Link } from 'react-router-dom';
import { useCommands } from '../api/hooks';
import { CommandLabel, commandTypeLabel } from '../components/CommandLabel';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatTime } from '../components/format';

export function CommandsPage() {
  const commands = useCommands(undefined, 200);
  return (
    <section>
      <h1>Commands</h1>
      <ErrorBox error={commands.error} title="Commands" />
      {commands.data?.length === 0 && <p>No commands yet.</p>}
      {!!commands.data?.length && (
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Sent</th>
              <th scope="col">Agent</th>
              <th scope="col">Type</th>
              <th scope="col">Command</th>
              <th scope="col">Status</th>
              <th scope="col">Exit</th>
            </tr>
          </thead>
          <tbody>
            {commands.data.map((c) => (
              <tr key={c.id}>
                <td className="nowrap">{formatTime(c.created_at)}</td>
                <td className="free-text">
                  <Link to={`/agents/${c.agent_id}`}>{c.agent_hostname || 'Open agent'}</Link>
                </td>
                <td className="nowrap">{commandTypeLabel(c.command_type)}</td>
                <td>
                  <CommandLabel command={c} />
                </td>
                <td className="nowrap">
                  <StatusBadge status={c.status} />
                </td>
                <td className="nowrap">{c.exit_code ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
