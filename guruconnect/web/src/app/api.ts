// The technician app's REST client: bearer access token in memory, the rotating refresh token
// in sessionStorage (this tab only), one transparent refresh on 401, and errors that carry the
// server's `detail` and correlation id so a technician can quote them.

export interface User {
  id: string;
  username: string;
  display_name: string;
  role: string;
}

export interface Machine {
  agent_id: string;
  hostname: string;
  online: boolean;
  is_persistent: boolean;
  os_name: string;
  os_version: string;
  logged_on_user: string;
  private_ips: string[];
  organization: string;
  site: string;
  last_seen_at: string;
  session_id: string | null;
  viewers: number;
  agent_version: string;
}

/** One company among the machines a search matches, counted over the whole fleet. */
export interface MachineGroup {
  organization: string;
  total: number;
  online: number;
}

export interface Session {
  id: string;
  agent_id: string;
  mode: string;
  source: string;
  status: string;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  end_reason: string | null;
}

export interface SupportCode {
  id: string;
  code_hint: string;
  technician_name: string;
  note: string;
  status: string;
  created_at: string;
  expires_at: string;
  session_id: string | null;
}

export interface AgentDownload {
  platform: string;
  version: string;
  file_name: string;
  download_url: string;
  size: number;
  sha256: string;
  published_at: string;
}

/** The relay URL agents are started with, and the latest published build per platform. */
export interface AgentDownloads {
  relay_url: string;
  releases: AgentDownload[];
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  per_page: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly correlationId: string,
  ) {
    super(detail);
  }

  /** What the page shows: the server's words plus the id to find the log line. */
  describe(): string {
    return this.correlationId ? `${this.detail} (correlation id ${this.correlationId})` : this.detail;
  }
}

const REFRESH_KEY = "guruconnect.refresh";

interface TokenResponse {
  access_token: string;
  refresh_token: string;
  user: User;
}

export class Api {
  private access: string | null = null;
  user: User | null = null;
  onSignedOut: () => void = () => {};

  get signedIn(): boolean {
    return this.access !== null;
  }

  async login(username: string, password: string): Promise<void> {
    this.accept(await this.request<TokenResponse>("POST", "/api/auth/login", { username, password }, false));
  }

  /** Restores a session from this tab's refresh token, when there is one. */
  async resume(): Promise<boolean> {
    return (await this.refresh()) && (await this.me());
  }

  async logout(): Promise<void> {
    try {
      await this.request("POST", "/api/auth/logout");
    } finally {
      this.forget();
    }
  }

  /** One page of the machines matching `q`, of one company when `organization` is not null. */
  machines(q: string, organization: string | null, page: number, perPage: number): Promise<Page<Machine>> {
    const query = new URLSearchParams({ page: String(page), per_page: String(perPage) });
    if (q.trim()) query.set("q", q.trim());
    if (organization !== null) query.set("organization", organization);
    return this.request("GET", `/api/machines?${query}`);
  }
  machineGroups(q: string): Promise<MachineGroup[]> {
    const query = new URLSearchParams();
    if (q.trim()) query.set("q", q.trim());
    return this.request("GET", `/api/machine-groups?${query}`);
  }
  sessions(): Promise<Page<Session>> {
    return this.request("GET", "/api/sessions?per_page=100");
  }
  /** Every session not yet ended that this technician may use (at most 200, newest first). */
  async liveSessions(): Promise<Session[]> {
    return (await this.request<Page<Session>>("GET", "/api/sessions?status=live&per_page=200")).items;
  }
  startSession(agentId: string): Promise<Session> {
    return this.request("POST", "/api/sessions", { agent_id: agentId });
  }
  endSession(id: string): Promise<void> {
    return this.request("POST", `/api/sessions/${encodeURIComponent(id)}/end`);
  }
  viewerToken(sessionId: string): Promise<{ token: string; session_id: string }> {
    return this.request("POST", `/api/sessions/${encodeURIComponent(sessionId)}/viewer-token`);
  }
  codes(): Promise<SupportCode[]> {
    return this.request("GET", "/api/codes");
  }
  createCode(note: string): Promise<SupportCode & { code: string }> {
    return this.request("POST", "/api/codes", { note });
  }
  cancelCode(id: string): Promise<void> {
    return this.request("DELETE", `/api/codes/${encodeURIComponent(id)}`);
  }
  agentDownloads(): Promise<AgentDownloads> {
    return this.request("GET", "/api/agent-downloads");
  }

  private async me(): Promise<boolean> {
    try {
      this.user = await this.request<User>("GET", "/api/auth/me");
      return true;
    } catch {
      return false;
    }
  }

  private accept(tokens: TokenResponse): void {
    this.access = tokens.access_token;
    this.user = tokens.user;
    sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
  }

  private forget(): void {
    this.access = null;
    this.user = null;
    sessionStorage.removeItem(REFRESH_KEY);
  }

  private async refresh(): Promise<boolean> {
    const refresh_token = sessionStorage.getItem(REFRESH_KEY);
    if (!refresh_token) return false;
    try {
      this.accept(await this.request<TokenResponse>("POST", "/api/auth/refresh", { refresh_token }, false));
      return true;
    } catch {
      this.forget();
      return false;
    }
  }

  private async request<T>(method: string, path: string, body?: unknown, retry = true): Promise<T> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (body !== undefined) headers["content-type"] = "application/json";
    if (this.access) headers.authorization = `Bearer ${this.access}`;
    let response: Response;
    try {
      response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch {
      throw new ApiError(0, "the server cannot be reached", "");
    }
    if (response.status === 401 && retry && this.access) {
      if (await this.refresh()) return this.request(method, path, body, false);
      this.forget();
      this.onSignedOut();
    }
    if (!response.ok) throw await errorOf(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const fallback = response.headers.get("x-request-id") ?? "";
  try {
    const body = await response.json();
    return new ApiError(response.status, String(body.detail ?? response.statusText), String(body.correlation_id ?? fallback));
  } catch {
    return new ApiError(response.status, `${response.status} ${response.statusText}`, fallback);
  }
}
