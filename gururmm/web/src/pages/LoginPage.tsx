// Sign-in. The server answers the same "invalid email or password" for an unknown account and a
// wrong password, and the page shows exactly that, so it reveals no more than the server does.
// When the server answers that the account has two-factor sign-in, the page asks for the
// authenticator's code (or a recovery code) and offers to remember this browser. After signing
// in the technician lands where they were heading.
import { useState } from 'react';
import type { FormEvent } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router-dom';
import { ApiError } from '../api/client';
import { useAuth } from '../auth/AuthContext';
import { ErrorBox } from '../components/ErrorBox';

export function LoginPage() {
  const { user, signIn, endedReason } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [needCode, setNeedCode] = useState(false);
  const [code, setCode] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  if (user) return <Navigate to={from} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(email.trim(), password, needCode ? code.trim() : undefined, remember);
      navigate(from, { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'second_factor_required') {
        setNeedCode(true);
      } else {
        setError(e);
        if (needCode && e instanceof ApiError && e.code === 'second_factor_invalid') setCode('');
        else setPassword('');
      }
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <h1>Sign in to GuruRMM</h1>
      {endedReason && !error && <p role="status">{endedReason}</p>}
      <form onSubmit={submit} aria-label="Sign in">
        <label htmlFor="login-email">Email</label>
        <input
          id="login-email"
          type="email"
          autoComplete="username"
          required
          autoFocus
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {needCode && (
          <>
            <label htmlFor="login-code">Authentication code</label>
            <input
              id="login-code"
              autoComplete="one-time-code"
              inputMode="numeric"
              required
              autoFocus
              aria-describedby="login-code-hint"
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
            <p id="login-code-hint" className="hint">
              The 6-digit code from your authenticator app, or one of your recovery codes.
            </p>
            <label className="checkbox">
              <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} /> Remember
              this browser for 30 days
            </label>
          </>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <ErrorBox error={error} title="Sign-in failed" />
    </main>
  );
}
