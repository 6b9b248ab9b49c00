// Sign-in. The server answers the same "invalid email or password" for an unknown account and a
// wrong password, and the page shows exactly that, so it reveals no more than the server does.
// When the server answers that the account has two-factor sign-in, the page asks for the
// authenticator's code (or a recovery code) and offers to remember this browser. When the
// server has single sign-on, a button leads to the identity provider; back from it, the page
// finishes that sign-in (asking for the code the same way) or says in plain words why it did
// not work. After signing in the technician lands where they were heading.
import { useEffect, useRef, useState } from 'react';
import type { FormEvent } from 'react';
import { Navigate, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { ApiError } from '../api/client';
import { useSsoOptions } from '../api/hooks';
import { useAuth } from '../auth/AuthContext';
import { ErrorBox } from '../components/ErrorBox';

const SSO_ERRORS: Record<string, string> = {
  no_account:
    'Your identity provider signed you in, but no GuruRMM account has that email address, or the provider did not confirm the address. Ask an admin to create the account.',
  account_disabled: 'This GuruRMM account is disabled.',
  not_started: 'That single sign-on was not started in this browser, or took more than 10 minutes. Try again.',
  provider_refused: 'The identity provider did not sign you in.',
  provider_unavailable: 'The identity provider cannot be reached right now. Try again, or sign in with your password.',
  verification_failed:
    "The identity provider's answer failed verification. Ask an admin to check the single sign-on settings.",
  not_configured: 'Single sign-on is not set up on this server.',
  too_many_attempts: 'Too many single sign-ons failed from this network. Wait a few minutes, or sign in with your password.',
};

export function ssoErrorText(code: string): string {
  return SSO_ERRORS[code] ?? 'Single sign-on did not work. Try again, or sign in with your password.';
}

export function LoginPage() {
  const { user, signIn, finishSso, endedReason } = useAuth();
  const navigate = useNavigate();
  const location = useLocation();
  const [params, setParams] = useSearchParams();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const sso = useSsoOptions();
  const [viaSso, setViaSso] = useState(() => params.get('sso') === 'finish');
  const [ssoError] = useState(() => params.get('sso_error'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [needCode, setNeedCode] = useState(false);
  const [code, setCode] = useState('');
  const [remember, setRemember] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const finishing = useRef(false);

  const attempt = async () => {
    setBusy(true);
    setError(null);
    try {
      const withCode = needCode ? code.trim() : undefined;
      if (viaSso) await finishSso(withCode, remember);
      else await signIn(email.trim(), password, withCode, remember);
      navigate(from, { replace: true });
    } catch (e) {
      if (e instanceof ApiError && e.code === 'second_factor_required') {
        setNeedCode(true);
      } else {
        setError(e);
        if (needCode && e instanceof ApiError && e.code === 'second_factor_invalid') setCode('');
        else if (viaSso) {
          // The ticket is gone (used, expired, or the server restarted): back to the choice.
          setViaSso(false);
          setNeedCode(false);
        } else setPassword('');
      }
    } finally {
      setBusy(false);
    }
  };

  // Back from the identity provider: finish once, and take its answer off the address bar.
  useEffect(() => {
    if (params.has('sso') || params.has('sso_error')) setParams({}, { replace: true, state: location.state });
    if (viaSso && !finishing.current) {
      finishing.current = true;
      void attempt();
    }
    // Runs once, on arrival: `attempt` and the query are read as they were then.
  }, []);

  if (user) return <Navigate to={from} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void attempt();
  };

  return (
    <main className="login" id="main">
      <h1>Sign in to GuruRMM</h1>
      {endedReason && !error && <p role="status">{endedReason}</p>}
      {ssoError && !error && (
        <p role="alert" className="error-box">
          {ssoErrorText(ssoError)}
        </p>
      )}
      {viaSso && !needCode && <p role="status">Finishing single sign-on…</p>}
      <form onSubmit={submit} aria-label="Sign in">
        {!viaSso && (
          <>
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
          </>
        )}
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
        {(!viaSso || needCode) && (
          <button type="submit" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        )}
        {!viaSso && sso.data?.enabled && (
          // After a refusal the provider may have signed in the wrong account: ask it again.
          <a
            className="button secondary sso"
            href={ssoError ? '/api/auth/sso/start?sign_in_again=true' : '/api/auth/sso/start'}
          >
            Sign in with {sso.data.name ?? 'single sign-on'}
          </a>
        )}
      </form>
      <ErrorBox error={error} title="Sign-in failed" />
    </main>
  );
}
