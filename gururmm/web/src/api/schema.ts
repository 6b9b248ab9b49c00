// Generated from the GuruRMM API document by kit/api-types/openapi-types.mjs (npm run gen:api).
// Do not edit: change the server's types and regenerate.

export type AgentDto = {
  agent_version: string;
  arch: string;
  client_id: null | ClientId;
  client_name: string | null;
  created_at: string;
  device_id: string;
  /** True when the agent authenticates with its own `grmm_` key. */
  has_key: boolean;
  hostname: string;
  id: AgentId;
  last_seen_at: string | null;
  os_type: string;
  os_version: string;
  site_id: null | SiteId;
  site_name: string | null;
  /** `online` while the agent's socket is open, else `offline`. */
  status: AgentStatus;
};

/** A managed machine's agent (`agents.id`). */
export type AgentId = string;

export type AgentPage = {
  items: AgentDto[];
  page: number;
  per_page: number;
  total: number;
};

export type AgentState = {
  agent_id: AgentId;
  /** The last metrics sample as the agent sent it. */
  metrics: Record<string, unknown>;
  metrics_updated_at: string | null;
  /** The last reported interface list (empty until the agent reports one). */
  network: NetworkInterface[];
  network_hash: string;
  network_updated_at: string | null;
  status: AgentStatus;
  uptime_seconds: number;
};

export type AgentStats = {
  offline: number;
  online: number;
  total: number;
  unassigned: number;
};

/** Whether the agent's socket (or its polling) is live. */
export type AgentStatus = "online" | "offline";

export type AgentUpdateDto = {
  completed_at: string | null;
  failed_at: string | null;
  /** The agent's short explanation (printable ASCII, at most 200 characters). */
  failure_message: string | null;
  /**
   * Why the agent refused the update (failed only): `hash_mismatch`, `bad_signature`,
   * `download_failed`, `does_not_start`, `wrong_version`, `no_pinned_key`, `bad_pinned_key`,
   * `install_failed`, or `unknown`.
   */
  failure_reason: string | null;
  from_version: string;
  id: string;
  offered_at: string;
  /** offered, completed (the agent came back on `to_version`), failed (the agent refused it). */
  status: string;
  to_version: string;
};

export type AlertDto = {
  /**
   * The agent's hostname as it last reported it, so the alert can name the machine; null
   * when the alert has no agent or the agent is gone.
   */
  agent_hostname: string | null;
  agent_id: null | AgentId;
  created_at: string;
  id: AlertId;
  /** agent_offline, cpu_high, memory_high, disk_high. */
  kind: string;
  message: string;
  resolved_at: string | null;
  /** info, warning, critical. */
  severity: string;
  status: AlertStatus;
};

/** An alert (`alerts.id`). */
export type AlertId = string;

/**
 * Where an alert stands: a technician acknowledges it, a cleared condition or a
 * technician resolves it, and a resolved alert stays resolved.
 */
export type AlertStatus = "open" | "acknowledged" | "resolved";

export type AuditEventDto = {
  /** e.g. `login`, `command_sent`, `agent_key_rotated`, `registration_token_issued`. */
  action: string;
  /** `user:<id>` or `system`. */
  actor: string;
  /** What else the action recorded (ids, names, the command text). */
  detail: Record<string, unknown>;
  id: string;
  occurred_at: string;
  /** e.g. `agent:<id>`, `site:<id>`, `user:<id>`. */
  target: string;
};

export type AuditPage = {
  items: AuditEventDto[];
  page: number;
  per_page: number;
  total: number;
};

/** The capability document. Unknown top-level fields are ignored (compatibility promise). */
export type Capabilities = {
  contract_version: string;
  features: Features;
};

export type ClientDto = {
  agent_count: number;
  created_at: string;
  id: ClientId;
  name: string;
  notes: string;
  site_count: number;
  updated_at: string;
};

/** A customer (`clients.id`). */
export type ClientId = string;

export type ClientRequest = {
  name: string;
  notes?: string;
};

/** A code from the authenticator app (six digits) or, where said, a recovery code. */
export type CodeRequest = {
  code: string;
};

