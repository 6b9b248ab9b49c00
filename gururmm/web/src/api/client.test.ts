// The fetch wrapper: every failure carries the server's detail and correlation id.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError, api, configureClient, errorFrom, query } from './client';

afterEach(() => {
  vi.unstubAllGlobals();
  configureClient(() => null, () => {});
});

describe('errorFrom', () => {
  it('keeps the envelope detail, code and correlation id', async () => {
    const response = new Response(
      JSON.stringify({ detail: 'agent not found', error_code: 'not_found', status_code: 404, correlation_id: 'c-1' }),
      { status: 404 },
    );
    const error = await errorFrom(response);
    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe('agent not found');
    expect(error.code).toBe('not_found');
    expect(error.correlationId).toBe('c-1');
    expect(error.status).toBe(404);
  });

  it('falls back to the X-Request-Id header when the body is not an envelope', async () => {
    const response = new Response('<html>Bad gateway</html>', {
      status: 502,
      statusText: 'Bad Gateway',
      headers: { 'x-request-id': 'proxy-7' },
    });
    const error = await errorFrom(response);
    expect(error.message).toBe('The server answered 502 Bad Gateway');
    expect(error.correlationId).toBe('proxy-7');
  });
});

describe('api', () => {
  it('sends the bearer token and signs out on a 401', async () => {
    const unauthorized = vi.fn();
    configureClient(() => 'tok', unauthorized);
    const fetchMock = vi.fn(async () =>
      new Response(JSON.stringify({ detail: 'authentication required', error_code: 'unauthorized', status_code: 401, correlation_id: 'x' }), {
        status: 401,
      }),
    );
    vi.stubGlobal('fetch', fetchMock);
    await expect(api('/api/agents')).rejects.toMatchObject({ status: 401, correlationId: 'x' });
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1];
    expect(new Headers(init.headers).get('Authorization')).toBe('Bearer tok');
    expect(unauthorized).toHaveBeenCalledOnce();
  });

  it('does not treat a failed login (no token sent) as an expired session', async () => {
    const unauthorized = vi.fn();
    configureClient(() => 'tok', unauthorized);
    vi.stubGlobal('fetch', async () => new Response('{}', { status: 401 }));
    await expect(api('/api/auth/login', { method: 'POST', body: {}, anonymous: true })).rejects.toBeInstanceOf(ApiError);
    expect(unauthorized).not.toHaveBeenCalled();
  });

  it('says so when the server cannot be reached', async () => {
    vi.stubGlobal('fetch', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api('/api/agents')).rejects.toMatchObject({ code: 'network', status: 0 });
  });
});

describe('query', () => {
  it('drops unset values', () => {
    expect(query({ q: 'web', status: '', page: 2, site_id: undefined })).toBe('?q=web&page=2');
    expect(query({})).toBe('');
  });
});
