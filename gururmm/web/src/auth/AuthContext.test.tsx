// The session provider: a stored session is refreshed once past half its life, and a session
// whose refresh fails ends at its expiry with a reason the login page can show.
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { stubFetch } from '../test/render';
import { api } from '../api/client';
import { AuthProvider, useAuth } from './AuthContext';
import { SESSION_STORAGE_KEY, saveSession } from './session';

afterEach(() => vi.unstubAllGlobals());

const user = { id: 'u', email: 'tech@example.com', display_name: '', role: 'technician' as const, disabled: false, created_at: '', last_login_at: null, second_factor: false };

function Who() {
  const { user: who, endedReason, signOut } = useAuth();
  return (
    <>
      <p>{who ? `signed in as ${who.email}` : `signed out: ${endedReason}`}</p>
      <button type="button" onClick={() => signOut()}>
        Sign out
      </button>
    </>
  );
}

function renderProvider() {
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthProvider>
        <Who />
      </AuthProvider>
    </QueryClientProvider>,
  );
}

describe('AuthProvider', () => {
  it('refreshes a session past its half-life with the current token', async () => {
    const now = Date.now();
    saveSession({ token: 'old', issuedAt: now - 60_000, expiresAt: now + 30_000, user });
    const calls = stubFetch({
      'POST /api/auth/refresh': () => ({ body: { token: 'new', token_type: 'Bearer', expires_in: 3600, user } }),
    });
    renderProvider();
    expect(screen.getByText('signed in as tech@example.com')).toBeInTheDocument();
    await waitFor(() => expect(JSON.parse(localStorage.getItem(SESSION_STORAGE_KEY) ?? '{}').token).toBe('new'));
    expect(calls[0]).toMatchObject({ method: 'POST', path: '/api/auth/refresh', auth: 'Bearer old' });
  });

  it('waits for the half-life before refreshing', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const now = Date.now();
      saveSession({ token: 'young', issuedAt: now, expiresAt: now + 3_600_000, user });
      const calls = stubFetch({});
      renderProvider();
      vi.advanceTimersByTime(1_799_000);
      expect(calls).toHaveLength(0);
      vi.advanceTimersByTime(2_000);
      expect(calls).toMatchObject([{ path: '/api/auth/refresh', auth: 'Bearer young' }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('takes the token another tab already got instead of exchanging its own again', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const now = Date.now();
      saveSession({ token: 'shared', issuedAt: now - 60_000, expiresAt: now + 30_000, user });
      const calls = stubFetch({});
      renderProvider();
      // Another tab refreshed first and stored its result (no storage event reaches the tab
      // that wrote it, so this one learns of it only when it looks).
      saveSession({ token: 'from-the-other-tab', issuedAt: now, expiresAt: now + 3_600_000, user });
      act(() => {
        vi.advanceTimersByTime(10);
      });
      expect(calls).toHaveLength(0);
      expect(JSON.parse(localStorage.getItem(SESSION_STORAGE_KEY) ?? '{}').token).toBe('from-the-other-tab');
      expect(screen.getByText('signed in as tech@example.com')).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
  });

  it('sends the token another tab stored, even before this tab hears of it', async () => {
    const now = Date.now();
    saveSession({ token: 'this-tab', issuedAt: now, expiresAt: now + 3_600_000, user });
    const calls = stubFetch({ 'GET /api/agents/stats': () => ({ body: {} }) });
    renderProvider();
    saveSession({ token: 'refreshed-elsewhere', issuedAt: now + 1, expiresAt: now + 3_600_000, user });
    await api('/api/agents/stats');
    expect(calls.at(-1)).toMatchObject({ path: '/api/agents/stats', auth: 'Bearer refreshed-elsewhere' });
  });

  it('signing out ends the sign-in on the server, with the token it had', async () => {
    const now = Date.now();
    saveSession({ token: 'mine', issuedAt: now, expiresAt: now + 3_600_000, user });
    const calls = stubFetch({ 'POST /api/auth/logout': () => ({ status: 204 }) });
    renderProvider();
    fireEvent.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(await screen.findByText('signed out: null')).toBeInTheDocument();
    expect(calls).toMatchObject([{ method: 'POST', path: '/api/auth/logout', auth: 'Bearer mine' }]);
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it('signs out at expiry when the refresh fails, saying why', async () => {
    const now = Date.now();
    saveSession({ token: 'old', issuedAt: now - 1_000, expiresAt: now + 200, user });
    stubFetch({
      'POST /api/auth/refresh': () => ({
        status: 503,
        body: { detail: 'unavailable', error_code: 'x', status_code: 503, correlation_id: 'c' },
      }),
    });
    renderProvider();
    expect(await screen.findByText(/signed out: Your session has expired/)).toBeInTheDocument();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });
});
