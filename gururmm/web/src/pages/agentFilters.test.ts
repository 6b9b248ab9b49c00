// The agents list's URL <-> filters mapping and header sorting.
import { describe, expect, it } from 'vitest';
import { filtersFromParams, nextSort, paramsFromFilters } from './agentFilters';

describe('agent filters', () => {
  it('round-trips through the URL and leaves defaults out', () => {
    const filters = filtersFromParams(new URLSearchParams('q=web&status=online&os_type=linux&sort=last_seen&order=desc'));
    expect(filters).toMatchObject({ q: 'web', status: 'online', os_type: 'linux', sort: 'last_seen', order: 'desc' });
    expect(paramsFromFilters(filters).toString()).toBe('q=web&status=online&os_type=linux&sort=last_seen&order=desc');
    expect(paramsFromFilters(filtersFromParams(new URLSearchParams())).toString()).toBe('');
  });

  it('ignores values the server would refuse', () => {
    const filters = filtersFromParams(new URLSearchParams('status=sideways&sort=password&order=up'));
    expect(filters).toMatchObject({ status: '', sort: 'hostname', order: 'asc' });
  });

  it('flips the order on the same column and starts ascending on another', () => {
    const base = filtersFromParams(new URLSearchParams());
    expect(nextSort(base, 'hostname')).toEqual({ sort: 'hostname', order: 'desc' });
    expect(nextSort(base, 'status')).toEqual({ sort: 'status', order: 'asc' });
  });
});
