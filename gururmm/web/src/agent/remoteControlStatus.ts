// What the Remote Control panel says, from the three places that know part of the truth: the
// launch command (GuruRMM: is GuruConnect started on the machine, or why not), GuruConnect's
// session (did its relay refuse the machine's agent), and the embedded viewer (is a picture on
// screen, or does it wait for the machine or its user). Only a painted picture is "connected":
// a viewer accepted by the relay over a machine that never came shows why it waits, and a
// failed launch shows its reason.
import type { RemoteControlSession } from '../api/types';

/** The viewer's lifecycle (CONTRACT.md `viewer:state`, and the 1.0 events mapped onto it). */
export type ViewerState =
  | 'loading'
  | 'connecting'
  | 'waiting_for_agent'
  | 'waiting_for_consent'
  | 'starting'
  | 'streaming'
  | 'reconnecting'
  | 'ended';

export interface ViewerLifecycle {
  state: ViewerState;
  reason: string;
}

export type Tone = 'progress' | 'live' | 'failed' | 'ended';

export interface PanelStatus {
  tone: Tone;
  text: string;
}

/** After this long without the machine's agent, the wait is worth saying out loud. */
export const SLOW_AGENT_MS = 30_000;

export function panelStatus(
  row: RemoteControlSession | undefined,
  viewer: ViewerLifecycle,
  hostname: string,
  now: number = Date.now(),
): PanelStatus {
  if (row?.status === 'failed') return { tone: 'failed', text: `Remote control failed: ${row.end_reason || 'no reason given'}` };
  if (row?.status === 'ended') return { tone: 'ended', text: `Ended: ${row.end_reason || 'no reason given'}` };
  if (viewer.state === 'ended') return { tone: 'ended', text: `Disconnected: ${viewer.reason || 'no reason given'}` };
  if (viewer.state === 'streaming') return { tone: 'live', text: `Connected to ${hostname}` };
  const refused = row?.connect?.agent_refused;
  if (refused) return { tone: 'failed', text: `GuruConnect refused the machine's GuruConnect agent: ${refused}` };
  const launch = row?.launch_status;
  if (launch === 'pending' || launch === 'running') {
    return { tone: 'progress', text: 'Starting GuruConnect on the machine (download, signature check, launch)…' };
  }
  switch (viewer.state) {
    case 'waiting_for_consent':
      return { tone: 'progress', text: 'Waiting for the user at the machine to accept…' };
    case 'starting':
      return { tone: 'progress', text: 'The machine is connected; waiting for the first picture…' };
    case 'reconnecting':
      return { tone: 'progress', text: `Reconnecting to GuruConnect (${viewer.reason || 'no reason given'})…` };
    case 'waiting_for_agent': {
      const waited = row ? now - Date.parse(row.started_at) : 0;
      if (launch === 'completed' && waited > SLOW_AGENT_MS) {
        return {
          tone: 'progress',
          text: `GuruConnect was started on the machine ${Math.round(waited / 1000)} s ago but has not connected yet; still waiting…`,
        };
      }
      return { tone: 'progress', text: 'Waiting for the machine to connect to GuruConnect…' };
    }
    case 'connecting':
      return { tone: 'progress', text: 'Connecting to GuruConnect…' };
    case 'loading':
      return { tone: 'progress', text: 'Loading the viewer…' };
  }
}

/** Maps a message from the viewer frame onto its lifecycle; null when it says nothing of it. */
export function lifecycleFromMessage(m: Record<string, unknown>, current: ViewerLifecycle): ViewerLifecycle | null {
  const reason = typeof m.reason === 'string' ? m.reason : '';
  switch (m.type) {
    case 'viewer:ready':
      return current.state === 'loading' ? { state: 'connecting', reason: '' } : null;
    case 'viewer:state':
      return VIEWER_STATES.has(m.state as ViewerState) ? { state: m.state as ViewerState, reason } : null;
    case 'viewer:disconnected':
      return m.final === true ? { state: 'ended', reason } : { state: 'reconnecting', reason };
    case 'viewer:resize':
      // A contract 1.0 viewer sends no viewer:state; its first picture is its first resize.
      return current.state === 'connecting' ? { state: 'streaming', reason: '' } : null;
    default:
      return null;
  }
}

const VIEWER_STATES = new Set<ViewerState>([
  'connecting',
  'waiting_for_agent',
  'waiting_for_consent',
  'starting',
  'streaming',
  'reconnecting',
  'ended',
]);
