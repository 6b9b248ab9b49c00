// The agents list: search, filters (client, site, online, OS) and sorting, all kept in the URL,
// over the virtualised table.
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useClients, useSites } from '../api/hooks';
import type { AgentFilters } from '../api/hooks';
import { AgentsTable } from './AgentsTable';
import { filtersFromParams, nextSort, paramsFromFilters } from './agentFilters';

const OS_TYPES = ['windows', 'linux', 'macos'];
const SEARCH_DELAY_MS = 250;

export function AgentsPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFromParams(params);
  const clients = useClients();
  const sites = useSites(filters.client_id || undefined);
  const [search, setSearch] = useState(filters.q);

  const update = (patch: Partial<AgentFilters>) =>
    setParams(paramsFromFilters({ ...filters, ...patch }), { replace: true });

  // Typing searches after a short pause, not on every key. The URL is read when the timer
  // fires, so a filter chosen meanwhile is kept.
  useEffect(() => {
    if (search === filters.q) return;
    const timer = window.setTimeout(
      () => setParams((current) => paramsFromFilters({ ...filtersFromParams(current), q: search }), { replace: true }),
      SEARCH_DELAY_MS,
    );
    return () => window.clearTimeout(timer);
  }, [search, filters.q, setParams]);

  // The URL changed under the box (back button, a link): show its search.
  useEffect(() => setSearch(filters.q), [filters.q]);

  return (
    <section className="agents-page">
      <h1>Agents</h1>
      <form className="filters" role="search" aria-label="Filter agents" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input
            type="search"
            value={search}
            placeholder="hostname, OS, version…"
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <label>
          Status
          <select value={filters.status} onChange={(e) => update({ status: e.target.value as AgentFilters['status'] })}>
            <option value="">Any</option>
            <option value="online">Online</option>
            <option value="offline">Offline</option>
          </select>
        </label>
        <label>
          Client
          <select value={filters.client_id} onChange={(e) => update({ client_id: e.target.value, site_id: '' })}>
            <option value="">Any</option>
            {clients.data?.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Site
          <select value={filters.site_id} onChange={(e) => update({ site_id: e.target.value })}>
            <option value="">Any</option>
            {sites.data?.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          OS
          <select value={filters.os_type} onChange={(e) => update({ os_type: e.target.value })}>
            <option value="">Any</option>
            {OS_TYPES.map((os) => (
              <option key={os} value={os}>
                {os}
              </option>
            ))}
          </select>
        </label>
      </form>
      <AgentsTable filters={filters} onSort={(column) => update(nextSort(filters, column))} />
    </section>
  );
}