export type CommandDto = {
  agent_id: AgentId;
  /**
   * The command as typed. For a `remote_control_launch`, a one-line description of the
   * remote-control event instead; its stored form (release, signature, sealed secret) is
   * for the agent only and never returned.
   */
  command: string;
  command_type: string;
  completed_at: string | null;
  created_at: string;
  created_by: null | UserId;
  duration_ms: number | null;
  elevated: boolean;
  exit_code: number | null;
  id: CommandId;
  remote_control: null | LaunchSummary;
  sent_at: string | null;
  status: CommandStatus;
  stderr: string | null;
  stdout: string | null;
  timeout_seconds: number;
  truncated: boolean;
};

/** A command sent to an agent (`commands.id`). */
export type CommandId = string;

/** A command in a list, with the hostname of its agent so the list can name the machine. */
export type CommandListItem = CommandDto & ({
  /** The agent's hostname as it last reported it; null when the agent is gone. */
  agent_hostname: string | null;
});

/**
 * Where a command is: `db::commands` moves it only by compare-and-set
 * (pending → running → completed | failed | timed_out, pending → cancelled).
 */
export type CommandStatus = "pending" | "running" | "completed" | "failed" | "timed_out" | "cancelled";

/**
 * One event of the stream, as Server-Sent Events are modelled in OpenAPI (one object per
 * event): its name and its data, which is text.
 */
export type CommandStreamEvent = {
  data: string;
  /**
   * `ready` (data `live`) once the stream is live; `command` (data: the command as JSON,
   * a `CommandListItem`) on every change; `resync` (data `reload`) when the stream fell
   * behind and the lists must be read again.
   */
  event: StreamEventName;
};

/**
 * GuruConnect's id of a session GuruRMM started there, as GuruConnect names it
 * (`remote_control_sessions.connect_session_id`).
 */
export type ConnectSessionId = string;

/** Where GuruConnect says a started session stands. */
export type ConnectSideDto = {
  /** The machine's GuruConnect agent is connected to GuruConnect. */
  agent_online: boolean;
  /** Why GuruConnect turned the machine's GuruConnect agent away, if it did. */
  agent_refused: string | null;
  /** Why GuruConnect could not be asked. */
  error: string | null;
  /**
   * `waiting` (no agent yet), `active`, `agent_offline`; absent when GuruConnect could not
   * be asked.
   */
  status: string | null;
};

export type CreateAgentRequest = {
  /** Label until the agent reports its own hostname. */
  hostname?: string;
  site_id?: null | SiteId;
};

export type CreatePolicyRequest = {
  name: string;
  /** global, client, site or agent. */
  scope: string;
  /** The client, site or agent id (absent for global). */
  scope_id?: string | null;
  settings: PolicySettings;
};

export type CreateSiteRequest = {
  client_id: ClientId;
  name: string;
  notes?: string;
};

export type CreateTokenRequest = {
  description?: string;
  /** Hours until it expires; absent: never. */
  expires_in_hours?: number | null;
  /** Devices it may enrol; absent: unlimited. */
  max_uses?: number | null;
};

export type CreatedAgent = {
  agent: AgentDto;
  /** The agent's `grmm_` key, shown only now; only its SHA-256 is stored. */
  api_key: string;
};

/** A new token. `token` is shown only in this response; only its SHA-256 is stored. */
export type CreatedToken = TokenDto & {
  token: string;
};

/** server-kit's envelope, and GuruConnect's side of an error when it was GuruConnect that refused. */
export type ErrorEnvelope = {
  /** The request id; the server log line carries the same value. */
  correlation_id: string;
  /** Human-readable explanation. */
  detail: string;
  /** Stable machine-readable code, e.g. `not_found`. */
  error_code: string;
  status_code: number;
  /** Set when another service (GuruConnect) refused: its own code, status and request id. */
  upstream?: UpstreamError;
};

/**
 * The feature flags. A flag GuruConnect does not send counts as off; flags this build does
 * not know are kept (and logged) but change nothing.
 */
