// Security (every signed-in person): two-factor sign-in with an authenticator app. Set it up
// (scan the QR code or type the key, then prove it with a code), see the recovery codes once,
// make new ones, or turn it off — both with a current code. When the person's role must use
// it, the page says so and offers no way to turn it off.
import { useState } from 'react';
import type { FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { useSecondFactor } from '../api/hooks';
import type { RecoveryCodes, SecondFactorSetup } from '../api/types';
import { ErrorBox } from '../components/ErrorBox';

export function SecurityPage() {
  const status = useSecondFactor();
  const queryClient = useQueryClient();
  const [setup, setSetup] = useState<SecondFactorSetup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = () => void queryClient.invalidateQueries({ queryKey: ['second-factor'] });

  const start = async () => {
    setError(null);
    try {
      setSetup(await api<SecondFactorSetup>('/api/auth/second-factor/setup', { method: 'POST', body: {} }));
    } catch (e) {
      setError(e);
    }
  };
  const withCode = (path: string) => async (code: string) => {
    const answer = await api<RecoveryCodes>(path, { method: 'POST', body: { code } });
    setSetup(null);
    setCodes(answer.recovery_codes);
  };
  const turnOff = async (code: string) => {
    await api<void>('/api/auth/second-factor/off', { method: 'POST', body: { code } });
    reload();
  };

  let body;
  if (codes) {
    body = (
      <>
        <h2>Your recovery codes</h2>
        <p role="status" className="notice">
          Save these somewhere safe. Each one signs you in once if you lose your phone. They are not shown again.
        </p>
        <ol className="recovery-codes" aria-label="Recovery codes">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ol>
        <button type="button" onClick={() => (setCodes(null), reload())}>
          I have saved these codes
        </button>
      </>
    );
  } else if (setup) {
    body = (
      <>
        <h2>Add GuruRMM to your authenticator app</h2>
        <img className="qr" src={setup.qr_data_url} alt="QR code for your authenticator app" width={200} height={200} />
        <p>
          Can&apos;t scan it? Enter this key in the app: <code className="secret">{setup.secret.replace(/(.{4})/g, '$1 ').trim()}</code>
        </p>
        <CodeForm label="Turn on" action={withCode('/api/auth/second-factor/confirm')} />
        <button type="button" className="secondary" onClick={() => setSetup(null)}>
          Cancel
        </button>
      </>
    );
  } else if (status.data && !status.data.enabled) {
    body = (
      <>
        {status.data.required && (
          <p role="status" className="notice">
            Your role must sign in with a second factor. Set it up to use GuruRMM.
          </p>
        )}
        <p>Two-factor sign-in is off: your password alone signs you in.</p>
        <button type="button" onClick={() => void start()}>
          Set up two-factor sign-in
        </button>
      </>
    );
  } else if (status.data) {
    body = (
      <>
        <p role="status">Two-factor sign-in is on. {status.data.recovery_codes_left} of 10 recovery codes left.</p>
        <h2>Recovery codes</h2>
        <p className="hint">Make a new set when you have used some or fear they were seen; the old set stops working.</p>
        <CodeForm label="New recovery codes" action={withCode('/api/auth/second-factor/recovery-codes')} />
        <h2>Turn off two-factor sign-in</h2>
        {status.data.required ? (
          <p className="hint">
            Your role must use two-factor sign-in, so it cannot be turned off here. An admin can reset it if you lose your phone.
          </p>
        ) : (
          <CodeForm label="Turn off" action={turnOff} />
        )}
      </>
    );
  }
  return (
    <section className="security">
      <h1>Security</h1>
      <ErrorBox error={error ?? status.error} />
      {body}
    </section>
  );
}

/** Asks for a current code before `action`; its failure shows beside it. */
function CodeForm({ label, action }: { label: string; action: (code: string) => Promise<void> }) {
  const id = `code-${label.toLowerCase().replace(/\W+/g, '-')}`;
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await action(code.trim());
    } catch (e) {
      setError(e);
      setCode('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="code-form" onSubmit={submit} aria-label={label}>
      <label htmlFor={id}>Code from your authenticator app</label>
      <input id={id} autoComplete="one-time-code" inputMode="numeric" required value={code} onChange={(e) => setCode(e.target.value)} />
      <button type="submit" disabled={busy}>
        {label}
      </button>
      <ErrorBox error={error} />
    </form>
  );
}
