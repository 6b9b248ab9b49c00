// The command terminal: what it sends, and agent output rendered as inert text.
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderApp, stubFetch } from '../test/render';
import { CommandTerminal } from './CommandTerminal';

afterEach(() => vi.unstubAllGlobals());

const payload = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

function command(status: string, extra: object = {}) {
  return {
    id: 'c1',
    agent_id: 'a1',
    created_by: 'u',
    command_type: 'shell',
    command: 'echo hi',
    timeout_seconds: 300,
    elevated: false,
    status,
    exit_code: null,
    stdout: null,
    stderr: null,
    duration_ms: null,
    truncated: false,
    created_at: '2026-01-01T00:00:00Z',
    sent_at: null,
    completed_at: null,
    remote_control: null,
    agent_hostname: 'box',
    ...extra,
  };
}

describe('CommandTerminal', () => {
  it('sends the chosen type, text and timeout', async () => {
    const calls = stubFetch({
      'GET /api/commands': () => ({ body: [] }),
      'POST /api/agents/a1/command': () => ({ status: 201, body: command('running') }),
    });
    renderApp(<CommandTerminal agentId="a1" />);
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Type'), 'python');
    await user.type(screen.getByLabelText('Timeout (s)'), '30');
    await user.type(screen.getByLabelText('Command'), 'print(1)');
    await user.keyboard('{Control>}{Enter}{/Control}');
    await vi.waitFor(() => expect(calls.some((c) => c.method === 'POST')).toBe(true));
    const post = calls.find((c) => c.method === 'POST');
    expect(post?.body).toEqual({ command_type: 'python', command: 'print(1)', timeout_seconds: 30, elevated: false });
  });

  it('renders agent output as text, never as markup', async () => {
    stubFetch({
      'GET /api/commands': () => ({
        body: [command('completed', { exit_code: 0, stdout: payload, stderr: payload, command: payload })],
      }),
    });
    const { container } = renderApp(<CommandTerminal agentId="a1" />);
    const latest = await screen.findByRole('article', { name: 'Latest command' });
    expect(within(latest).getByLabelText('Standard output')).toHaveTextContent(payload);
    expect(container.querySelector('img')).toBeNull();
    expect(container.querySelector('script')).toBeNull();
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
  });

  it('shows why a send was refused, with the correlation id', async () => {
    stubFetch({
      'GET /api/commands': () => ({ body: [] }),
      'POST /api/agents/a1/command': () => ({
        status: 429,
        body: { detail: 'too many requests; retry in 12 s', error_code: 'rate_limited', status_code: 429, correlation_id: 'rl-1' },
      }),
    });
    renderApp(<CommandTerminal agentId="a1" />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Command'), 'uptime');
    await user.click(screen.getByRole('button', { name: 'Send command' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('too many requests; retry in 12 s');
    expect(alert).toHaveTextContent('rl-1');
  });

  it('shows a remote-control launch as an event, in the history too', async () => {
    const event = 'Remote control (unattended) – GuruConnect 0.1.0 – session 0f1e2d3c';
    const launch = {
      command_type: 'remote_control_launch',
      command: event,
      remote_control: { mode: 'unattended', connect_session_id: '0f1e2d3c-4b5a', version: '0.1.0', platform: 'linux-x86_64' },
    };
    stubFetch({
      'GET /api/commands': () => ({
        body: [command('completed', { ...launch, id: 'c2' }), command('completed', launch)],
      }),
    });
    const { container } = renderApp(<CommandTerminal agentId="a1" />);
    const latest = await screen.findByRole('article', { name: 'Latest command' });
    expect(within(latest).getByText(event)).toHaveClass('command-event');
    expect(latest.querySelector('.command-meta')).toHaveTextContent('remote control');
    expect(latest.querySelector('pre.command-text')).toBeNull();
    const older = container.querySelector('details summary');
    expect(older).toHaveTextContent(event);
    expect(older?.querySelector('code')).toBeNull();
  });
});