export type Features = Record<string, unknown> & {
  consent_prompt?: boolean;
  embedded_viewer?: boolean;
  per_machine_keys?: boolean;
  programmatic_sessions?: boolean;
};

export type Health = {
  /** Agents with a live socket on this server. */
  agents_connected: number;
  /** `ok` when the database answers. */
  status: string;
};

/** A remote-control launch as the command list shows it. */
export type LaunchSummary = {
  /** GuruConnect's session id. */
  connect_session_id: ConnectSessionId;
  /** unattended or attended. */
  mode: string;
  /** linux-x86_64 or windows-x86_64. */
  platform: string;
  /** The GuruConnect agent release the machine was told to run. */
  version: string;
};

/** A command's outcome, in the WebSocket `command_result` payload shape. */
export type LegacyCommandResult = {
  duration_ms: number;
  exit_code: number;
  id: CommandId;
  stderr?: string;
  stdout?: string;
  timed_out?: boolean;
  truncated?: boolean;
};

export type LegacyHeartbeat = {
  /** An optional metrics sample, in the WebSocket `metrics_report` shape. */
  metrics?: Record<string, unknown> | null;
};

export type LegacyHeartbeatResponse = {
  agent_id: AgentId;
  /** Commands to run, in the WebSocket `command` payload shape. Each is handed out once. */
  pending_commands: Record<string, unknown>[];
};

export type LegacyRegisterRequest = {
  agent_version: string;
  arch?: string;
  device_id: string;
  hostname: string;
  os_type: string;
  os_version?: string;
  site_code: string;
};

export type LegacyRegistered = {
  agent_id: AgentId;
  /** Send as `X-Agent-Key` from now on. Shown only now. */
  api_key: string;
};

export type LoginRequest = {
  /**
   * The authenticator app's current code, or a recovery code, when the account has
   * two-factor sign-in (a first try without it answers `second_factor_required`).
   */
  code?: string | null;
  email: string;
  password: string;
  /**
   * After a good code, remember this browser for 30 days (an `HttpOnly` cookie sent only
   * to this route) so it is not asked for a code again.
   */
  remember_device?: boolean;
};

export type LoginResponse = {
  /** Seconds until the token expires. */
  expires_in: number;
  token: string;
  /** Always `Bearer`. */
  token_type: string;
  user: UserDto;
};

export type MetricSample = {
  cpu_percent: number | null;
  disk_total_bytes: number | null;
  disk_used_bytes: number | null;
  memory_total_bytes: number | null;
  memory_used_bytes: number | null;
  network_rx_bytes: number | null;
  network_tx_bytes: number | null;
  recorded_at: string;
};

export type MetricsSummary = {
  agents_online: number;
  agents_reporting: number;
  avg_cpu_percent: number | null;
  avg_disk_percent: number | null;
  avg_memory_percent: number | null;
  hours: number;
  max_cpu_percent: number | null;
  samples: number;
};

export type MoveRequest = {
  site_id?: null | SiteId;
};

export type NetworkInterface = {
  /** Addresses in CIDR form, e.g. `192.168.1.10/24`. */
  addresses?: string[];
  mac?: string;
  name: string;
};

export type PolicyDto = {
  created_at: string;
  id: PolicyId;
  name: string;
  scope: string;
  scope_id: string | null;
  settings: PolicySettings;
  updated_at: string;
};

/** A settings policy (`policies.id`). */
export type PolicyId = string;

/** The settings a policy carries (absent: not set by this policy). */
export type PolicySettings = {
  /** 1-3600. */
  heartbeat_interval_secs?: number | null;
  /** 10-3600. */
  metrics_interval_secs?: number | null;
};

/** Recovery codes, shown this once: each signs in once without the phone. */
export type RecoveryCodes = {
  recovery_codes: string[];
};

export type RegisterRequest = {
  display_name?: string;
  email: string;
  password: string;
};

export type ReleaseDto = {
  active: boolean;
  arch: string;
  created_at: string;
  download_url: string;
  id: string;
  os_type: string;
  sha256: string;
  signature: string;
  version: string;
};

