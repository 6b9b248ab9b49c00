// The alerts list: rows from the server, acknowledge and resolve sent for the right alert, a
// state filter passed through, and agent text (the message) shown as text.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderApp, stubFetch } from '../test/render';
import { AlertsPage } from './AlertsPage';

afterEach(() => vi.unstubAllGlobals());

const alert = {
  id: 'al1',
  agent_id: 'a1',
  agent_hostname: 'fileserver-01',
  kind: 'disk_high',
  severity: 'warning',
  message: 'disk <b>/</b> at 91%',
  status: 'open',
  created_at: '2026-01-01T00:00:00Z',
  resolved_at: null,
};

describe('AlertsPage', () => {
  it('lists alerts and acknowledges one', async () => {
    const calls = stubFetch({
      'GET /api/alerts': () => ({ body: [alert] }),
      'POST /api/alerts/al1/acknowledge': () => ({ body: { ...alert, status: 'acknowledged' } }),
    });
    const { container } = renderApp(<AlertsPage />);
    const row = (await screen.findByText('disk <b>/</b> at 91%')).closest('tr')!;
    expect(container.querySelector('b')).toBeNull();
    // The row names its machine and links to it.
    expect(within(row).getByRole('link', { name: 'fileserver-01' })).toHaveAttribute('href', '/agents/a1');
    await userEvent.setup().click(within(row).getByRole('button', { name: 'Acknowledge' }));
    await vi.waitFor(() => expect(calls.some((c) => c.path === '/api/alerts/al1/acknowledge')).toBe(true));
  });

  it('asks the server for the chosen state', async () => {
    const calls = stubFetch({ 'GET /api/alerts': () => ({ body: [] }) });
    renderApp(<AlertsPage />);
    expect(await screen.findByText('No alerts in this state.')).toBeInTheDocument();
    await userEvent.setup().selectOptions(screen.getByLabelText('State'), 'resolved');
    await vi.waitFor(() => expect(fetch).toHaveBeenLastCalledWith('/api/alerts?status=resolved', expect.anything()));
    expect(calls.length).toBeGreaterThanOrEqual(2);
  });
});
