// The signed-in session as stored in the browser: the access token, its expiry and the user.
// It lives in localStorage so a reload or a second tab stays signed in; it is dropped when it
// expires, on a 401, or on sign-out (in every tab, through the storage event). The token is
// refreshed once half its lifetime has passed, so a dashboard left open keeps working without
// keeping the password anywhere.
import type { LoginResponse, User } from '../api/types';

const KEY = 'gururmm.session';

export interface Session {
  token: string;
  /** Unix milliseconds. */
  expiresAt: number;
  /** Unix milliseconds when this token was issued. */
  issuedAt: number;
  user: User;
}

export function sessionFrom(response: LoginResponse, now: number): Session {
  return {
    token: response.token,
    issuedAt: now,
    expiresAt: now + response.expires_in * 1000,
    user: response.user,
  };
}

function isSession(value: unknown): value is Session {
  const s = value as Session;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.token === 'string' &&
    typeof s.expiresAt === 'number' &&
    typeof s.issuedAt === 'number' &&
    typeof s.user === 'object' &&
    s.user !== null
  );
}

/** The stored session if it is well-formed and not expired. */
export function loadSession(now: number, storage: Storage = localStorage): Session | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(storage.getItem(KEY) ?? 'null');
  } catch {
    parsed = null;
  }
  if (!isSession(parsed) || parsed.expiresAt <= now) {
    storage.removeItem(KEY);
    return null;
  }
  return parsed;
}

export function saveSession(session: Session, storage: Storage = localStorage): void {
  storage.setItem(KEY, JSON.stringify(session));
}

export function clearSession(storage: Storage = localStorage): void {
  storage.removeItem(KEY);
}

export const SESSION_STORAGE_KEY = KEY;

/** Milliseconds until the session should be refreshed: half its lifetime, at least 0. */
export function refreshDelay(session: Session, now: number): number {
  const half = session.issuedAt + (session.expiresAt - session.issuedAt) / 2;
  return Math.max(0, half - now);
}
