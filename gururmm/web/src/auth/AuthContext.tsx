// Session state for the whole app: who is signed in, sign-in, sign-out, and the refresh timer.
// The API client reads the token from here, and a 401 from any call signs out with a reason the
// login page shows.
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
  signIn: (email: string, password: string) => Promise<void>;
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
  useState(() =>
    configureClient(
      () => sessionRef.current?.token ?? null,
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
    async (email: string, password: string) => {
      const response = await api<LoginResponse>('/api/auth/login', {
        method: 'POST',
        body: { email, password },
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
      api<LoginResponse>('/api/auth/refresh', { method: 'POST' })
        .then(adopt)
        .catch(() => {});
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
    () => ({ user: session?.user ?? null, endedReason, signIn, signOut }),
    [session, endedReason, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth outside AuthProvider');
  return value;
}
