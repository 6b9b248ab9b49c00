// The sites of one client: create, rename, delete, regenerate the site code. A freshly created
// or regenerated code is shown with the enrolment instructions until the technician closes it.
import { useIsAdmin } from '../auth/AuthContext';
import { useEffect, useState } from 'react';
import type { FormEvent } from 'react';
import {
  useCreateSite,
  useDeleteSite,
  useRegenerateSiteCode,
  useRemoteControlStatus,
  useSites,
  useUpdateSite,
} from '../api/hooks';
import type { Site } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { RegistrationInstructions } from './RegistrationInstructions';

interface ShownCode {
  siteId: string;
  code: string;
}

function SiteRow({ site, onCode }: { site: Site; onCode: (c: ShownCode) => void }) {
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(site.name);
  const [confirming, setConfirming] = useState(false);
  const update = useUpdateSite();
  const remove = useDeleteSite();
  const isAdmin = useIsAdmin();
  const regenerate = useRegenerateSiteCode();
  const save = (e: FormEvent) => {
    e.preventDefault();
    update.mutate({ id: site.id, name, notes: site.notes }, { onSuccess: () => setEditing(false) });
  };
  return (
    <li className="site-row" data-site-id={site.id}>
      {editing ? (
        <form onSubmit={save} className="inline-form" aria-label={`Rename site ${site.name}`}>
          <label>
            Site name
            <input value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
          </label>
          <button type="submit">Save</button>
          <button type="button" onClick={() => setEditing(false)}>
            Cancel
          </button>
        </form>
      ) : (
        <span className="site-name">
          {site.name} <small>({site.agent_count} agents)</small>
        </span>
      )}
      {!editing && (
        <span className="site-actions">
          <button type="button" onClick={() => setEditing(true)} aria-label={`Rename site ${site.name}`}>
            Rename
          </button>
          {isAdmin && (
            <button
              type="button"
              aria-label={`Regenerate the site code of ${site.name}`}
              disabled={regenerate.isPending}
              onClick={() =>
                regenerate.mutate(site.id, { onSuccess: (r) => onCode({ siteId: site.id, code: r.site_code }) })
              }
            >
              New code
            </button>
          )}
          {!isAdmin ? null : confirming ? (
            <>
              <button
                type="button"
                className="danger"
                autoFocus
                onClick={() => remove.mutate(site.id)}
                aria-label={`Confirm deleting site ${site.name}`}
              >
                Yes, delete
              </button>
              <button type="button" onClick={() => setConfirming(false)}>
                Keep
              </button>
            </>
          ) : (
            <button
              type="button"
              className="danger"
              onClick={() => setConfirming(true)}
              aria-label={`Delete site ${site.name}`}
            >
              Delete
            </button>
          )}
        </span>
      )}
      <ErrorBox error={update.error ?? remove.error ?? regenerate.error} title="Site" />
    </li>
  );
}

export function SitesPanel({ clientId }: { clientId: string }) {
  const sites = useSites(clientId);
  const remoteControl = useRemoteControlStatus();
  const create = useCreateSite();
  const [name, setName] = useState('');
  const [shown, setShown] = useState<ShownCode | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate(
      { client_id: clientId, name, notes: '' },
      {
        onSuccess: (site) => {
          setName('');
          setShown({ siteId: site.id, code: site.site_code });
        },
      },
    );
  };
  const shownSite = sites.data?.find((s) => s.id === shown?.siteId);
  // A deleted site's code is useless: close its panel. (Creation refetches the list before it
  // shows the code, so a new site is always in the list by then.)
  useEffect(() => {
    if (shown && sites.data && !shownSite) setShown(null);
  }, [shown, sites.data, shownSite]);
  return (
    <section aria-labelledby="sites-heading">
      <h3 id="sites-heading">Sites</h3>
      <ErrorBox error={sites.error} title="Sites" />
      {sites.data?.length === 0 && <p>No sites yet. Create one to enrol machines.</p>}
      <ul className="plain-list">
        {sites.data?.map((s) => <SiteRow key={s.id} site={s} onCode={setShown} />)}
      </ul>
      <form onSubmit={submit} className="inline-form" aria-label="New site">
        <label>
          New site name
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} />
        </label>
        <button type="submit" disabled={create.isPending}>
          Create site
        </button>
      </form>
      <ErrorBox error={create.error} title="Site not created" />
      {shown && (
        <div className="code-panel">
          <RegistrationInstructions
            code={shown.code}
            siteName={shownSite?.name ?? 'the new site'}
            remoteControl={{
              configured: remoteControl.data?.configured ?? false,
              releaseKey: remoteControl.data?.release_public_key ?? null,
              caPem: remoteControl.data?.ca_pem ?? null,
            }}
          />
          <button type="button" onClick={() => setShown(null)}>
            Done
          </button>
        </div>
      )}
    </section>
  );
}
