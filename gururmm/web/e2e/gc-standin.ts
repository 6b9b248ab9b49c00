// A STAND-IN for GuruConnect, not GuruConnect: a small Node HTTP server on a loopback port
// that plays GuruConnect's side of CONTRACT.md v1 for the dashboard suite — capabilities, the
// integration-key routes (keys, sessions with support codes, session state, viewer tokens, end,
// latest agent release) — and a FAKE /viewer page that posts the embed lifecycle events to its
// parent (accepted, then waiting for a machine that never comes). The
// real cross-product end-to-end test (real GuruConnect, real viewer) is GuruConnect's side.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomUUID } from 'node:crypto';

export const STANDIN_KEY = 'e2e-integration-key-0123456789abcdef';

export interface StandIn {
  base: string;
  calls: { method: string; path: string; body: unknown }[];
  close: () => Promise<void>;
}

const VIEWER = `<!doctype html><html><head><title>Stand-in viewer</title></head>
<body style="margin:0;background:#123;color:#fff"><p id="status">stand-in viewer</p>
<script>
const params = new URLSearchParams(location.search);
const parentOrigin = params.get("parent");
const session = new URLSearchParams(location.hash.slice(1)).get("session");
history.replaceState(null, "", location.pathname + location.search);
const post = (m) => window.parent.postMessage(Object.assign({ v: 1 }, m), parentOrigin);
window.addEventListener("message", (e) => {
  if (e.origin !== parentOrigin || e.source !== window.parent) return;
  if (e.data && e.data.type === "viewer:disconnect") {
    post({ type: "viewer:disconnected", reason: "technician disconnected", final: true });
    document.getElementById("status").textContent = "disconnected";
  }
});
post({ type: "viewer:ready" });
setTimeout(() => {
  post({ type: "viewer:connected", session_id: session, hostname: "standin-host" });
  post({ type: "viewer:state", state: "waiting_for_agent", reason: "the remote machine's agent is not connected" });
  document.getElementById("status").textContent = "waiting for the machine " + session;
}, 100);
</script></body></html>`;

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export async function startStandIn(): Promise<StandIn> {
  const calls: StandIn['calls'] = [];
  const sessions = new Map<string, { agent_id: string; mode: string; status: string }>();
  let base = '';
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const body = await readBody(req);
    calls.push({ method: req.method ?? 'GET', path: url.pathname, body });
    const send = (status: number, value?: unknown, type = 'application/json') => {
      res.writeHead(status, { 'Content-Type': type, 'X-Request-Id': `standin-${randomUUID()}` });
      res.end(value === undefined ? undefined : type === 'application/json' ? JSON.stringify(value) : String(value));
    };
    const error = (status: number, code: string, detail: string) =>
      send(status, { detail, error_code: code, status_code: status, correlation_id: `standin-${randomUUID()}` });
    if (req.method === 'GET' && url.pathname === '/viewer') return send(200, VIEWER, 'text/html; charset=utf-8');
    if (req.method === 'GET' && /^\/api\/integration(\/v1)?\/capabilities$/.test(url.pathname)) {
      return send(200, {
        contract_version: '1.1.0',
        features: { embedded_viewer: true, consent_prompt: true, per_machine_keys: true, programmatic_sessions: true },
      });
    }
    if (!url.pathname.startsWith('/api/integration/v1/')) return error(404, 'not_found', 'no route');
    if (req.headers.authorization !== `Bearer ${STANDIN_KEY}`) return error(401, 'unauthorized', 'integration key missing or wrong');
    const rest = url.pathname.slice('/api/integration/v1/'.length).split('/');
    const b = (body ?? {}) as Record<string, string>;
    if (req.method === 'POST' && rest[0] === 'agents' && rest[2] === 'keys') {
      return send(201, { key: `gcak_${randomUUID()}`, id: randomUUID(), agent_id: rest[1], key_prefix: 'gcak_', label: b.label });
    }
    if (req.method === 'POST' && rest.length === 1 && rest[0] === 'sessions') {
      const id = randomUUID();
      sessions.set(id, { agent_id: b.agent_id, mode: b.mode, status: 'waiting' });
      const code = b.mode === 'attended' ? String(100000 + Math.floor(Math.random() * 899999)) : null;
      return send(201, { id, agent_id: b.agent_id, mode: b.mode, status: 'waiting', is_managed: true, source: 'gururmm', support_code: code });
    }
    if (req.method === 'POST' && rest[0] === 'sessions' && rest[2] === 'viewer-token') {
      if (!sessions.has(rest[1])) return error(404, 'not_found', 'session not found');
      return send(201, { token: `vt.${randomUUID()}`, session_id: rest[1], expires_at: 1_900_000_000, ws_path: '/ws/viewer' });
    }
    if (req.method === 'GET' && rest[0] === 'sessions' && rest.length === 2) {
      const s = sessions.get(rest[1]);
      if (!s) return error(404, 'not_found', 'session not found');
      return send(200, { id: rest[1], ...s, is_managed: true, source: 'gururmm', agent_online: false, viewers: 1, end_reason: null });
    }
    if (req.method === 'POST' && rest[0] === 'sessions' && rest[2] === 'end') {
      const s = sessions.get(rest[1]);
      if (!s) return error(404, 'not_found', 'session not found');
      s.status = 'ended';
      return send(204);
    }
    if (req.method === 'GET' && rest[0] === 'agent-releases' && rest[1] === 'latest') {
      const platform = url.searchParams.get('platform') ?? '';
      return send(200, {
        version: '1.0.0',
        platform,
        sha256: '0'.repeat(64),
        signature: 'AAAA',
        size: 4,
        download_url: `${base}/api/releases/${platform}/1.0.0/download`,
      });
    }
    return error(404, 'not_found', 'no route');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { base, calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