export type ReleaseRequest = {
  /** x86_64, aarch64, ... */
  arch: string;
  download_url: string;
  /** windows, linux, macos. */
  os_type: string;
  /** Hex SHA-256 of the binary. */
  sha256: string;
  /** Base64 ed25519 signature over the binary's SHA-256 digest. */
  signature: string;
  version: string;
};

/**
 * A remote-control session's row in GuruRMM, not GuruConnect's session id
 * (`remote_control_sessions.id`).
 */
export type RemoteControlId = string;

/**
 * How a remote-control session is joined (CONTRACT.md): with the machine's own key, or
 * with a support code the end user accepts first.
 */
export type RemoteControlMode = "unattended" | "attended";

export type RemoteControlSessionDto = {
  agent_id: AgentId;
  command_id: null | CommandId;
  /** GuruConnect's side, read live (single-session reads of a started session only). */
  connect?: ConnectSideDto;
  connect_session_id: ConnectSessionId;
  end_reason: string | null;
  ended_at: string | null;
  id: RemoteControlId;
  /** Why the launch failed, as the agent reported it (e.g. a refused signature). */
  launch_error: string | null;
  /** The launch command's state on the agent. */
  launch_status: string | null;
  mode: RemoteControlMode;
  started_at: string;
  status: RemoteControlState;
  technician_email: string;
  technician_id: UserId;
};

/** A `remote_control_sessions` row's state. */
export type RemoteControlState = "started" | "ended" | "failed";

/** What the dashboard needs to offer the button. */
export type RemoteControlStatus = {
  /**
   * Remote control can be started now (configured, GuruConnect answered, same contract
   * major, sessions offered).
   */
  available: boolean;
  /**
   * The CA certificate (PEM) GuruConnect's relay certificate chains to, when it is a
   * private CA: the enrolment instructions install it for the GuruConnect agent.
   */
  ca_pem: string | null;
  capabilities: null | Capabilities;
  /** The integration is configured on this server. */
  configured: boolean;
  /** The contract version GuruConnect serves. */
  contract_version: string | null;
  /** What a technician may choose. */
  modes: RemoteControlMode[];
  /** Why not, when `available` is false. */
  reason: string | null;
  /**
   * GuruConnect's release public key for the enrolment instructions (agents pin it as
   * `[remote_control] release_public_key`), when this server is configured with it.
   */
  release_public_key: string | null;
  /** The version this server was built for (it accepts any minor of that major). */
  supported_contract: string;
  /**
   * GuruConnect's browser-facing origin: the only origin the viewer frame's messages may
   * come from.
   */
  viewer_origin: string | null;
};

/**
 * What an account may do: a technician works on machines, an admin also manages
 * accounts, keys and settings.
 */
export type Role = "admin" | "technician";

export type RotatedKey = {
  agent_id: AgentId;
  /** The agent's new `grmm_` key, shown only now; only its SHA-256 is stored. */
  api_key: string;
  /**
   * True only when the key was written to the agent's open socket (the socket's writer
   * confirmed it within 2 s): the agent stores it and reconnects with it by itself. False
   * when the agent was offline, polls in legacy mode, runs an agent older than protocol 2,
   * or its socket failed or stalled before the key was written (that socket is then
   * closed): put the key in the machine's `agent.key` yourself.
   */
  sent_to_agent: boolean;
};

/** An authenticator to add to the app: scan the QR code or type the secret. */
export type SecondFactorSetup = {
  otpauth_uri: string;
  /** The QR code of `otpauth_uri`, an SVG `data:` URL. */
  qr_data_url: string;
  /** Base32, for typing in. */
  secret: string;
};

/** The signed-in person's second factor. */
export type SecondFactorStatus = {
  /** An authenticator is set up: sign-ins ask for its code. */
  enabled: boolean;
  /** Recovery codes not used yet (0 while off). */
  recovery_codes_left: number;
  /** This person's role must use a second factor (`second_factor_roles`). */
  required: boolean;
};

export type SendCommandRequest = {
  command: string;
  /** shell, powershell, python, script or claude_task. */
  command_type: string;
  elevated?: boolean;
  /** Seconds; defaults to the server's `command_default_timeout_secs`. */
  timeout_seconds?: number | null;
};

