// The agents table, virtualised: only the rows in view (plus a few) exist in the DOM, and only
// the server pages those rows fall on are fetched. So 10,000 agents cost a few dozen rows and
// one or two 100-row requests, wherever the technician scrolls.
import { useRef } from 'react';
import { Link } from 'react-router-dom';
import { useQueries, useQuery } from '@tanstack/react-query';
import { useVirtualizer } from '@tanstack/react-virtual';
import { AGENTS_PER_PAGE, agentPageQuery, type AgentFilters } from '../api/hooks';
import type { Agent, AgentPage } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { StatusBadge } from '../components/StatusBadge';
import { formatOs, timeAgo } from '../components/format';

const ROW_HEIGHT = 40;

const COLUMNS: { key: string; label: string }[] = [
  { key: 'status', label: 'Status' },
  { key: 'hostname', label: 'Hostname' },
  { key: 'os', label: 'OS' },
  { key: 'client', label: 'Client' },
  { key: 'site', label: 'Site' },
  { key: 'version', label: 'Version' },
  { key: 'last_seen', label: 'Last seen' },
];

function Row({ agent, index }: { agent: Agent | undefined; index: number }) {
  if (!agent) {
    return (
      <div role="row" aria-rowindex={index + 2} className="agent-row loading-row">
        <div role="cell">Loading…</div>
      </div>
    );
  }
  return (
    <div role="row" aria-rowindex={index + 2} className="agent-row" data-agent-id={agent.id}>
      <div role="cell">
        <StatusBadge status={agent.status} />
      </div>
      <div role="cell">
        <Link to={`/agents/${agent.id}`}>{agent.hostname || agent.device_id}</Link>
      </div>
      <div role="cell">{formatOs(agent.os_type, agent.os_version)}</div>
      <div role="cell">{agent.client_name ?? '—'}</div>
      <div role="cell">{agent.site_name ?? 'Unassigned'}</div>
      <div role="cell">{agent.agent_version}</div>
      <div role="cell">{timeAgo(agent.last_seen_at)}</div>
    </div>
  );
}

export function AgentsTable({
  filters,
  onSort,
}: {
  filters: AgentFilters;
  onSort: (column: string) => void;
}) {
  const scroller = useRef<HTMLDivElement>(null);
  const first = useQuery(agentPageQuery(filters, 1));
  const total = first.data?.total ?? 0;
  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const rows = virtualizer.getVirtualItems();
  const pageNumbers = [...new Set(rows.map((r) => Math.floor(r.index / AGENTS_PER_PAGE) + 1))];
  const pages = useQueries({ queries: pageNumbers.map((p) => agentPageQuery(filters, p)) });
  const byPage = new Map<number, AgentPage | undefined>();
  pageNumbers.forEach((p, i) => byPage.set(p, pages[i]?.data));
  const pageError = pages.find((p) => p.error)?.error;

  const agentAt = (index: number) =>
    byPage.get(Math.floor(index / AGENTS_PER_PAGE) + 1)?.items[index % AGENTS_PER_PAGE];

  return (
    <>
      <ErrorBox error={first.error ?? pageError} title="Agents" />
      <p role="status" className="list-count">
        {first.isPending ? 'Loading agents…' : `${total.toLocaleString()} agent${total === 1 ? '' : 's'}`}
      </p>
      <div role="table" aria-label="Agents" aria-rowcount={total + 1} className="agents-table">
        <div role="rowgroup">
          <div role="row" aria-rowindex={1} className="agent-row header-row">
            {COLUMNS.map((c) => {
              const sorted = filters.sort === c.key;
              return (
                <div
                  role="columnheader"
                  key={c.key}
                  aria-sort={sorted ? (filters.order === 'asc' ? 'ascending' : 'descending') : 'none'}
                >
                  <button type="button" onClick={() => onSort(c.key)}>
                    {c.label}
                    <span aria-hidden="true">{sorted ? (filters.order === 'asc' ? ' ▲' : ' ▼') : ''}</span>
                  </button>
                </div>
              );
            })}
          </div>
        </div>
        <div role="rowgroup" ref={scroller} className="agents-scroller" data-testid="agents-scroller">
          <div className="agents-spacer" style={{ height: virtualizer.getTotalSize() }}>
            {rows.map((r) => (
              <div key={r.key} className="agents-slot" style={{ transform: `translateY(${r.start}px)` }}>
                <Row agent={agentAt(r.index)} index={r.index} />
              </div>
            ))}
          </div>
        </div>
      </div>
    </>
  );
}
