// Native Remote Control (NRC-10): the Remote Control button of the agent header and the panel
// that embeds GuruConnect's viewer for the session the server brokered.
//
// The button is enabled only when the agent is online and GuruRMM says remote control is
// available (`GET /api/remote-control/status`: configured, GuruConnect's contract major
// matches, sessions offered). The mode choice lists only the modes the capabilities allow, so
// attended is hidden when GuruConnect's consent_prompt is off.
//
// The panel follows CONTRACT.md "Viewer embed protocol": a message is taken only when its
// origin is the viewer's origin (from the URL the frame loads) and its source is that very
// frame's window, and only in the documented shapes; messages to the viewer name its origin,
// never '*'. What it says combines the launch, GuruConnect's session and the viewer's state
// (remoteControlStatus.ts); Disconnect and Close end the session through GuruRMM, so the
// machine's agent and both products' records learn it.
import { useEffect, useMemo, useRef, useState } from 'react';
import {
  useEndRemoteControl,
  useRemoteControlSession,
  useRemoteControlStatus,
  useRemoteControlViewerLink,
  useStartRemoteControl,
} from '../api/hooks';
import type { Agent, RemoteControlMode, RemoteControlStart } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';
import { lifecycleFromMessage, panelStatus, type ViewerLifecycle } from './remoteControlStatus';

const MODE_LABELS: Record<RemoteControlMode, string> = {
  unattended: 'Unattended',
  attended: 'Attended (the user accepts)',
};

