// Session storage: expiry, malformed data, refresh timing.
import { describe, expect, it } from 'vitest';
import { SESSION_STORAGE_KEY, loadSession, refreshDelay, saveSession, sessionFrom } from './session';

const user = { id: 'u', email: 'a@b', display_name: '', role: 'admin' as const, disabled: false, created_at: '', last_login_at: null, second_factor: false };

describe('session', () => {
  it('round-trips until it expires', () => {
    const s = sessionFrom({ token: 't', token_type: 'Bearer', expires_in: 100, user }, 1_000);
    saveSession(s);
    expect(loadSession(50_000)?.token).toBe('t');
    expect(loadSession(101_000)).toBeNull();
    expect(localStorage.getItem(SESSION_STORAGE_KEY)).toBeNull();
  });

  it('drops malformed storage instead of crashing', () => {
    localStorage.setItem(SESSION_STORAGE_KEY, '{not json');
    expect(loadSession(0)).toBeNull();
    localStorage.setItem(SESSION_STORAGE_KEY, JSON.stringify({ token: 5 }));
    expect(loadSession(0)).toBeNull();
  });

  it('refreshes at half-life, at once when already past it', () => {
    const s = sessionFrom({ token: 't', token_type: 'Bearer', expires_in: 86_400, user }, 0);
    expect(refreshDelay(s, 0)).toBe(43_200_000);
    expect(refreshDelay(s, 50_000_000)).toBe(0);
  });
});
