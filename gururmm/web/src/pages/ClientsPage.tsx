// Clients and their sites. The list of clients is on the left; the selected client (kept in
// the URL as ?client=) is edited on the right with its sites.
import { useIsAdmin } from '../auth/AuthContext';
import { useState } from 'react';
import type { FormEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useClients, useDeleteClient, useSaveClient } from '../api/hooks';
import type { Client } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { SitesPanel } from './SitesPanel';

function ClientEditor({ client, onDeleted }: { client: Client; onDeleted: () => void }) {
  const [name, setName] = useState(client.name);
  const [notes, setNotes] = useState(client.notes);
  const [confirming, setConfirming] = useState(false);
  const save = useSaveClient();
  const remove = useDeleteClient();
  const isAdmin = useIsAdmin();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate({ id: client.id, name, notes });
  };
  return (
    <section aria-labelledby="client-heading" className="panel">
      <h2 id="client-heading">{client.name}</h2>
      <form onSubmit={submit} aria-label="Edit client" className="stack-form">
        <label htmlFor="client-name">Name</label>
        <input id="client-name" value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        <label htmlFor="client-notes">Notes</label>
        <textarea id="client-notes" value={notes} onChange={(e) => setNotes(e.target.value)} rows={2} />
        <button type="submit" disabled={save.isPending}>
          Save client
        </button>
        {save.isSuccess && <span role="status"> Saved.</span>}
      </form>
      <ErrorBox error={save.error} title="Client not saved" />
      <SitesPanel clientId={client.id} />
      {isAdmin && (
        <div className="danger-zone">
          {confirming ? (
            <div role="group" aria-label="Confirm deleting the client">
              <span>Delete {client.name} and its sites? Its agents become unassigned. </span>
              <button
                type="button"
                className="danger"
                autoFocus
                onClick={() => remove.mutate(client.id, { onSuccess: onDeleted })}
              >
                Yes, delete client
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Cancel
              </button>
            </div>
          ) : (
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              Delete client
            </button>
          )}
          <ErrorBox error={remove.error} title="Client not deleted" />
        </div>
      )}
    </section>
  );
}

export function ClientsPage() {
  const clients = useClients();
  const save = useSaveClient();
  const [params, setParams] = useSearchParams();
  const selectedId = params.get('client');
  const select = (id: string | null) => setParams(id ? { client: id } : {}, { replace: true });
  const [name, setName] = useState('');
  const selected = clients.data?.find((c) => c.id === selectedId);

  const create = (e: FormEvent) => {
    e.preventDefault();
    save.mutate(
      { name, notes: '' },
      {
        onSuccess: (client) => {
          setName('');
          select(client.id);
        },
      },
    );
  };

  return (
    <section>
      <h1>Clients &amp; sites</h1>
      <div className="master-detail">
        <div>
          <form onSubmit={create} className="inline-form" aria-label="New client">
            <label>
              New client name
              <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
            </label>
            <button type="submit" disabled={save.isPending}>
              Create client
            </button>
          </form>
          <ErrorBox error={save.error} title="Client not created" />
          <ErrorBox error={clients.error} title="Clients" />
          {clients.data?.length === 0 && <p>No clients yet.</p>}
          <ul className="client-list" aria-label="Clients">
            {clients.data?.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  aria-current={c.id === selectedId ? 'true' : undefined}
                  onClick={() => select(c.id)}
                >
                  {c.name} <small>({c.site_count} sites, {c.agent_count} agents)</small>
                </button>
              </li>
            ))}
          </ul>
        </div>
        {selected ? (
          <ClientEditor key={selected.id} client={selected} onDeleted={() => select(null)} />
        ) : (
          <p>Select a client to edit it and its sites.</p>
        )}
      </div>
    </section>
  );
}
