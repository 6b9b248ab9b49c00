// Generated from the GuruConnect API document by kit/api-types/openapi-types.mjs (npm run gen:api).
// Do not edit: change the server's types and regenerate.

export type AgentDownload = {
  /** Absolute URL of the public download. */
  download_url: string;
  /** The name the download is saved under (`guruconnect-agent`, `guruconnect-agent.exe`). */
  file_name: string;
  /** `linux-x86_64` or `windows-x86_64`. */
  platform: string;
  published_at: string;
  sha256: string;
  size: number;
  version: string;
};

/** What a technician hands the person at an attended machine. */
export type AgentDownloads = {
  /**
   * The value of `guruconnect-agent run --server`: this server's public URL as `ws://` or
   * `wss://`.
   */
  relay_url: string;
  /** The latest published build of each platform; a platform with none is left out. */
  releases: AgentDownload[];
};

/** A machine's agent, as the agent names itself (`machines.agent_id`, `sessions.agent_id`). */
export type AgentId = string;

export type AgentKeyDto = {
  agent_id: AgentId;
  created_at: string;
  created_by: string;
  id: KeyId;
  /** The key's first characters, to tell keys apart. Never the key. */
  key_prefix: string;
  label: string;
  last_used_at: string | null;
  revoked_at: string | null;
};

/** Why the relay turned away the agent a session is waiting for. */
export type AgentRefusal = {
  at: string;
  /** The cause in words, as GuruConnect's audit trail records it. */
  cause: string;
};

export type AgentRelease = {
  /** Absolute URL of the public download. */
  download_url: string;
  platform: string;
  /** Lower-case hex SHA-256 of the binary. */
  sha256: string;
  /** Standard base64 ed25519 signature over the 32 raw bytes of that digest. */
  signature: string;
  size: number;
  version: string;
};

export type AuditEventDto = {
  /** `user:<id>`, `agent:<id>`, `integration` or `system`. */
  actor: string;
  agent_id: null | AgentId;
  /** What else the event recorded (ids, names, reasons). */
  detail: Record<string, unknown>;
  /** e.g. `login`, `login_failed`, `user_created`, `agent_key_minted`, `session_started`. */
  event_type: string;
  id: string;
  /** The client address, when the event came from a request. */
  ip: string;
  occurred_at: string;
  session_id: null | SessionId;
};

export type AuditPage = {
  items: AuditEventDto[];
  page: number;
  per_page: number;
  total: number;
};

export type BulkDeleteRequest = {
  /** At most 500 machines per call. */
  agent_ids: AgentId[];
};

export type BulkDeleteResponse = {
  not_found: AgentId[];
  removed: AgentId[];
};

export type Capabilities = {
  /** Semver of this contract; a caller refuses a different major. */
  contract_version: string;
  features: Features;
};

/** A support code's row, never the code (`connect_support_codes.id`). */
export type CodeId = string;

/** A code from the authenticator app (six digits) or, where said, a recovery code. */
export type CodeRequest = {
  code: string;
};

/** Where a support code stands: redeemable once, until it expires or is cancelled. */
export type CodeStatus = "pending" | "used" | "cancelled" | "expired";

export type CreateCodeRequest = {
  note?: string;
  /** Shown to the end user in the consent prompt; defaults to the technician's name. */
  technician_name?: string | null;
};

export type CreateSessionRequest = {
  agent_id: AgentId;
  /** Read as text so that a wrong word gets the handler's own message. */
  mode: Mode;
  /** Shown to the end user in the consent prompt (attended). */
  reason?: string;
  /** Shown to the end user in the consent prompt (attended). */
  technician_name?: string;
};

export type CreateUserRequest = {
  display_name?: string;
  password: string;
  /** `admin` or `technician`. */
  role: string;
  username: string;
};

export type CreatedCode = SupportCodeDto & {
  /** The code to read to the end user. Shown this once. */
  code: string;
};

export type CreatedSession = SessionDto & ({
  /**
   * Attended only: the code the GuruConnect agent redeems to join this very session. Shown
   * this once.
   */
  support_code: string | null;
  /** Attended only: when the code stops working (ISO 8601). */
  support_code_expires_at: string | null;
});

