// The technician app's REST client: bearer access token in memory, the rotating refresh token
// in the server's HttpOnly cookie (shared by every tab, never readable here; auth-session.ts),
// one transparent renewal on 401, and errors that carry the server's `detail` and correlation
// id so a technician can quote them.
import { browserSignedIn, endedReason, oneTabAtATime, SIGNED_OUT_HERE_ELSEWHERE, TabChannel } from "./auth-session";
import type * as api from "./schema";

// The shapes the server returns come from its OpenAPI document (guruconnect/openapi.json,
// generated into schema.ts by `npm run gen:api`): a changed DTO is a type error here.
export type User = api.UserDto;
export type Machine = api.MachineDto;
/** One company among the machines a search matches, counted over the whole fleet. */
export type MachineGroup = api.MachineGroupDto;
export type Session = api.SessionDto;
export type SupportCode = api.SupportCodeDto;
export type AgentDownload = api.AgentDownload;
/** The relay URL agents are started with, and the latest published build per platform. */
export type AgentDownloads = api.AgentDownloads;
export type AuditEvent = api.AuditEventDto;
export type SecondFactorStatus = api.SecondFactorStatus;
export type SecondFactorSetup = api.SecondFactorSetup;

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

type TokenResponse = api.TokenResponse;

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

  /** `code`: the authenticator's code or a recovery code, once the server asked for one;
   * `rememberDevice`: skip the code in this browser for 30 days after a good one. */
  async login(username: string, password: string, code?: string, rememberDevice = false): Promise<void> {
    const body: api.LoginRequest = { username, password, remember_device: rememberDevice };
    if (code !== undefined) body.code = code;
    this.accept(await this.request<TokenResponse>("POST", "/api/auth/login", body, false));
    this.tabs.announce("signed-in");
  }

  /** Whether the server offers single sign-on, and the provider's name for the button. */
  ssoOptions(): Promise<api.SsoOptions> {
    return this.request("GET", "/api/auth/sso", undefined, false);
  }

  /** Ends a single sign-on the provider sent this browser back from (its ticket is an
   * `HttpOnly` cookie); `code` as for `login`, once the server asked for one. */
  async finishSso(code?: string, rememberDevice = false): Promise<void> {
    const body: api.SsoFinishRequest = { remember_device: rememberDevice };
    if (code !== undefined) body.code = code;
    this.accept(await this.request<TokenResponse>("POST", "/api/auth/sso/finish", body, false));
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
  machines(q: string, organization: string | null, page: number, perPage: number): Promise<api.Page_MachineDto> {
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
  sessions(): Promise<api.Page_SessionDto> {
    return this.request("GET", "/api/sessions?per_page=100");
  }
  /** Every session not yet ended that this technician may use (at most 200, newest first). */
  async liveSessions(): Promise<Session[]> {
    return (await this.request<api.Page_SessionDto>("GET", "/api/sessions?status=live&per_page=200")).items;
  }
  startSession(agentId: string): Promise<Session> {
    return this.request("POST", "/api/sessions", { agent_id: agentId });
  }
  endSession(id: string): Promise<void> {
    return this.request("POST", `/api/sessions/${encodeURIComponent(id)}/end`);
  }
  viewerToken(sessionId: string): Promise<api.ViewerTokenResponse> {
    return this.request("POST", `/api/sessions/${encodeURIComponent(sessionId)}/viewer-token`);
  }
  codes(): Promise<SupportCode[]> {
    return this.request("GET", "/api/codes");
  }
  createCode(note: string): Promise<api.CreatedCode> {
    return this.request("POST", "/api/codes", { note });
  }
  cancelCode(id: string): Promise<void> {
    return this.request("DELETE", `/api/codes/${encodeURIComponent(id)}`);
  }
  agentDownloads(): Promise<AgentDownloads> {
    return this.request("GET", "/api/agent-downloads");
  }
  /** Every account (admins only). */
  users(): Promise<User[]> {
    return this.request("GET", "/api/users");
  }
  /** Makes an account (admins only). */
  createUser(user: api.CreateUserRequest): Promise<User> {
    return this.request("POST", "/api/users", user);
  }
  /** Disables an account: its tokens stop working at once (admins only). */
  disableUser(id: string): Promise<void> {
    return this.request("DELETE", `/api/users/${encodeURIComponent(id)}`);
  }
  /** Removes someone's second factor, for a lost phone (admins only). */
  resetSecondFactor(id: string): Promise<void> {
    return this.request("POST", `/api/users/${encodeURIComponent(id)}/second-factor/reset`);
  }
  /** One page of the audit log (admins only), newest first; `eventType` "" for every type. */
  audit(eventType: string, page: number, perPage: number): Promise<api.AuditPage> {
    const query = new URLSearchParams({ page: String(page), per_page: String(perPage) });
    if (eventType) query.set("event_type", eventType);
    return this.request("GET", `/api/audit?${query}`);
  }

  /** The signed-in person's two-factor sign-in. */
  secondFactor(): Promise<SecondFactorStatus> {
    return this.request("GET", "/api/auth/second-factor");
  }
  setUpSecondFactor(): Promise<SecondFactorSetup> {
    return this.request("POST", "/api/auth/second-factor/setup", {});
  }
  /** Turns it on with the app's code; answers the recovery codes, shown once. */
  async confirmSecondFactor(code: string): Promise<string[]> {
    return (await this.request<api.RecoveryCodes>("POST", "/api/auth/second-factor/confirm", { code })).recovery_codes;
  }
  async newRecoveryCodes(code: string): Promise<string[]> {
    return (await this.request<api.RecoveryCodes>("POST", "/api/auth/second-factor/recovery-codes", { code })).recovery_codes;
  }
  turnOffSecondFactor(code: string): Promise<void> {
    return this.request("POST", "/api/auth/second-factor/off", { code });
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
