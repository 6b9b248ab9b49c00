// The Remote Control button (when it is enabled, which modes it offers, what it sends) and the
// embedded viewer panel (which messages it believes, what it shows, what it posts back).
import { act, fireEvent, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Agent, RemoteControlSession, RemoteControlStart, RemoteControlStatus } from '../api/types';
import { renderApp, stubFetch } from '../test/render';
import { RemoteControlButton, RemoteControlPanel } from './RemoteControl';

afterEach(() => vi.unstubAllGlobals());

const GC = 'https://connect.example.com';

function agent(status: 'online' | 'offline'): Agent {
  return {
    id: 'a1',
    hostname: 'box',
    device_id: 'dev1',
    os_type: 'linux',
    os_version: 'Debian',
    arch: 'x86_64',
    agent_version: '0.1.0',
    status,
    site_id: null,
    site_name: null,
    client_id: null,
    client_name: null,
    has_key: true,
    created_at: '2026-01-01T00:00:00Z',
    last_seen_at: null,
  } as Agent;
}

function status(extra: Partial<RemoteControlStatus> = {}): RemoteControlStatus {
  return {
    configured: true,
    available: true,
    reason: null,
    modes: ['unattended', 'attended'],
    contract_version: '1.0.0',
    supported_contract: '1.0.0',
    capabilities: null,
    viewer_origin: GC,
    release_public_key: null,
    ca_pem: null,
    ...extra,
  };
}

const started: RemoteControlStart = {
  session_id: 's1',
  remote_control_id: 'r1',
  command_id: 'c1',
  viewer_embed_url: `${GC}/viewer?embed=1&parent=http%3A%2F%2Fdashboard.test#session=s1&token=t1`,
  viewer_native_url: 'guruconnect://session?server=x&session=s1&token=t1',
  mode: 'unattended',
  capabilities: { contract_version: '1.0.0', features: { embedded_viewer: true, consent_prompt: true, per_machine_keys: true, programmatic_sessions: true } },
  viewer_origin: GC,
};

describe('RemoteControlButton', () => {
  it('is enabled for an online agent and sends the chosen mode', async () => {
    const calls = stubFetch({
      'GET /api/remote-control/status': () => ({ body: status() }),
      'POST /api/agents/a1/remote-control': () => ({ status: 201, body: started }),
    });
    const onStarted = vi.fn();
    renderApp(<RemoteControlButton agent={agent('online')} onStarted={onStarted} />);
    const button = await screen.findByRole('button', { name: 'Remote Control' });
    await vi.waitFor(() => expect(button).toBeEnabled());
    const user = userEvent.setup();
    await user.selectOptions(screen.getByLabelText('Mode'), 'attended');
    await user.click(button);
    await vi.waitFor(() => expect(onStarted).toHaveBeenCalledWith(started));
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ mode: 'attended' });
  });

  it('is disabled for an offline agent, saying why', async () => {
    stubFetch({ 'GET /api/remote-control/status': () => ({ body: status() }) });
    renderApp(<RemoteControlButton agent={agent('offline')} onStarted={() => {}} />);
    expect(await screen.findByText('The agent is offline.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Remote Control' })).toBeDisabled();
  });

  it('is disabled with the server reason when remote control is unavailable', async () => {
    const reason = 'GuruConnect serves integration contract 2.0.0; this GuruRMM speaks 1.x';
    stubFetch({
      'GET /api/remote-control/status': () => ({ body: status({ available: false, modes: [], reason }) }),
    });
    renderApp(<RemoteControlButton agent={agent('online')} onStarted={() => {}} />);
    expect(await screen.findByText(reason)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Remote Control' })).toBeDisabled();
    expect(screen.queryByLabelText('Mode')).not.toBeInTheDocument();
  });

  it('offers no attended choice when the consent prompt is off', async () => {
    const calls = stubFetch({
      'GET /api/remote-control/status': () => ({ body: status({ modes: ['unattended'] }) }),
      'POST /api/agents/a1/remote-control': () => ({ status: 201, body: started }),
    });
    renderApp(<RemoteControlButton agent={agent('online')} onStarted={() => {}} />);
    const button = await screen.findByRole('button', { name: 'Remote Control' });
    await vi.waitFor(() => expect(button).toBeEnabled());
    expect(screen.queryByLabelText('Mode')).not.toBeInTheDocument();
    expect(screen.queryByText(/Attended/)).not.toBeInTheDocument();
    await userEvent.setup().click(button);
    await vi.waitFor(() => expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ mode: 'unattended' }));
  });

  it('shows the server refusal with its correlation id', async () => {
    stubFetch({
      'GET /api/remote-control/status': () => ({ body: status() }),
      'POST /api/agents/a1/remote-control': () => ({
        status: 502,
        body: { detail: 'GuruConnect refused the request: nope', error_code: 'upstream_error', status_code: 502, correlation_id: 'corr-9' },
      }),
    });
    renderApp(<RemoteControlButton agent={agent('online')} onStarted={() => {}} />);
    const button = await screen.findByRole('button', { name: 'Remote Control' });
    await vi.waitFor(() => expect(button).toBeEnabled());
    await userEvent.setup().click(button);
    expect(await screen.findByText('GuruConnect refused the request: nope')).toBeInTheDocument();
    expect(screen.getByText('corr-9')).toBeInTheDocument();
  });
});

