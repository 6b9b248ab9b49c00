// The agents list's page queries: one key per filter set and page, and no placeholder rows
// borrowed from another page (they would show the wrong agents at those positions).
import { describe, expect, it } from 'vitest';
import { keepPreviousData } from '@tanstack/react-query';
import { agentPageQuery, type AgentFilters } from './hooks';

const filters: AgentFilters = { q: '', status: '', client_id: '', site_id: '', os_type: '', sort: 'hostname', order: 'asc' };

describe('agentPageQuery', () => {
  it('keys by filters and page', () => {
    expect(agentPageQuery(filters, 3).queryKey).toEqual(['agents', 'page', filters, 3]);
  });

  it('keeps previous rows only for the first page', () => {
    expect(agentPageQuery(filters, 1).placeholderData).toBe(keepPreviousData);
    expect(agentPageQuery(filters, 2).placeholderData).toBeUndefined();
  });
});
