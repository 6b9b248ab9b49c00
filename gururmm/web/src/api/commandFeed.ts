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
  // Parsed, not compared as text: the server writes fractions of a second only when non-zero.
  const newest = list.length === 0 || Date.parse(item.created_at) >= Date.parse(list[0].created_at);
  if (!newest) return list;
  const next = [item, ...list];
  return typeof limit === 'number' ? next.slice(0, limit) : next;
}

/** Pushed commands of the last minute, by id, with when they arrived (see `withPushed`). */
const recent = new Map<string, { item: CommandListItem; at: number }>();
const RECENT_MS = 60_000;

function remember(item: CommandListItem) {
  const now = Date.now();
  recent.set(item.id, { item, at: now });
  for (const [id, entry] of recent) {
    if (now - entry.at > RECENT_MS) recent.delete(id);
  }
}

/**
 * A fetched list with the commands pushed since the fetch began put over it: a reload that read
 * the database before a result arrived must not show the older state once it lands.
 */
export function withPushed(list: CommandListItem[], fetchStarted: number): CommandListItem[] {
  return list.map((c) => {
    const pushed = recent.get(c.id);
    return pushed && pushed.at >= fetchStarted ? { ...pushed.item, agent_hostname: c.agent_hostname } : c;
  });
}

/** Applies one received event to the cached lists. */
export function applyEvent(client: QueryClient, event: FeedEvent) {
  if (event.event === 'command') {
    const item = JSON.parse(event.data) as CommandListItem;
    remember(item);
    for (const query of client.getQueryCache().findAll({ queryKey: ['commands'] })) {
      client.setQueryData<CommandListItem[]>(query.queryKey, (old) => mergeCommand(old, item, query.queryKey));
    }
  } else if (event.event === 'resync') {
    void client.invalidateQueries({ queryKey: ['commands'] });
  }
}

/** Longest pause between reconnects. */
const MAX_PAUSE_MS = 30_000;
/** A stream silent this long is dead (the server sends a keep-alive every 15 s). */
const SILENCE_MS = 45_000;

let users = 0;
let stop: AbortController | null = null;
let live = false;
const listeners = new Set<() => void>();

function setLive(next: boolean) {
  if (live === next) return;
  live = next;
  listeners.forEach((listener) => listener());
}

/** Reads one stream until it ends, goes silent, or `signal` stops it. */
async function follow(client: QueryClient, signal: AbortSignal, onReady: () => void) {
  const stream = new AbortController();
  const stop = () => stream.abort();
  signal.addEventListener('abort', stop);
  let silence = setTimeout(stop, SILENCE_MS);
  try {
    const response = await openStream('/api/commands/events', stream.signal);
    const reader = response.body?.pipeThrough(new TextDecoderStream()).getReader();
    if (!reader) return;
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      clearTimeout(silence);
      silence = setTimeout(stop, SILENCE_MS);
      const { events, rest } = parseEvents(buffer + value);
      buffer = rest;
      for (const event of events) {
        if (event.event === 'ready') onReady();
        else applyEvent(client, event);
      }
    }
  } finally {
    clearTimeout(silence);
    signal.removeEventListener('abort', stop);
  }
}

/** Waits `ms`, or less when `signal` stops the feed. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

async function run(client: QueryClient, signal: AbortSignal) {
  let wait = 1_000;
  while (!signal.aborted) {
    const opened = Date.now();
    try {
      await follow(client, signal, () => {
        // Whatever changed before this stream began is fetched once; the rest is pushed.
        void client.invalidateQueries({ queryKey: ['commands'] });
        setLive(true);
      });
    } catch {
      // Dropped, refused or unreachable: the lists poll meanwhile, and this tries again.
    }
    setLive(false);
    // A stream that lasted a while was healthy: start the pauses over.
    if (Date.now() - opened > MAX_PAUSE_MS) wait = 1_000;
    await pause(wait, signal);
    wait = Math.min(wait * 2, MAX_PAUSE_MS);
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

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

const isLive = () => live;

/** Keeps the page's command stream open while mounted; true while it is live. */
export function useCommandFeed(): boolean {
  const client = useQueryClient();
  useEffect(() => {
    acquire(client);
    return release;
  }, [client]);
  return useSyncExternalStore(subscribe, isLive);
}
