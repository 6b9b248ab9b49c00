// The panel's words come from three sources; each case names which one decides.
import { describe, expect, it } from 'vitest';
import type { RemoteControlSession } from '../api/types';
import { lifecycleFromMessage, panelStatus, SLOW_AGENT_MS } from './remoteControlStatus';

const T0 = Date.parse('2026-12-06T06:00:00Z');

function row(extra: Partial<RemoteControlSession> = {}): RemoteControlSession {
  return {
    id: 'r',
    agent_id: 'a',
    technician_id: 'u',
    technician_email: 't@example.com',
    connect_session_id: 's',
    mode: 'attended',
    status: 'started',
    command_id: 'c',
    launch_status: 'completed',
    launch_error: null,
    started_at: new Date(T0).toISOString(),
    ended_at: null,
    end_reason: null,
    ...extra,
  };
}

describe('panelStatus', () => {
  it('lets the row decide once it is over, whatever the viewer says', () => {
    const streaming = { state: 'streaming' as const, reason: '' };
    expect(panelStatus(row({ status: 'failed', end_reason: 'download failed' }), streaming, 'box').tone).toBe('failed');
    expect(panelStatus(row({ status: 'ended', end_reason: 'ended by t@example.com' }), streaming, 'box')).toEqual({
      tone: 'ended',
      text: 'Ended: ended by t@example.com',
    });
  });

  it('says how long the machine has been expected once that is unusual', () => {
    const waiting = { state: 'waiting_for_agent' as const, reason: '' };
    expect(panelStatus(row(), waiting, 'box', T0 + 5_000).text).toBe('Waiting for the machine to connect to GuruConnect…');
    const late = panelStatus(row(), waiting, 'box', T0 + SLOW_AGENT_MS + 12_000);
    expect(late.text).toContain('42 s ago');
    expect(late.tone).toBe('progress');
  });

  it('is live only when the viewer streams', () => {
    expect(panelStatus(row(), { state: 'streaming', reason: '' }, 'box')).toEqual({ tone: 'live', text: 'Connected to box' });
    for (const state of ['loading', 'connecting', 'waiting_for_agent', 'waiting_for_consent', 'starting', 'reconnecting'] as const) {
      expect(panelStatus(row(), { state, reason: '' }, 'box').tone).not.toBe('live');
    }
  });
});

describe('lifecycleFromMessage', () => {
  it('takes only known states, and a 1.0 viewer first picture as streaming', () => {
    const connecting = { state: 'connecting' as const, reason: '' };
    expect(lifecycleFromMessage({ type: 'viewer:state', state: 'waiting_for_consent', reason: 'x' }, connecting)).toEqual({
      state: 'waiting_for_consent',
      reason: 'x',
    });
    expect(lifecycleFromMessage({ type: 'viewer:state', state: 'bogus' }, connecting)).toBeNull();
    expect(lifecycleFromMessage({ type: 'viewer:resize', width: 10, height: 10 }, connecting)?.state).toBe('streaming');
    expect(lifecycleFromMessage({ type: 'viewer:resize' }, { state: 'waiting_for_agent', reason: '' })).toBeNull();
    expect(lifecycleFromMessage({ type: 'viewer:connected' }, connecting)).toBeNull();
  });
});
