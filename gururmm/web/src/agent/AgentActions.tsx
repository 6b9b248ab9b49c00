// The action area of the agent header: Remote Control (NRC-10), move to another site, delete.
// The area is a toolbar so every action shares one keyboard order.
import { useIsAdmin } from '../auth/AuthContext';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { useClients, useDeleteAgent, useMoveAgent, useSites } from '../api/hooks';
import type { Agent, RemoteControlStart } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { RemoteControlButton } from './RemoteControl';

function MoveAgent({ agent }: { agent: Agent }) {
  const sites = useSites();
  const clients = useClients();
  const move = useMoveAgent(agent.id);
  const [target, setTarget] = useState(agent.site_id ?? '');
  const clientName = (id: string) => clients.data?.find((c) => c.id === id)?.name ?? '';
  return (
    <form
      className="inline-form"
      aria-label="Move agent"
      onSubmit={(e) => {
        e.preventDefault();
        move.mutate(target || null);
      }}
    >
      <label>
        Site
        <select value={target} onChange={(e) => setTarget(e.target.value)}>
          <option value="">Unassigned</option>
          {sites.data?.map((s) => (
            <option key={s.id} value={s.id}>
              {clientName(s.client_id)} / {s.name}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" disabled={move.isPending || target === (agent.site_id ?? '')}>
        Move
      </button>
      {move.isSuccess && <span role="status">Moved.</span>}
      <ErrorBox error={move.error} title="Move" />
    </form>
  );
}

function DeleteAgent({ agent }: { agent: Agent }) {
  const [confirming, setConfirming] = useState(false);
  const remove = useDeleteAgent();
  const navigate = useNavigate();
  if (!confirming) {
    return (
      <button type="button" className="danger" onClick={() => setConfirming(true)}>
        Delete agent
      </button>
    );
  }
  return (
    <div role="group" aria-label="Confirm deletion" className="confirm">
      <span>Delete {agent.hostname || agent.device_id} with its history? The machine can enrol again.</span>
      <button
        type="button"
        className="danger"
        autoFocus
        disabled={remove.isPending}
        // mutateAsync, not mutate's onSuccess: the refetch after the delete can unmount this
        // page first, and a per-call callback of an unmounted component never runs.
        onClick={() =>
          remove.mutateAsync(agent.id).then(
            () => navigate('/agents'),
            () => {}, // shown through remove.error
          )
        }
      >
        Yes, delete
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Cancel
      </button>
      <ErrorBox error={remove.error} title="Delete" />
    </div>
  );
}

export function AgentActions({
  agent,
  onRemoteControl = () => {},
}: {
  agent: Agent;
  onRemoteControl?: (start: RemoteControlStart) => void;
}) {
  const isAdmin = useIsAdmin();
  return (
    <div className="agent-actions" role="toolbar" aria-label="Agent actions" data-slot="remote-control">
      <RemoteControlButton agent={agent} onStarted={onRemoteControl} />
      <MoveAgent agent={agent} />
      {isAdmin && <DeleteAgent agent={agent} />}
    </div>
  );
}
