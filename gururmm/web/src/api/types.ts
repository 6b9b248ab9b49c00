// The shapes gururmm-server returns (its DTOs in crates/server/src/api), written out by hand:
// the dashboard depends on the documented API, not on the server's Rust types.

export interface User {
  id: string;
  email: string;
  display_name: string;
  role: 'admin' | 'technician';
  created_at: string;
  last_login_at: string | null;
}

export interface LoginResponse {
  token: string;
  token_type: string;
  expires_in: number;
  user: User;
}

export interface Client {
  id: string;
  name: string;
  notes: string;
  site_count: number;
  agent_count: number;
  created_at: string;
  updated_at: string;
}

export interface Site {
  id: string;
  client_id: string;
  name: string;
  notes: string;
  agent_count: number;
  created_at: string;
  updated_at: string;
}

/** A site as returned on creation and regeneration: the only time its code is readable. */
export interface SiteWithCode extends Site {
  site_code: string;
}

export interface Agent {
  id: string;
  hostname: string;
  device_id: string;
  os_type: string;
  os_version: string;
  arch: string;
  agent_version: string;
  status: 'online' | 'offline';
  site_id: string | null;
  site_name: string | null;
  client_id: string | null;
  client_name: string | null;
  has_key: boolean;
  created_at: string;
  last_seen_at: string | null;
}

export interface AgentPage {
  items: Agent[];
  total: number;
  page: number;
  per_page: number;
}

export interface AgentStats {
  total: number;
  online: number;
  offline: number;
  unassigned: number;
}

export interface NetworkInterface {
  name: string;
  mac?: string;
  addresses?: string[];
}

export interface AgentState {
  agent_id: string;
  status: string;
  network: NetworkInterface[] | null;
  network_hash: string;
  network_updated_at: string | null;
  metrics: Record<string, unknown>;
  metrics_updated_at: string | null;
  uptime_seconds: number;
}

export interface MetricSample {
  recorded_at: string;
  cpu_percent: number | null;
  memory_used_bytes: number | null;
  memory_total_bytes: number | null;
  disk_used_bytes: number | null;
  disk_total_bytes: number | null;
  network_rx_bytes: number | null;
  network_tx_bytes: number | null;
}

export const COMMAND_TYPES = ['shell', 'powershell', 'python', 'script', 'claude_task'] as const;
export type CommandType = (typeof COMMAND_TYPES)[number];

export type CommandStatus =
  | 'pending'
  | 'running'
  | 'completed'
  | 'failed'
  | 'timed_out'
  | 'cancelled';

export interface Command {
  id: string;
  agent_id: string;
  created_by: string | null;
  command_type: string;
  /** As typed; for a remote-control launch, the server's one-line description of it. */
  command: string;
  remote_control: LaunchSummary | null;
  timeout_seconds: number;
  elevated: boolean;
  status: CommandStatus;
  exit_code: number | null;
  stdout: string | null;
  stderr: string | null;
  duration_ms: number | null;
  truncated: boolean;
  created_at: string;
  sent_at: string | null;
  completed_at: string | null;
}

/** A remote-control launch as the command list shows it (never its stored form). */
export interface LaunchSummary {
  mode: string;
  connect_session_id: string;
  version: string;
  platform: string;
}

/** A command as `GET /api/commands` lists it: with its machine's name. */
export interface CommandListItem extends Command {
  agent_hostname: string | null;
}

export interface Alert {
  id: string;
  agent_id: string | null;
  /** The agent's last reported hostname; null when the agent is gone. */
  agent_hostname: string | null;
  kind: string;
  severity: 'info' | 'warning' | 'critical' | string;
  message: string;
  status: 'open' | 'acknowledged' | 'resolved';
  created_at: string;
  resolved_at: string | null;
}

export interface WatchdogEvent {
  id: string;
  service: string;
  event: string;
  message: string;
  occurred_at: string;
  recorded_at: string;
}

/** The server's error envelope. */
export interface ErrorEnvelope {
  detail: string;
  error_code: string;
  status_code: number;
  correlation_id: string;
}

/** GuruConnect's capability document, as GuruRMM relays it. */
export interface ConnectCapabilities {
  contract_version: string;
  features: {
    embedded_viewer: boolean;
    consent_prompt: boolean;
    per_machine_keys: boolean;
    programmatic_sessions: boolean;
    [flag: string]: unknown;
  };
}

export type RemoteControlMode = 'unattended' | 'attended';

/** `GET /api/remote-control/status`. */
export interface RemoteControlStatus {
  configured: boolean;
  available: boolean;
  reason: string | null;
  modes: RemoteControlMode[];
  contract_version: string | null;
  supported_contract: string;
  capabilities: ConnectCapabilities | null;
  viewer_origin: string | null;
  /** GuruConnect's release public key, for the enrolment instructions (when configured). */
  release_public_key?: string | null;
  /** The private CA GuruConnect's relay certificate chains to (PEM), for the instructions. */
  ca_pem?: string | null;
}

/** `GET /api/remote-control/sessions/{id}`: the row, brought up to date. */
export interface RemoteControlSession {
  id: string;
  agent_id: string;
  technician_email: string;
  connect_session_id: string;
  mode: RemoteControlMode;
  /** `started`, `ended` or `failed`. */
  status: 'started' | 'ended' | 'failed';
  command_id: string | null;
  /** The launch command's state on the agent: pending, running, completed, failed, timed_out. */
  launch_status: string | null;
  launch_error: string | null;
  started_at: string;
  ended_at: string | null;
  end_reason: string | null;
  /** GuruConnect's side, while started. */
  connect?: {
    status: string | null;
    agent_online: boolean;
    agent_refused: string | null;
    error: string | null;
  };
}

/** `POST /api/agents/{id}/remote-control`. */
export interface RemoteControlStart {
  session_id: string;
  remote_control_id: string;
  command_id: string;
  viewer_embed_url: string;
  viewer_native_url: string;
  mode: RemoteControlMode;
  capabilities: ConnectCapabilities;
  viewer_origin: string;
}
