// Command changes pushed by the server (GET /api/commands/events), merged into the cached
// command lists as they arrive, so results show without polling. One stream serves every view
// on the page; it reconnects with a growing pause when it drops, and while it is down the
// lists fall back to polling (`useCommands`). After a reconnect or a `resync` event the lists
// are reloaded, since changes may have been missed meanwhile.
import type { QueryClient } from '@tanstack/react-query';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useSyncExternalStore } from 'react';
import { openStream } from './client';
import type { CommandListItem } from './types';

export interface FeedEvent {
  event: string;
  data: string;
}

/** Splits received text into whole events; `rest` is the unfinished tail to keep. */
export function parseEvents(text: string): { events: FeedEvent[]; rest: string } {
  const blocks = text.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: FeedEvent[] = [];
  for (const block of blocks) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) continue; // a keep-alive comment
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      if (field === 'data') data.push(value);
    }
    if (data.length > 0) events.push({ event, data: data.join('\n') });
  }
  return { events, rest };
}

/**
 * One cached list with `item` in it: replaced where it is, or added on top when the list
 * (`['commands', agent id or 'all', limit]`) would show it. Lists are newest first.
 */
export function mergeCommand(
  list: CommandListItem[] | undefined,
  item: CommandListItem,
  key: readonly unknown[],
): CommandListItem[] | undefined {
  if (!list) return list;
  const at = list.findIndex((c) => c.id === item.id);
  if (at >= 0) {
    const next = list.slice();
    next[at] = { ...item, agent_hostname: item.agent_hostname ?? list[at].agent_hostname };
    return next;
  }
  const [, agent, limit] = key;
  if (agent !== 'all' && agent !== item.agent_id) return list;
  const newest = list.length === 0 || item.created_at >= list[0].created_at;
  if (!newest) return list;
  const next = [item, ...list];
  return typeof limit === 'number' ? next.slice(0, limit) : next;
}

function apply(client: QueryClient, event: FeedEvent) {
  if (event.event === 'command') {
    const item = JSON.parse(event.data) as CommandListItem;
    for (const query of client.getQueryCache().findAll({ queryKey: ['commands'] })) {
      client.setQueryData<CommandListItem[]>(query.queryKey, (old) => mergeCommand(old, item, query.queryKey));
    }
  } else if (event.event === 'resync') {
    void client.invalidateQueries({ queryKey: ['commands'] });
  }
}

/** Longest pause between reconnects. */
const MAX_PAUSE_MS = 30_000;

let users = 0;
let stop: AbortController | null = null;
let live = false;
const listeners = new Set<() => void>();

function setLive(next: boolean) {
  if (live === next) return;
  live = next;
  listeners.forEach((listener) => listener());
}

/** Reads one stream until it ends; resolves when it does. */
async function follow(client: QueryClient, signal: AbortSignal, onReady: () => void) {
  const response = await openStream('/api/commands/events', signal);
  const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
  if (!reader) return;
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    const { events, rest } = parseEvents(buffer + value);
    buffer = rest;
    for (const event of events) {
      if (event.event === 'ready') onReady();
      else apply(client, event);
    }
  }
}

async function run(client: QueryClient, signal: AbortSignal) {
  let pause = 1_000;
  let connectedBefore = false;
  while (!signal.aborted) {
    try {
      await follow(client, signal, () => {
        if (connectedBefore) void client.invalidateQueries({ queryKey: ['commands'] });
        connectedBefore = true;
        pause = 1_000;
        setLive(true);
      });
    } catch {
      // Dropped, refused or unreachable: the lists poll meanwhile, and this tries again.
    }
    setLive(false);
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 2, MAX_PAUSE_MS);
  }
}

function acquire(client: QueryClient) {
  users += 1;
  if (users === 1) {
    stop = new AbortController();
    void run(client, stop.signal);
  }
}

function release() {
  users -= 1;
  if (users === 0) {
    stop?.abort();
    stop = null;
    setLive(false);
  }
}

/** Keeps the page's command stream open while mounted; true while it is live. */
export function useCommandFeed(): boolean {
  const client = useQueryClient();
  useEffect(() => {
    acquire(client);
    return release;
  }, [client]);
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => live,
  );
}