function post(source: MessageEventSource | null, origin: string, data: unknown) {
  act(() => {
    window.dispatchEvent(new MessageEvent('message', { data, origin, source }));
  });
}

function row(extra: Partial<RemoteControlSession> = {}): RemoteControlSession {
  return {
    id: 'r1',
    agent_id: 'a1',
    technician_id: 'u1',
    technician_email: 'tech@example.com',
    connect_session_id: 's1',
    mode: 'unattended',
    status: 'started',
    command_id: 'c1',
    launch_status: 'completed',
    launch_error: null,
    started_at: new Date().toISOString(),
    ended_at: null,
    end_reason: null,
    connect: { status: 'waiting', agent_online: false, agent_refused: null, error: null },
    ...extra,
  };
}

describe('RemoteControlPanel', () => {
  function renderPanel(session: () => RemoteControlSession = () => row(), routes = {}) {
    const calls = stubFetch({ 'GET /api/remote-control/sessions/r1': () => ({ body: session() }), ...routes });
    renderApp(<RemoteControlPanel start={started} hostname="box" onClose={() => {}} />);
    const frame = screen.getByTitle('Remote screen of box') as HTMLIFrameElement;
    return { frame, win: frame.contentWindow as Window, calls };
  }
  const status = () => screen.getByRole('status');

  it('frames the viewer URL, sandboxed to scripts and its own origin, with no dead app link', () => {
    const { frame } = renderPanel();
    expect(frame.getAttribute('src')).toBe(started.viewer_embed_url);
    expect(frame.getAttribute('sandbox')).toBe('allow-scripts allow-same-origin');
    expect(screen.queryByText(/GuruConnect app/)).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Open in a new tab' })).toBeInTheDocument();
  });

  it('says connected only once the viewer shows a picture', async () => {
    let launch = 'running';
    const { frame, win } = renderPanel(() => row({ launch_status: launch }));
    await vi.waitFor(() => expect(status()).toHaveTextContent('Starting GuruConnect on the machine'));
    post(win, GC, { v: 1, type: 'viewer:ready' });
    // The relay accepted the token: that is not a connection to the machine.
    post(win, GC, { v: 1, type: 'viewer:connected', session_id: 's1', hostname: 'remote-box' });
    expect(status()).not.toHaveTextContent('Connected to');
    launch = 'completed';
    post(win, GC, { v: 1, type: 'viewer:state', state: 'waiting_for_agent', reason: '' });
    await vi.waitFor(() => expect(status()).toHaveTextContent('Waiting for the machine to connect'), { timeout: 5000 });
    post(win, GC, { v: 1, type: 'viewer:state', state: 'waiting_for_consent', reason: '' });
    expect(status()).toHaveTextContent('Waiting for the user at the machine to accept');
    post(win, GC, { v: 1, type: 'viewer:state', state: 'streaming', reason: '' });
    expect(status()).toHaveTextContent('Connected to box');
    post(win, GC, { v: 1, type: 'viewer:resize', width: 1280, height: 720 });
    expect(frame.dataset.width).toBe('1280');
    post(win, GC, { v: 1, type: 'viewer:disconnected', reason: 'network', final: false });
    expect(status()).toHaveTextContent('Reconnecting to GuruConnect (network)');
    post(win, GC, { v: 1, type: 'viewer:disconnected', reason: 'the session ended', final: true });
    expect(status()).toHaveTextContent('Disconnected: the session ended');
    post(win, GC, { v: 1, type: 'viewer:error', code: 'relay_3', detail: 'token expired' });
    expect(screen.getByRole('alert')).toHaveTextContent('relay_3: token expired');
  });

  it('shows why a launch failed, never a green status', async () => {
    const { win } = renderPanel(() =>
      row({ status: 'failed', launch_status: 'failed', end_reason: 'no GuruConnect release public key is pinned' }),
    );
    post(win, GC, { v: 1, type: 'viewer:connected', session_id: 's1', hostname: 'box' });
    await vi.waitFor(() =>
      expect(status()).toHaveTextContent('Remote control failed: no GuruConnect release public key is pinned'),
    );
    expect(status()).toHaveClass('rc-failed');
    expect(screen.getByRole('button', { name: 'Disconnect' })).toBeDisabled();
    // Nothing will ever show in the frame: it goes, the reason stays.
    expect(screen.queryByTitle('Remote screen of box')).not.toBeInTheDocument();
  });

  it("shows why GuruConnect refused the machine's agent", async () => {
    renderPanel(() =>
      row({ connect: { status: 'waiting', agent_online: false, agent_refused: 'machine identity does not match this agent', error: null } }),
    );
    await vi.waitFor(() => expect(status()).toHaveTextContent('machine identity does not match this agent'));
    expect(status()).toHaveClass('rc-failed');
  });

  it('Disconnect ends the session through GuruRMM and says who ended it', async () => {
    const { calls } = renderPanel(undefined, {
      'POST /api/remote-control/sessions/r1/end': () => ({
        body: row({ status: 'ended', end_reason: 'ended by tech@example.com', ended_at: new Date().toISOString() }),
      }),
    });
    await vi.waitFor(() => expect(screen.getByRole('button', { name: 'Disconnect' })).toBeEnabled());
    await userEvent.setup().click(screen.getByRole('button', { name: 'Disconnect' }));
    await vi.waitFor(() => expect(status()).toHaveTextContent('Ended: ended by tech@example.com'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.path)).toEqual(['/api/remote-control/sessions/r1/end']);
  });

  it('Close ends a live session before closing, and stays open when ending fails', async () => {
    const onClose = vi.fn();
    let fail = true;
    stubFetch({
      'GET /api/remote-control/sessions/r1': () => ({ body: row() }),
      'POST /api/remote-control/sessions/r1/end': () =>
        fail
          ? { status: 502, body: { detail: 'GuruConnect is unreachable', error_code: 'upstream_error', status_code: 502, correlation_id: 'c-1' } }
          : { body: row({ status: 'ended', end_reason: 'ended by tech@example.com' }) },
    });
    renderApp(<RemoteControlPanel start={started} hostname="box" onClose={onClose} />);
    const user = userEvent.setup();
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(await screen.findByText('GuruConnect is unreachable')).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
    fail = false;
    await user.click(screen.getByRole('button', { name: 'Close' }));
    await vi.waitFor(() => expect(onClose).toHaveBeenCalled());
  });

  it('ignores messages from another origin, another window, or in another shape', () => {
    const { win } = renderPanel();
    post(win, 'https://evil.example.com', { v: 1, type: 'viewer:state', state: 'streaming', reason: '' });
    post(window, GC, { v: 1, type: 'viewer:state', state: 'streaming', reason: '' });
    post(null, GC, { v: 1, type: 'viewer:state', state: 'streaming', reason: '' });
    post(win, GC, { type: 'viewer:state', state: 'streaming' });
    post(win, GC, { v: 1, type: 'viewer:state', state: 'pwned', reason: '' });
    post(win, GC, 'viewer:connected');
    post(win, GC, { v: 1, type: 'viewer:resize', width: -5, height: 'x' });
    expect(status()).not.toHaveTextContent('Connected to');
    expect(status()).toHaveAttribute('data-viewer-state', 'loading');
  });

  it('offers the new tab when GuruConnect does not offer the embedded viewer', () => {
    stubFetch({ 'GET /api/remote-control/sessions/r1': () => ({ body: row() }) });
    const noEmbed = {
      ...started,
      capabilities: { ...started.capabilities, features: { ...started.capabilities.features, embedded_viewer: false } },
    };
    renderApp(<RemoteControlPanel start={noEmbed} hostname="box" onClose={() => {}} />);
    expect(screen.queryByTitle('Remote screen of box')).not.toBeInTheDocument();
    expect(screen.getByRole('note')).toHaveTextContent('embedded_viewer is off');
    expect(screen.getByRole('button', { name: 'Open in a new tab' })).toBeInTheDocument();
  });

  it('posts Ctrl+Alt+Del to the viewer origin only, once streaming', () => {
    const { win } = renderPanel();
    const spy = vi.spyOn(win, 'postMessage').mockImplementation(() => {});
    expect(screen.getByRole('button', { name: 'Ctrl+Alt+Del' })).toBeDisabled();
    post(win, GC, { v: 1, type: 'viewer:state', state: 'streaming', reason: '' });
    fireEvent.click(screen.getByRole('button', { name: 'Ctrl+Alt+Del' }));
    expect(spy).toHaveBeenCalledWith({ v: 1, type: 'viewer:ctrl-alt-del' }, GC);
    expect(spy.mock.calls.every((call) => (call as unknown[])[1] === GC)).toBe(true);
  });
});
