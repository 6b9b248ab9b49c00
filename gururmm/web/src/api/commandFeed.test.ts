// The command stream's parsing and how a pushed command lands in the cached lists.
import { describe, expect, it } from 'vitest';
import { QueryClient } from '@tanstack/react-query';
import { applyEvent, mergeCommand, parseEvents, withPushed } from './commandFeed';
import type { CommandListItem } from './types';

function item(id: string, agent: string, created: string, status = 'pending'): CommandListItem {
  return {
    id,
    agent_id: agent,
    created_by: 'u',
    command_type: 'shell',
    command: 'uptime',
    remote_control: null,
    timeout_seconds: 30,
    elevated: false,
    status: status as CommandListItem['status'],
    exit_code: null,
    stdout: null,
    stderr: null,
    duration_ms: null,
    truncated: false,
    created_at: created,
    sent_at: null,
    completed_at: null,
    agent_hostname: `host-${agent}`,
  };
}

describe('parseEvents', () => {
  it('splits whole events, skips keep-alive comments and keeps the unfinished tail', () => {
    const text = 'event: ready\ndata: live\n\n:\n\nevent: command\r\ndata: {"a":\r\ndata: 1}\r\n\r\nevent: res';
    const { events, rest } = parseEvents(text);
    expect(events).toEqual([
      { event: 'ready', data: 'live' },
      { event: 'command', data: '{"a":\n1}' },
    ]);
    expect(rest).toBe('event: res');
    expect(parseEvents(`${rest}ync\ndata: reload\n\n`).events).toEqual([{ event: 'resync', data: 'reload' }]);
  });
});

describe('mergeCommand', () => {
  const older = item('c1', 'a1', '2026-12-06T10:00:00Z');
  const newer = item('c2', 'a2', '2026-12-06T11:00:00Z');

  it('replaces a listed command in place, keeping a hostname the event lacks', () => {
    const done = { ...older, status: 'completed' as const, stdout: 'up', agent_hostname: null };
    const merged = mergeCommand([newer, older], done, ['commands', 'all', 100]);
    expect(merged?.map((c) => [c.id, c.status])).toEqual([
      ['c2', 'pending'],
      ['c1', 'completed'],
    ]);
    expect(merged?.[1].agent_hostname).toBe('host-a1');
  });

  it('adds a new command on top of the lists that show its agent, within their limit', () => {
    const fresh = item('c3', 'a1', '2026-12-06T12:00:00Z');
    expect(mergeCommand([newer, older], fresh, ['commands', 'all', 2])?.map((c) => c.id)).toEqual(['c3', 'c2']);
    expect(mergeCommand([older], fresh, ['commands', 'a1', 50])?.map((c) => c.id)).toEqual(['c3', 'c1']);
    expect(mergeCommand([newer], fresh, ['commands', 'a2', 50])?.map((c) => c.id)).toEqual(['c2']);
  });

  it('compares times as instants, whatever fraction of a second the server wrote', () => {
    const at = (id: string, created: string) => item(id, 'a1', created);
    const listed = [at('c1', '2026-12-06T10:00:05.5Z')];
    const later = at('c2', '2026-12-06T10:00:05.51Z');
    expect(mergeCommand(listed, later, ['commands', 'all', 10])?.map((c) => c.id)).toEqual(['c2', 'c1']);
    const earlier = at('c0', '2026-12-06T10:00:05Z');
    expect(mergeCommand(listed, earlier, ['commands', 'all', 10])?.map((c) => c.id)).toEqual(['c1']);
  });

  it('leaves an unloaded list alone and never adds an old command above newer ones', () => {
    expect(mergeCommand(undefined, older, ['commands', 'all', 10])).toBeUndefined();
    const stale = item('c0', 'a1', '2026-12-06T09:00:00Z');
    expect(mergeCommand([newer], stale, ['commands', 'all', 10])?.map((c) => c.id)).toEqual(['c2']);
  });
});

describe('withPushed', () => {
  it('keeps a pushed result over a reload that read the database before it arrived', () => {
    const client = new QueryClient();
    const key = ['commands', 'all', 10];
    const running = item('c9', 'a1', '2026-12-06T10:00:00Z', 'running');
    client.setQueryData(key, [running]);
    const fetchStarted = Date.now() - 5;
    const done = { ...running, status: 'completed' as const, stdout: 'ok' };
    applyEvent(client, { event: 'command', data: JSON.stringify(done) });
    expect(client.getQueryData<CommandListItem[]>(key)?.[0].status).toBe('completed');
    // The reload began before the push and still says running: the push wins.
    expect(withPushed([running], fetchStarted)[0].status).toBe('completed');
    // A reload that began after the push is newer than it.
    expect(withPushed([running], Date.now() + 1)[0].status).toBe('running');
  });
});
