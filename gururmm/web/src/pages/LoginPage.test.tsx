// The login page: labelled fields, the server's message and correlation id on failure (the same
// message for unknown accounts and wrong passwords: no user enumeration), and the session kept.
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { renderApp, stubFetch } from '../test/render';
import { LoginPage } from './LoginPage';
import { SESSION_STORAGE_KEY } from '../auth/session';

afterEach(() => vi.unstubAllGlobals());

/** The sign-in calls among everything the page asked (it also asks whether SSO is on). */
const logins = (calls: { path: string; body: unknown }[]) => calls.filter((c) => c.path === '/api/auth/login');

const signedIn = () => ({
  body: {
    token: 'jwt',
    token_type: 'Bearer',
    expires_in: 3600,
    user: { id: 'u1', email: 'tech@example.com', display_name: '', role: 'technician', disabled: false, created_at: '', last_login_at: null, second_factor: true },
  },
});

const refused = () => ({
  status: 401,
  body: { detail: 'invalid email or password', error_code: 'invalid_credentials', status_code: 401, correlation_id: 'corr-42' },
});

describe('LoginPage', () => {
  it('shows the server detail and correlation id, and clears the password', async () => {
    stubFetch({ 'POST /api/auth/login': refused });
    renderApp(<LoginPage />, { path: '/login', route: '/login' });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'nobody@example.com');
    await user.type(screen.getByLabelText('Password'), 'wrong-password');
    await user.keyboard('{Enter}');
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('invalid email or password');
    expect(alert).toHaveTextContent('corr-42');
    expect(screen.getByLabelText('Password')).toHaveValue('');
  });

  it('stores the session and leaves the page on success', async () => {
    const calls = stubFetch({
      'POST /api/auth/login': () => ({
        body: {
          token: 'jwt',
          token_type: 'Bearer',
          expires_in: 3600,
          user: { id: 'u1', email: 'tech@example.com', display_name: '', role: 'technician', disabled: false, created_at: '', last_login_at: null, second_factor: false },
        },
      }),
    });
    renderApp(<LoginPage />, { path: '/login', route: '/login' });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), ' tech@example.com ');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('elsewhere')).toBeInTheDocument();
    expect(logins(calls)[0].body).toEqual({ email: 'tech@example.com', password: 'correct horse battery' });
    expect(JSON.parse(localStorage.getItem(SESSION_STORAGE_KEY) ?? '{}').token).toBe('jwt');
  });

  it('asks for the authenticator code when the server wants one, keeping the password', async () => {
    const calls = stubFetch({
      'POST /api/auth/login': (body) =>
        (body as { code?: string }).code === undefined
          ? {
              status: 401,
              body: { detail: 'enter the code', error_code: 'second_factor_required', status_code: 401, correlation_id: 'c1' },
            }
          : {
              body: {
                token: 'jwt',
                token_type: 'Bearer',
                expires_in: 3600,
                user: { id: 'u1', email: 'tech@example.com', display_name: '', role: 'technician', disabled: false, created_at: '', last_login_at: null, second_factor: false },
              },
            },
    });
    renderApp(<LoginPage />, { path: '/login', route: '/login' });
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Email'), 'tech@example.com');
    await user.type(screen.getByLabelText('Password'), 'correct horse battery');
    await user.keyboard('{Enter}');
    const code = await screen.findByLabelText('Authentication code');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(screen.getByLabelText('Password')).toHaveValue('correct horse battery');
    await user.type(code, '123456');
    await user.click(screen.getByLabelText(/Remember this browser/));
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('elsewhere')).toBeInTheDocument();
    expect(logins(calls)[1].body).toEqual({ email: 'tech@example.com', password: 'correct horse battery', code: '123456', remember_device: true });
  });

  it('offers the identity provider when the server has single sign-on', async () => {
    stubFetch({ 'GET /api/auth/sso': () => ({ body: { enabled: true, name: 'Contoso' } }) });
    renderApp(<LoginPage />, { path: '/login', route: '/login' });
    const link = await screen.findByRole('link', { name: 'Sign in with Contoso' });
    expect(link).toHaveAttribute('href', '/api/auth/sso/start');
  });

  it('finishes a single sign-on on return, asking for the code like a password sign-in', async () => {
    const calls = stubFetch({
      'GET /api/auth/sso': () => ({ body: { enabled: true, name: 'Contoso' } }),
      'POST /api/auth/sso/finish': (body) =>
        (body as { code?: string }).code === undefined
          ? {
              status: 401,
              body: { detail: 'enter the code', error_code: 'second_factor_required', status_code: 401, correlation_id: 'c1' },
            }
          : signedIn(),
    });
    renderApp(<LoginPage />, { path: '/login', route: '/login?sso=finish' });
    const user = userEvent.setup();
    const code = await screen.findByLabelText('Authentication code');
    expect(screen.queryByLabelText('Email')).toBeNull();
    expect(screen.queryByRole('link', { name: /Sign in with/ })).toBeNull();
    await user.type(code, '654321');
    await user.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('elsewhere')).toBeInTheDocument();
    const finishes = calls.filter((c) => c.path === '/api/auth/sso/finish');
    expect(finishes.map((c) => c.body)).toEqual([{}, { code: '654321', remember_device: false }]);
    expect(JSON.parse(localStorage.getItem(SESSION_STORAGE_KEY) ?? '{}').token).toBe('jwt');
  });

  it('says in plain words why a single sign-on did not sign anyone in', async () => {
    stubFetch({ 'GET /api/auth/sso': () => ({ body: { enabled: true, name: 'Contoso' } }) });
    renderApp(<LoginPage />, { path: '/login', route: '/login?sso_error=no_account' });
    expect(await screen.findByRole('alert')).toHaveTextContent('no GuruRMM account has that email address');
    expect(screen.getByLabelText('Email')).toBeInTheDocument();
    // The provider may have signed in the wrong account: the button asks it to sign in again.
    const link = await screen.findByRole('link', { name: 'Sign in with Contoso' });
    expect(link).toHaveAttribute('href', '/api/auth/sso/start?sign_in_again=true');
  });
});
