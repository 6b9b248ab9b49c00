// Every server read and write the pages use, as react-query hooks. Keys are arrays starting
// with the resource name, so a mutation can invalidate everything about one resource. Polling
// intervals are here, in one place: presence changes on its own; commands are pushed
// (commandFeed.ts) and polled only while that stream is down.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, query } from './client';
import { useCommandFeed, withPushed } from './commandFeed';
import type {
  Agent,
  AgentPage,
  AgentState,
  AgentStats,
  Alert,
  Client,
  Command,
  CommandListItem,
  CommandType,
  MetricSample,
  RemoteControlMode,
  RemoteControlSession,
  RemoteControlStart,
  RemoteControlStatus,
  SecondFactorStatus,
  SsoOptions,
  User,
  Site,
  SiteWithCode,
  WatchdogEvent,
} from './types';

/** How often live views poll, in milliseconds. */
export const POLL = { presence: 5_000, metrics: 15_000, activeCommand: 1_000, idle: 10_000, remoteControl: 2_000 };

export interface AgentFilters {
  q: string;
  status: '' | 'online' | 'offline';
  client_id: string;
  site_id: string;
  os_type: string;
  sort: string;
  order: 'asc' | 'desc';
}

export const AGENTS_PER_PAGE = 100;

/** One page (1-based) of the agents list; the virtualised table asks for the pages it shows. */
export function agentPageQuery(filters: AgentFilters, page: number) {
  return {
    queryKey: ['agents', 'page', filters, page] as const,
    queryFn: ({ signal }: { signal: AbortSignal }) =>
      api<AgentPage>(`/api/agents${query({ ...filters, page, per_page: AGENTS_PER_PAGE })}`, { signal }),
    // Page 1 keeps the previous filter's rows while the new ones load (no flash of an empty
    // list). Other pages must not: a placeholder would be another page's agents in these rows.
    placeholderData: page === 1 ? keepPreviousData : undefined,
    refetchInterval: POLL.presence,
  };
}

/** The signed-in person's two-factor sign-in. */
/** Whether the sign-in page offers single sign-on (asked without a token). */
export function useSsoOptions() {
  return useQuery({
    queryKey: ['sso-options'],
    queryFn: () => api<SsoOptions>('/api/auth/sso', { anonymous: true }),
    staleTime: Infinity,
  });
}

export function useSecondFactor() {
  return useQuery({
    queryKey: ['second-factor'],
    queryFn: () => api<SecondFactorStatus>('/api/auth/second-factor'),
  });
}

export function useAgentStats() {
  return useQuery({
    queryKey: ['agents', 'stats'],
    queryFn: () => api<AgentStats>('/api/agents/stats'),
    refetchInterval: POLL.presence,
  });
}

export function useAgent(id: string) {
  return useQuery({
    queryKey: ['agents', 'detail', id],
    queryFn: () => api<Agent>(`/api/agents/${encodeURIComponent(id)}`),
    refetchInterval: POLL.presence,
  });
}

export function useAgentState(id: string) {
  return useQuery({
    queryKey: ['agents', 'state', id],
    queryFn: () => api<AgentState>(`/api/agents/${encodeURIComponent(id)}/state`),
    refetchInterval: POLL.presence,
  });
}

export function useMetrics(id: string, hours: number) {
  return useQuery({
    queryKey: ['agents', 'metrics', id, hours],
    queryFn: () =>
      api<MetricSample[]>(`/api/agents/${encodeURIComponent(id)}/metrics${query({ hours, limit: 2000 })}`),
    refetchInterval: POLL.metrics,
  });
}

export function useWatchdogEvents(id: string) {
  return useQuery({
    queryKey: ['agents', 'watchdog', id],
    queryFn: () => api<WatchdogEvent[]>(`/api/agents/${encodeURIComponent(id)}/watchdog-events`),
    refetchInterval: POLL.idle,
  });
}

const isActive = (c: Command) => c.status === 'pending' || c.status === 'running';

/**
 * Commands, newest first. Changes arrive pushed (`useCommandFeed`); only while that stream is
 * down does the list poll fast for a command still pending or running.
 */
export function useCommands(agentId?: string, limit = 100) {
  const pushed = useCommandFeed();
  return useQuery({
    queryKey: ['commands', agentId ?? 'all', limit],
    queryFn: async () => {
      const started = Date.now();
      const list = await api<CommandListItem[]>(`/api/commands${query({ agent_id: agentId, limit })}`);
      return withPushed(list, started);
    },
    refetchInterval: (q) => (!pushed && q.state.data?.some(isActive) ? POLL.activeCommand : POLL.idle),
  });
}

export function useAlerts(filters: { status?: string; agent_id?: string } = {}) {
  return useQuery({
    queryKey: ['alerts', filters],
    queryFn: () => api<Alert[]>(`/api/alerts${query(filters)}`),
    refetchInterval: POLL.idle,
  });
}

export function useClients() {
  return useQuery({ queryKey: ['clients'], queryFn: () => api<Client[]>('/api/clients') });
}

export function useSites(clientId?: string) {
  return useQuery({
    queryKey: ['sites', clientId ?? 'all'],
    queryFn: () => api<Site[]>(`/api/sites${query({ client_id: clientId })}`),
  });
}

