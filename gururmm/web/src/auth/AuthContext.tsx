// Session state for the whole app: who is signed in, sign-in, sign-out, and the refresh timer.
// The API client reads the token from here, and a 401 from any call signs out with a reason the
// login page shows. Each refresh exchanges the sign-in's current token, and the server ends the
// sign-in when a token is exchanged twice, so tabs refresh one at a time (a Web Lock) and a tab
// takes the token another tab already got instead of exchanging its own again. Signing out
// ends the sign-in on the server too.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import type { ReactNode } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api, configureClient } from '../api/client';
import type { LoginResponse, User } from '../api/types';
import {
  SESSION_STORAGE_KEY,
  clearSession,
  loadSession,
  refreshDelay,
  saveSession,
  sessionFrom,
  type Session,
} from './session';

interface AuthValue {
  user: User | null;
  /** Why the last session ended, for the login page ("expired"), or null. */
  endedReason: string | null;
  /** `code`: the authenticator's code or a recovery code, once the server asked for one;
   * `remember`: skip the code in this browser for 30 days after a good one. */
  signIn: (email: string, password: string, code?: string, remember?: boolean) => Promise<void>;
  /** Ends a single sign-on the identity provider sent this browser back from (its ticket is an
   * `HttpOnly` cookie); `code` and `remember` as for `signIn`, once the server asked. */
  finishSso: (code?: string, remember?: boolean) => Promise<void>;
  signOut: (reason?: string) => void;
}

const AuthContext = createContext<AuthValue | null>(null);

/** setTimeout's largest delay; beyond it browsers fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

export function AuthProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  const [session, setSession] = useState<Session | null>(() => loadSession(Date.now()));
  const [endedReason, setEndedReason] = useState<string | null>(null);
  const sessionRef = useRef(session);
  sessionRef.current = session;

  const signOut = useCallback(
    (reason?: string) => {
      // Asked for (no reason): the server ends the sign-in, so a copy of the token is useless.
      const token = sessionRef.current?.token;
      if (reason === undefined && token) endSignIn(token);
      clearSession();
      setSession(null);
      setEndedReason(reason ?? null);
      queryClient.clear();
    },
    [queryClient],
  );

  const signOutRef = useRef(signOut);
  signOutRef.current = signOut;
  // Wired during the first render, not in an effect: effects run children first, so the
  // pages' first queries after a reload would otherwise go out without the token.
  // The stored session is read for every request, not this tab's copy: another tab may have
  // refreshed it, and the server ends a sign-in whose replaced token comes back later than a
  // minute (a tab woken from sleep could otherwise send one before it hears of the refresh).
  useState(() =>
    configureClient(
      () => loadSession(Date.now())?.token ?? sessionRef.current?.token ?? null,
      () => signOutRef.current('Your session has expired or was revoked. Please sign in again.'),
    ),
  );

  const adopt = useCallback((response: LoginResponse) => {
    const next = sessionFrom(response, Date.now());
    saveSession(next);
    setSession(next);
    setEndedReason(null);
  }, []);

  const signIn = useCallback(
    async (email: string, password: string, code?: string, remember = false) => {
      const secondFactor = code === undefined ? {} : { code, remember_device: remember };
      const response = await api<LoginResponse>('/api/auth/login', {
        method: 'POST',
        body: { email, password, ...secondFactor },
        anonymous: true,
      });
      adopt(response);
    },
    [adopt],
  );

  const finishSso = useCallback(
    async (code?: string, remember = false) => {
      const secondFactor = code === undefined ? {} : { code, remember_device: remember };
      const response = await api<LoginResponse>('/api/auth/sso/finish', {
        method: 'POST',
        body: secondFactor,
        anonymous: true,
      });
      adopt(response);
    },
    [adopt],
  );

  // Refresh at half-life; a failed refresh leaves the current token until it expires.
  useEffect(() => {
    if (!session) return;
    const timer = window.setTimeout(() => {
      void oneTabAtATime(async () => {
        const stored = loadSession(Date.now());
        if (stored && stored.token !== session.token && stored.issuedAt >= session.issuedAt) {
          setSession(stored); // another tab refreshed first
          return;
        }
        await api<LoginResponse>('/api/auth/refresh', { method: 'POST' }).then(adopt);
      }).catch(() => {});
    }, Math.min(MAX_TIMER_MS, refreshDelay(session, Date.now())));
    const expiry = window.setTimeout(
      () => signOut('Your session has expired. Please sign in again.'),
      Math.min(MAX_TIMER_MS, Math.max(0, session.expiresAt - Date.now())),
    );
    return () => {
      window.clearTimeout(timer);
      window.clearTimeout(expiry);
    };
  }, [session, adopt, signOut]);

  // Another tab signed in or out: follow it.
  useEffect(() => {
    const onStorage = (event: StorageEvent) => {
      if (event.key === SESSION_STORAGE_KEY) setSession(loadSession(Date.now()));
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const value = useMemo<AuthValue>(
    () => ({ user: session?.user ?? null, endedReason, signIn, finishSso, signOut }),
    [session, endedReason, signIn, finishSso, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** Runs `work` holding the dashboard's refresh lock in every tab of this origin (where the
 * browser has Web Locks: secure contexts, which a deployment with TLS is). */
function oneTabAtATime(work: () => Promise<void>): Promise<void> {
  const locks = typeof navigator === 'undefined' ? undefined : navigator.locks;
  return locks ? locks.request('gururmm.refresh', work) : work();
}

/** Tells the server the sign-in is over; outside the API client, so a token that is already
 * dead does not sign the page out a second time with a different reason. */
function endSignIn(token: string): void {
  void fetch('/api/auth/logout', {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    keepalive: true,
  }).catch(() => {});
}

/** Whether the signed-in user is an admin: only admins are offered what only admins may do
 * (deleting agents, sites and clients, replacing a site code); the server refuses the rest. */
export function useIsAdmin(): boolean {
  return useAuth().user?.role === 'admin';
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}