/** Body of every error response. */
export type ErrorEnvelope = {
  /** Quote this to support: it finds the server log line. */
  correlation_id: string;
  /** What went wrong, for a person. */
  detail: string;
  /** Stable machine-readable code, e.g. `unauthorized`. */
  error_code: string;
  status_code: number;
};

export type EventRow = {
  actor_id: string;
  actor_type: string;
  agent_id: null | AgentId;
  /** Unix milliseconds. */
  created_at: number;
  /** JSON object. */
  detail: string;
  event_type: string;
  id: string;
  ip: string;
  session_id: null | SessionId;
};

/** Each flag reflects this server's configuration right now. */
export type Features = {
  /** Attended sessions ask the end user to accept before anything streams. */
  consent_prompt: boolean;
  /**
   * `/viewer?embed=1` can be framed: embedding origins are configured and the web front end
   * is served.
   */
  embedded_viewer: boolean;
  /** `POST /api/integration/v1/agents/{agent_id}/keys` works (the integration key is set). */
  per_machine_keys: boolean;
  /** Sessions and viewer tokens can be created through this contract. */
  programmatic_sessions: boolean;
};

export type Health = {
  /** `ok` when the database answers. */
  status: string;
};

export type IntegrationCodeRequest = {
  note?: string;
  /** Shown to the end user in the consent prompt. */
  technician_name: string;
};

export type IntegrationViewerTokenRequest = {
  /** The caller's own id for that person (e.g. the GuruRMM user id), for the audit trail. */
  technician_id?: string;
  /** Who will watch, for the audit trail and the other viewers' list. */
  technician_name?: string;
};

/** A per-machine agent key's row, never the key (`connect_agent_keys.id`). */
export type KeyId = string;

export type KeyRequest = {
  label?: string;
};

export type LoginRequest = {
  /**
   * The authenticator app's current code, or a recovery code, when the account has
   * two-factor sign-in (a first try without it answers `second_factor_required`).
   */
  code?: string | null;
  password: string;
  /**
   * After a good code, remember this browser for 30 days (an `HttpOnly` cookie sent only
   * to this route) so it is not asked for a code again.
   */
  remember_device?: boolean;
  username: string;
};

export type MachineDto = {
  agent_id: AgentId;
  agent_version: string;
  cpu_cores: number;
  cpu_model: string;
  department: string;
  device_type: string;
  external_ip: string;
  first_seen_at: string;
  hostname: string;
  idle_seconds: number;
  inventory_updated_at: string | null;
  is_persistent: boolean;
  last_seen_at: string;
  logged_on_user: string;
  mac_addresses: string[];
  manufacturer: string;
  model: string;
  online: boolean;
  organization: string;
  os_arch: string;
  os_name: string;
  os_version: string;
  private_ips: string[];
  ram_bytes: number;
  serial_number: string;
  session_id: null | SessionId;
  site: string;
  tags: string[];
  time_zone: string;
  uptime_seconds: number;
  user_is_local_admin: boolean;
  /** Viewers connected to that session right now. */
  viewers: number;
};

/** One company among the machines a search matches. */
export type MachineGroupDto = {
  online: number;
  /** The company label (`organization`); empty for machines without one. */
  organization: string;
  total: number;
};

export type MintKeyRequest = {
  /** The machine the key will authenticate (for GuruRMM-managed machines, its device_id). */
  agent_id: AgentId;
  label?: string;
};

export type MintedKey = AgentKeyDto & {
  /** The key itself. Shown this once; only its hash is stored. */
  key: string;
};

/** How a session is joined: a machine's own key, or a support code the end user accepts. */
export type Mode = "unattended" | "attended";

