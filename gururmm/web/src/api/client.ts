// One fetch wrapper for every API call: same origin, bearer token, JSON in and out, and every
// failure turned into an ApiError carrying the server's `detail` and correlation id so the page
// can show both (support asks for the id; the server log has the same one).
import type { ErrorEnvelope } from './types';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly correlationId: string | null;

  constructor(status: number, detail: string, code: string, correlationId: string | null) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.correlationId = correlationId;
  }
}

type TokenSource = () => string | null;
type UnauthorizedHandler = () => void;

let currentToken: TokenSource = () => null;
let onUnauthorized: UnauthorizedHandler = () => {};

/** Wires the session in: where the token comes from and what a 401 means (sign out). */
export function configureClient(token: TokenSource, unauthorized: UnauthorizedHandler): void {
  currentToken = token;
  onUnauthorized = unauthorized;
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ErrorEnvelope).detail === 'string' &&
    typeof (value as ErrorEnvelope).error_code === 'string'
  );
}

/** Builds the ApiError for a failed response, envelope or not (a proxy may answer instead). */
export async function errorFrom(response: Response): Promise<ApiError> {
  const headerId = response.headers.get('x-request-id');
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy's HTML page, an empty body. Fall through to a generic message.
  }
  if (isEnvelope(body)) {
    return new ApiError(response.status, body.detail, body.error_code, body.correlation_id ?? headerId);
  }
  return new ApiError(
    response.status,
    `The server answered ${response.status} ${response.statusText || ''}`.trim(),
    'unexpected_response',
    headerId,
  );
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** Skip the bearer token (login). */
  anonymous?: boolean;
  signal?: AbortSignal;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options, 'application/json');
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Opens a long-lived GET whose body the caller reads as it arrives (an event stream). */
export function openStream(path: string, signal: AbortSignal): Promise<Response> {
  return request(path, { signal }, 'text/event-stream');
}

/** Sends one request with the bearer token; resolves to an ok response or throws an ApiError. */
async function request(path: string, options: RequestOptions, accept: string): Promise<Response> {
  const headers: Record<string, string> = { Accept: accept };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  const token = options.anonymous ? null : currentToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await fetch(path, {
      method: options.method ?? 'GET',
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'Cannot reach the GuruRMM server. Check your connection.', 'network', null);
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && token) onUnauthorized();
    throw error;
  }
  return response;
}

/** A query string from the set values only. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