export type SiteCode = {
  /** Registration tokens of the site revoked by this call (`revoke_registration_tokens`). */
  registration_tokens_revoked: number;
  site_code: string;
};

export type SiteDto = {
  agent_count: number;
  client_id: ClientId;
  created_at: string;
  id: SiteId;
  name: string;
  notes: string;
  updated_at: string;
};

/** One of a customer's locations, which agents enrol into (`sites.id`). */
export type SiteId = string;

/** A site with its code. The code is shown only in this response: store it in the installer. */
export type SiteWithCode = SiteDto & {
  site_code: string;
};

/** What the login page sends to finish a single sign-on: nothing, or the second factor. */
export type SsoFinishRequest = {
  /**
   * The authenticator's code or a recovery code, when the answer was
   * `second_factor_required`.
   */
  code?: string | null;
  remember_device?: boolean;
};

/** Whether the login page offers single sign-on, and what its button says. */
export type SsoOptions = {
  enabled: boolean;
  /** The provider's name for the button, e.g. `Microsoft`. */
  name: string | null;
};

export type StartRequest = {
  /** Read as text so that a wrong word gets the handler's own message. */
  mode: RemoteControlMode;
  /** Shown to the end user in the consent prompt (attended). Optional. */
  reason?: string | null;
};

export type StartResponse = {
  capabilities: Capabilities;
  /** The `remote_control_launch` command sent to the RMM agent. */
  command_id: CommandId;
  mode: RemoteControlMode;
  /** The audit row (`GET /api/agents/{id}/remote-control/sessions`). */
  remote_control_id: RemoteControlId;
  /** GuruConnect's session id. */
  session_id: ConnectSessionId;
  /**
   * `<gc>/viewer?embed=1&parent=<rmm origin>#session=<id>&token=<token>`: put it in an
   * iframe. The token opens this session only and expires in minutes.
   */
  viewer_embed_url: string;
  /** `guruconnect://session?server=…&session=…&token=…`: the native viewer, as a fallback. */
  viewer_native_url: string;
  /** GuruConnect's origin, for checking the frame's messages. */
  viewer_origin: string;
};

export type Stored = {
  stored: boolean;
};

/** The names of the stream's events. */
export type StreamEventName = "ready" | "command" | "resync";

export type TokenDto = {
  created_at: string;
  description: string;
  expires_at: string | null;
  id: TokenId;
  max_uses: number | null;
  revoked_at: string | null;
  site_id: SiteId;
  uses: number;
};

/** A registration token's row, never the token itself (`registration_tokens.id`). */
export type TokenId = string;

export type UpdatePolicyRequest = {
  name: string;
  settings: PolicySettings;
};

export type UpdateSiteRequest = {
  name: string;
  notes?: string;
};

/** The upstream service's side of an error, kept so its log line can be found. */
export type UpstreamError = {
  correlation_id: string | null;
  error_code: string;
  service: string;
  status_code: number;
};

export type UserDto = {
  created_at: string;
  /** A disabled account cannot sign in, and none of its tokens work. */
  disabled: boolean;
  display_name: string;
  email: string;
  id: UserId;
  last_login_at: string | null;
  role: Role;
  /** Two-factor sign-in is on: signing in takes an authenticator code. */
  second_factor: boolean;
};

/** A technician's or admin's account (`users.id`). */
export type UserId = string;

export type Version = {
  /** The server's package name. */
  name: string;
  /**
   * The wire protocol version this server speaks; its agents (and GuruConnect's viewers)
   * must speak it too.
   */
  protocol_version: number;
  version: string;
};

export type ViewerLink = {
  /**
   * `<gc>/viewer#session=<id>&token=<token>`: GuruConnect's own viewer page, for a tab of
   * its own. The token is fresh, opens this session only and expires in minutes.
   */
  viewer_url: string;
};

export type WatchdogEventDto = {
  event: string;
  id: string;
  message: string;
  occurred_at: string;
  recorded_at: string;
  service: string;
};