/** One page of a list. */
export type Page_MachineDto = {
  items: ({
    agent_id: AgentId;
    agent_version: string;
    cpu_cores: number;
    cpu_model: string;
    department: string;
    device_type: string;
    external_ip: string;
    first_seen_at: string;
    hostname: string;
    idle_seconds: number;
    inventory_updated_at: string | null;
    is_persistent: boolean;
    last_seen_at: string;
    logged_on_user: string;
    mac_addresses: string[];
    manufacturer: string;
    model: string;
    online: boolean;
    organization: string;
    os_arch: string;
    os_name: string;
    os_version: string;
    private_ips: string[];
    ram_bytes: number;
    serial_number: string;
    session_id: null | SessionId;
    site: string;
    tags: string[];
    time_zone: string;
    uptime_seconds: number;
    user_is_local_admin: boolean;
    /** Viewers connected to that session right now. */
    viewers: number;
  })[];
  page: number;
  per_page: number;
  total: number;
};

/** One page of a list. */
export type Page_SessionDto = {
  items: ({
    agent_id: AgentId;
    agent_online: boolean;
    /**
     * Single-session reads only, while the session waits for its agent: the relay's last
     * refusal of an agent that had this session's agent id and a valid key but could not be
     * admitted (e.g. `machine identity does not match this agent`: the id is bound to other
     * hardware). Absent otherwise.
     */
    agent_refused?: AgentRefusal;
    bytes_from_agent: number;
    bytes_to_agent: number;
    created_at: string;
    created_by: string | null;
    end_reason: string | null;
    ended_at: string | null;
    id: SessionId;
    is_managed: boolean;
    mode: Mode;
    /** `agent`, `technician`, `support_code` or `gururmm`. */
    source: string;
    started_at: string | null;
    status: SessionStatus;
    viewers: number;
  })[];
  page: number;
  per_page: number;
  total: number;
};

/** Recovery codes, shown this once: each signs in once without the phone. */
export type RecoveryCodes = {
  recovery_codes: string[];
};

/** An empty JSON object: the credential is the `gc_refresh` cookie, nothing in the body. */
export type RefreshRequest = Record<string, never>;

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

export type SessionDto = {
  agent_id: AgentId;
  agent_online: boolean;
  /**
   * Single-session reads only, while the session waits for its agent: the relay's last
   * refusal of an agent that had this session's agent id and a valid key but could not be
   * admitted (e.g. `machine identity does not match this agent`: the id is bound to other
   * hardware). Absent otherwise.
   */
  agent_refused?: AgentRefusal;
  bytes_from_agent: number;
  bytes_to_agent: number;
  created_at: string;
  created_by: string | null;
  end_reason: string | null;
  ended_at: string | null;
  id: SessionId;
  is_managed: boolean;
  mode: Mode;
  /** `agent`, `technician`, `support_code` or `gururmm`. */
  source: string;
  started_at: string | null;
  status: SessionStatus;
  viewers: number;
};

/** A session (`sessions.id`). */
export type SessionId = string;

/** Where a session stands. */
export type SessionStatus = "waiting" | "active" | "agent_offline" | "ended";

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

export type StartSessionRequest = {
  agent_id: AgentId;
};

export type SupportCodeDto = {
  /** Last two digits only; the full code is shown once, at creation. */
  code_hint: string;
  created_at: string;
  created_by: string;
  expires_at: string;
  id: CodeId;
  note: string;
  session_id: null | SessionId;
  status: CodeStatus;
  technician_name: string;
  used_at: string | null;
};

/**
 * A sign-in. The refresh token is not in the body: it comes as the `gc_refresh` cookie
 * (`HttpOnly`, `SameSite=Strict`, `Path=/api/auth/refresh`) and rotates on every refresh.
 */
export type TokenResponse = {
  access_token: string;
  /** Seconds until the access token expires. */
  expires_in: number;
  /** Always `Bearer`. */
  token_type: string;
  user: UserDto;
};

export type UserDto = {
  created_at: string;
  disabled: boolean;
  display_name: string;
  id: UserId;
  last_login_at: string | null;
  /** `admin` or `technician`. */
  role: string;
  /** Two-factor sign-in is on: signing in takes an authenticator code. */
  second_factor: boolean;
  username: string;
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

export type ViewerTokenResponse = {
  /** Unix seconds. */
  expires_at: number;
  session_id: SessionId;
  /** Present it as the `SessionRequest.viewer_token` on `/ws/viewer`. Opens this session only. */
  token: string;
  /** Path of the viewer WebSocket on this server. */
  ws_path: string;
};
