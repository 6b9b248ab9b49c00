// Starting the real binaries for the end-to-end suite: where they are (honouring
// CARGO_TARGET_DIR), a free loopback port, the admin created through the server's CLI, and
// agents with their own config and state directories. Everything binds to 127.0.0.1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_ROOT = path.resolve(WEB_DIR, '..', '..');

export function binary(name: string): string {
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(REPO_ROOT, process.env.CARGO_TARGET_DIR)
    : path.join(REPO_ROOT, 'target');
  // As shipped when `./dev test` built them (GURU_SHIPPED_DIR), else the debug build.
  const file = path.join(process.env.GURU_SHIPPED_DIR ?? path.join(target, 'debug'), name);
  if (!existsSync(file)) {
    throw new Error(
      `${file} not found. Build it first: cargo build -p gururmm-server -p gururmm-agent ` +
        '(the suite honours CARGO_TARGET_DIR).',
    );
  }
  return file;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** `gururmm-server admin create`, the password on stdin as an operator would type it. */
export function createAdmin(dataDir: string, email: string, password: string, role = 'admin'): void {
  const result = spawnSync(
    binary('gururmm-server'),
    ['--data-dir', dataDir, 'admin', 'create', '--email', email, '--role', role],
    { input: `${password}\n`, encoding: 'utf8', timeout: 60_000, env: serverEnv() },
  );
  if (result.status !== 0) {
    throw new Error(`admin create failed (${result.status}): ${result.stderr}${result.stdout}`);
  }
}

function serverEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, RUST_LOG: 'warn', ...extra };
  // A developer's own settings must not leak into the suite's server.
  delete env.GURURMM_CONFIG;
  delete env.GURURMM_DATABASE_URL;
  delete env.DATABASE_URL;
  return env;
}

function pipeLog(child: ChildProcess, label: string): void {
  const forward = (chunk: Buffer) => {
    if (process.env.GRMM_E2E_VERBOSE) process.stderr.write(`[${label}] ${chunk}`);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', forward);
}

export function startServer(
  dataDir: string,
  port: number,
  extraEnv: Record<string, string> = {},
  configFile?: string,
): ChildProcess {
  const config = configFile ? ['--config', configFile] : [];
  const child = spawn(binary('gururmm-server'), [...config, '--data-dir', dataDir, '--bind', `127.0.0.1:${port}`, 'serve'], {
    env: serverEnv({
      GURURMM_DASHBOARD_DIR: path.join(WEB_DIR, 'dist'),
      GURURMM_BOOTSTRAP_ADMIN: 'false',
      ...extraEnv,
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLog(child, 'server');
  return child;
}

/** Writes agent.toml in its own directory (the agent keeps its key beside it) and starts it. */
export function startAgent(root: string, name: string, port: number, siteCode: string): ChildProcess {
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const config = path.join(dir, 'agent.toml');
  writeFileSync(
    config,
    [
      '[server]',
      `url = "ws://127.0.0.1:${port}/ws"`,
      `api_key = "${siteCode}"`,
      '[agent]',
      `device_id = "e2e-${name}"`,
      'heartbeat_interval_secs = 5',
      'network_check_interval_secs = 5',
      'reconnect_base_secs = 1',
      'reconnect_cap_secs = 2',
      '[metrics]',
      'interval_seconds = 10',
      '[commands]',
      'script_interpreter = ["/bin/sh"]',
      // Its log files stay in the test's directory, not the machine's /var/log.
      '[logging]',
      `directory = "${path.join(dir, 'logs')}"`,
      '',
    ].join('\n'),
  );
  const child = spawn(binary('gururmm-agent'), ['--config', config, 'run'], {
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pipeLog(child, name);
  return child;
}

/** Polls `check` every 200 ms until it returns a value, at most `limitMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined>, limitMs = 30_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
