// The technician app's REST client: bearer access token in memory, the rotating refresh token
// in the server's HttpOnly cookie (shared by every tab, never readable here; auth-session.ts),
// one transparent renewal on 401, and errors that carry the server's `detail` and correlation
// id so a technician can quote them.
import { browserSignedIn, endedReason, oneTabAtATime, SIGNED_OUT_HERE_ELSEWHERE, TabChannel } from "./auth-session";

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
    /** The server's stable `error_code`, when it sent one. */
    readonly code = "",
  ) {
    super(detail);
  }

  /** What the page shows: the server's words plus the id to find the log line. */
  describe(): string {
    return this.correlationId ? `${this.detail} (correlation id ${this.correlationId})` : this.detail;
  }
}

interface TokenResponse {
  access_token: string;
  user: User;
}

/** What a renewal came to: a new access token, the server's reason for refusing, or no answer. */
type Renewal = { ok: true } | { ok: false; code: string } | { ok: false; unreachable: true };

export class Api {
  private access: string | null = null;
  user: User | null = null;
  /** The sign-in ended while this tab used it; `reason` says why, for the login page. */
  onSignedOut: (reason: string) => void = () => {};
  /** Another tab signed in while this one shows the login page. */
  onSignedInElsewhere: () => void = () => {};
  /** The server answered a request (whatever it said). */
  onAnswered: () => void = () => {};
  private readonly tabs = new TabChannel((what) => {
    if (what === "signed-out" && this.signedIn) {
      this.forget();
      this.onSignedOut(SIGNED_OUT_HERE_ELSEWHERE);
    } else if (what === "signed-in" && !this.signedIn) {
      this.onSignedInElsewhere();
    }
  });

  get signedIn(): boolean {
    return this.access !== null;
  }

  async login(username: string, password: string): Promise<void> {
    this.accept(await this.request<TokenResponse>("POST", "/api/auth/login", { username, password }, false));
    this.tabs.announce("signed-in");
  }

  /** Picks up this browser's sign-in (the refresh cookie), when there is one. Quiet when not. */
  async resume(): Promise<boolean> {
    return browserSignedIn() && (await this.renew()).ok && (await this.me());
  }

  async logout(): Promise<void> {
    try {
      await this.request("POST", "/api/auth/logout");
    } finally {
      this.forget();
      this.tabs.announce("signed-out");
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
  }

  private forget(): void {
    this.access = null;
    this.user = null;
  }

  /** A new access token from the refresh cookie (which the server rotates). */
  private renew(): Promise<Renewal> {
    return oneTabAtATime(async () => {
      let response: Response;
      try {
        response = await fetch("/api/auth/refresh", {
          method: "POST",
          headers: { accept: "application/json", "content-type": "application/json" },
          body: "{}",
        });
      } catch {
        return { ok: false, unreachable: true };
      }
      if (!response.ok) return { ok: false, code: (await errorOf(response)).code };
      this.accept(await response.json());
      return { ok: true };
    });
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
    this.onAnswered();
    if (response.status === 401 && retry && this.access) {
      const renewal = await this.renew();
      if (renewal.ok) return this.request(method, path, body, false);
      if ("code" in renewal) {
        this.forget();
        this.onSignedOut(endedReason(renewal.code));
      }
    }
    if (!response.ok) throw await errorOf(response);
    return (response.status === 204 ? undefined : await response.json()) as T;
  }
}

async function errorOf(response: Response): Promise<ApiError> {
  const fallback = response.headers.get("x-request-id") ?? "";
  try {
    const body = await response.json();
    return new ApiError(response.status, String(body.detail ?? response.statusText), String(body.correlation_id ?? fallback), String(body.error_code ?? ""));
  } catch {
    return new ApiError(response.status, `${response.status} ${response.statusText}`, fallback);
  }
}