export function RemoteControlButton({
  agent,
  onStarted,
}: {
  agent: Agent;
  onStarted: (start: RemoteControlStart) => void;
}) {
  const status = useRemoteControlStatus();
  const start = useStartRemoteControl(agent.id);
  const modes = status.data?.available ? status.data.modes : [];
  const [chosen, setChosen] = useState<RemoteControlMode>('unattended');
  const mode = modes.includes(chosen) ? chosen : modes[0];
  let blocked: string | null = null;
  if (status.isPending) blocked = 'Checking whether remote control is available…';
  else if (status.error) blocked = 'Cannot tell whether remote control is available.';
  else if (!mode) blocked = status.data?.reason ?? 'Remote control is not available.';
  else if (agent.status !== 'online') blocked = 'The agent is offline.';
  return (
    <div className="remote-control" role="group" aria-label="Remote control">
      {modes.length > 1 && (
        <label>
          Mode
          <select value={mode} onChange={(e) => setChosen(e.target.value as RemoteControlMode)}>
            {modes.map((m) => (
              <option key={m} value={m}>
                {MODE_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
      )}
      <button
        type="button"
        className="primary"
        disabled={blocked !== null || start.isPending}
        aria-describedby={blocked ? `rc-why-${agent.id}` : undefined}
        onClick={() =>
          mode &&
          start.mutateAsync(mode).then(
            (started) => onStarted(started),
            () => {}, // shown through start.error
          )
        }
      >
        {start.isPending ? 'Starting…' : 'Remote Control'}
      </button>
      {blocked && (
        <span className="hint" id={`rc-why-${agent.id}`}>
          {blocked}
        </span>
      )}
      <ErrorBox error={start.error} title="Remote control" />
    </div>
  );
}

/** The viewer's origin: the origin of the URL the frame loads. */
export function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0 && n < 100_000;

export function RemoteControlPanel({
  start,
  hostname,
  onClose,
}: {
  start: RemoteControlStart;
  hostname: string;
  onClose: () => void;
}) {
  const frame = useRef<HTMLIFrameElement>(null);
  const origin = useMemo(() => originOf(start.viewer_embed_url), [start.viewer_embed_url]);
  const [viewer, setViewer] = useState<ViewerLifecycle>({ state: 'loading', reason: '' });
  const [size, setSize] = useState<{ width: number; height: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const row = useRemoteControlSession(start.remote_control_id);
  const end = useEndRemoteControl(start.remote_control_id);
  const link = useRemoteControlViewerLink(start.remote_control_id);
  const embeddable = start.capabilities.features.embedded_viewer !== false;
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    setViewer({ state: 'loading', reason: '' });
    setSize(null);
    setError(null);
    function onMessage(event: MessageEvent) {
      if (!origin || event.origin !== origin) return;
      if (!frame.current || event.source !== frame.current.contentWindow) return;
      const data: unknown = event.data;
      if (typeof data !== 'object' || data === null) return;
      const m = data as Record<string, unknown>;
      if (m.v !== 1 || typeof m.type !== 'string') return;
      if (m.type === 'viewer:resize' && positive(m.width) && positive(m.height)) setSize({ width: m.width, height: m.height });
      if (m.type === 'viewer:error') {
        setError(`${typeof m.code === 'string' ? m.code : 'error'}: ${typeof m.detail === 'string' ? m.detail : ''}`);
      }
      // Newer event types are ignored (compatibility promise).
      setViewer((current) => lifecycleFromMessage(m, current) ?? current);
    }
    window.addEventListener('message', onMessage);
    return () => window.removeEventListener('message', onMessage);
  }, [origin, start.viewer_embed_url]);

  const send = (message: Record<string, unknown>) => {
    if (origin) frame.current?.contentWindow?.postMessage({ v: 1, ...message }, origin);
  };
  const live = row.data === undefined || row.data.status === 'started';
  // Ends the session on GuruConnect (the machine's agent and every viewer are disconnected);
  // the frame hears it from the relay. Resolves false when ending failed (shown).
  const endSession = async () => {
    if (!live) return true;
    try {
      await end.mutateAsync();
      return true;
    } catch {
      return false;
    }
  };
  const openInTab = () => {
    const tab = window.open('about:blank', '_blank');
    link.mutateAsync().then(
      ({ viewer_url }) => {
        if (tab) {
          tab.opener = null;
          tab.location.href = viewer_url;
        }
      },
      () => tab?.close(),
    );
  };

  const status = panelStatus(row.data, viewer, hostname, now);
  const streaming = viewer.state === 'streaming' && live;
  return (
    <section className="card remote-control-panel" aria-label="Remote control session">
      <header className="panel-header">
        <h2>Remote control: {hostname}</h2>
        <span role="status" className={`rc-status rc-${status.tone}`} data-viewer-state={viewer.state}>
          {status.text}
        </span>
        <div className="panel-actions">
          <button type="button" onClick={() => send({ type: 'viewer:ctrl-alt-del' })} disabled={!streaming}>
            Ctrl+Alt+Del
          </button>
          <button type="button" onClick={() => void endSession()} disabled={!live || end.isPending}>
            {end.isPending ? 'Ending…' : 'Disconnect'}
          </button>
          <button type="button" onClick={openInTab} disabled={!live || link.isPending}>
            Open in a new tab
          </button>
          <button
            type="button"
            onClick={() =>
              void endSession().then((ended) => {
                if (ended) onClose();
              })
            }
          >
            Close
          </button>
        </div>
      </header>
      <ErrorBox error={end.error} title="Ending the session" />
      <ErrorBox error={link.error} title="Opening the viewer" />
      <ErrorBox error={row.error} title="Session state" />
      {row.data?.connect?.error && (
        <p className="hint">GuruConnect could not be asked about this session: {row.data.connect.error}</p>
      )}
      {error && (
        <div role="alert" className="error-box">
          Viewer error {error}
        </div>
      )}
      {row.data?.status === 'failed' ? null : embeddable ? (
        <iframe
          ref={frame}
          className="remote-viewer"
          title={`Remote screen of ${hostname}`}
          src={start.viewer_embed_url}
          sandbox="allow-scripts allow-same-origin"
          allow="keyboard-map; clipboard-read; clipboard-write; fullscreen"
          referrerPolicy="no-referrer"
          style={size ? { aspectRatio: `${size.width} / ${size.height}` } : undefined}
          data-width={size?.width}
          data-height={size?.height}
        />
      ) : (
        <p role="note">
          GuruConnect does not offer its embedded viewer (embedded_viewer is off there): open the session in a new tab.
        </p>
      )}
      <p className="hint">
        Click the remote screen to type into it. Mode: {start.mode}. Disconnect and Close end the session on the
        machine.
      </p>
    </section>
  );
}