/** Invalidates the given resources after a write succeeds. */
function useInvalidate() {
  const client = useQueryClient();
  return (...keys: string[]) => Promise.all(keys.map((k) => client.invalidateQueries({ queryKey: [k] })));
}

export interface SendCommand {
  command_type: CommandType;
  command: string;
  timeout_seconds?: number;
  elevated: boolean;
}

export function useSendCommand(agentId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: SendCommand) =>
      api<Command>(`/api/agents/${encodeURIComponent(agentId)}/command`, { method: 'POST', body }),
    onSuccess: () => invalidate('commands'),
  });
}

export function useCancelCommand() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => api<Command>(`/api/commands/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
    onSuccess: () => invalidate('commands'),
  });
}

export function useMoveAgent(agentId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (siteId: string | null) =>
      api<Agent>(`/api/agents/${encodeURIComponent(agentId)}/move`, { method: 'POST', body: { site_id: siteId } }),
    onSuccess: () => invalidate('agents', 'sites', 'clients'),
  });
}

/** Every account (admins only). */
export function useUsers() {
  return useQuery({ queryKey: ['users'], queryFn: () => api<User[]>('/api/users') });
}

/** Disables an account (every sign-in of it ends) or resets its second factor (a lost phone). */
export function useUserAction() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'disable' | 'second-factor/reset' }) =>
      api<void>(`/api/users/${encodeURIComponent(id)}/${action}`, { method: 'POST', body: {} }),
    onSuccess: () => invalidate('users'),
  });
}

export function useDeleteAgent() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (agentId: string) => api<void>(`/api/agents/${encodeURIComponent(agentId)}`, { method: 'DELETE' }),
    onSuccess: () => invalidate('agents', 'sites', 'clients'),
  });
}

export function useAlertAction() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: 'acknowledge' | 'resolve' }) =>
      api<Alert>(`/api/alerts/${encodeURIComponent(id)}/${action}`, { method: 'POST' }),
    onSuccess: () => invalidate('alerts'),
  });
}

export interface ClientInput {
  name: string;
  notes: string;
}

export function useSaveClient() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, ...body }: ClientInput & { id?: string }) =>
      id
        ? api<Client>(`/api/clients/${encodeURIComponent(id)}`, { method: 'PUT', body })
        : api<Client>('/api/clients', { method: 'POST', body }),
    onSuccess: () => invalidate('clients'),
  });
}

export function useDeleteClient() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/clients/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => invalidate('clients', 'sites', 'agents'),
  });
}

export function useCreateSite() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (body: { client_id: string; name: string; notes: string }) =>
      api<SiteWithCode>('/api/sites', { method: 'POST', body }),
    onSuccess: () => invalidate('sites', 'clients'),
  });
}

export function useUpdateSite() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: ({ id, ...body }: { id: string; name: string; notes: string }) =>
      api<Site>(`/api/sites/${encodeURIComponent(id)}`, { method: 'PUT', body }),
    onSuccess: () => invalidate('sites'),
  });
}

export function useDeleteSite() {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (id: string) => api<void>(`/api/sites/${encodeURIComponent(id)}`, { method: 'DELETE' }),
    onSuccess: () => invalidate('sites', 'clients', 'agents'),
  });
}

export function useRegenerateSiteCode() {
  return useMutation({
    mutationFn: (id: string) =>
      api<{ site_code: string }>(`/api/sites/${encodeURIComponent(id)}/regenerate-key`, { method: 'POST' }),
  });
}

export function useRemoteControlStatus() {
  return useQuery({
    queryKey: ['remote-control-status'],
    queryFn: () => api<RemoteControlStatus>('/api/remote-control/status'),
    staleTime: 30_000,
  });
}

export function useStartRemoteControl(agentId: string) {
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (mode: RemoteControlMode) =>
      api<RemoteControlStart>(`/api/agents/${encodeURIComponent(agentId)}/remote-control`, {
        method: 'POST',
        body: { mode },
      }),
    onSuccess: () => invalidate('commands'),
  });
}

/** A remote-control session as the server knows it, polled while it is started. */
export function useRemoteControlSession(id: string) {
  return useQuery({
    queryKey: ['remote-control-session', id],
    queryFn: () => api<RemoteControlSession>(`/api/remote-control/sessions/${encodeURIComponent(id)}`),
    refetchInterval: (q) => (q.state.data && q.state.data.status !== 'started' ? false : POLL.remoteControl),
  });
}

/** Ends a remote-control session (GuruConnect disconnects the machine and every viewer). */
export function useEndRemoteControl(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      api<RemoteControlSession>(`/api/remote-control/sessions/${encodeURIComponent(id)}/end`, { method: 'POST' }),
    onSuccess: (row) => client.setQueryData(['remote-control-session', id], row),
  });
}

/** A fresh link to GuruConnect's own viewer page for the session. */
export function useRemoteControlViewerLink(id: string) {
  return useMutation({
    mutationFn: () =>
      api<{ viewer_url: string }>(`/api/remote-control/sessions/${encodeURIComponent(id)}/viewer`, { method: 'POST' }),
  });
}
