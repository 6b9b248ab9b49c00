// The agents list's filters live in the URL (?q=&status=&client_id=…), so a filtered view can be
// bookmarked, shared and restored with the back button. These two functions are the mapping.
import type { AgentFilters } from '../api/hooks';

export const SORTABLE = ['hostname', 'status', 'os', 'client', 'site', 'version', 'last_seen'] as const;

export function filtersFromParams(params: URLSearchParams): AgentFilters {
  const status = params.get('status');
  const sort = params.get('sort') ?? 'hostname';
  return {
    q: params.get('q') ?? '',
    status: status === 'online' || status === 'offline' ? status : '',
    client_id: params.get('client_id') ?? '',
    site_id: params.get('site_id') ?? '',
    os_type: params.get('os_type') ?? '',
    sort: (SORTABLE as readonly string[]).includes(sort) ? sort : 'hostname',
    order: params.get('order') === 'desc' ? 'desc' : 'asc',
  };
}

export function paramsFromFilters(filters: AgentFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(filters)) {
    const isDefault = (key === 'sort' && value === 'hostname') || (key === 'order' && value === 'asc');
    if (value && !isDefault) params.set(key, value);
  }
  return params;
}

/** The next sort after clicking a column header: same column flips the order. */
export function nextSort(filters: AgentFilters, column: string): Pick<AgentFilters, 'sort' | 'order'> {
  if (filters.sort === column) return { sort: column, order: filters.order === 'asc' ? 'desc' : 'asc' };
  return { sort: column, order: 'asc' };
}
