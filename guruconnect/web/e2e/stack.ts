// The real system for the browser tests: a private Xvfb desktop (two logical monitors), the
// real guruconnect-server binary serving the built front end, and the real guruconnect-agent
// sharing that desktop; plus two small pages on other ports standing in for an embedding site
// (allowed) and a foreign one (not allowed).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstAdmin, freePort, startXvfb, stopChild, until } from "./harness";
import { readXwd, type XwdImage } from "./xwd";
import { startProvider, ssoEnv } from "../../../kit/web-test/oidc";

/** Who the stack's identity provider knows: a technician whose address is an account
 * (sso.spec.ts creates it), and a stranger with no account. */
export const SSO_PEOPLE = [
  { login: "sso-tech", email: "sso.tech@example.com", email_verified: true },
  { login: "stranger", email: "stranger@example.com", email_verified: true },
];

const REPO = resolve(import.meta.dirname, "../../..");
const TARGET = process.env.CARGO_TARGET_DIR ?? join(REPO, "target");
/** A binary of this workspace: as shipped when `./dev test` built them (GURU_SHIPPED_DIR),
 * else the debug build (cargo build --bins). */
export const debugBinary = (name: string) => join(process.env.GURU_SHIPPED_DIR ?? join(TARGET, "debug"), name);
/** The test desktop: one screen split into two 800×600 monitors (RandR monitors). */
export const SCREEN = { width: 1600, height: 600, monitors: true };
export type ScreenSpec = typeof SCREEN;
export const AGENT_ID = "e2e-desktop";

export interface Stack {
  gcUrl: string;
  hostUrl: string;
  foreignUrl: string;
  display: string;
  admin: { username: string; password: string };
  adminToken: string;
  tmp: string;
  /** Runs an X client on the desktop and waits for it. */
  x(program: string, args: string[]): string;
  /** Starts a long-running X client (killed with the stack). */
  spawnX(program: string, args: string[]): ChildProcess;
  screenshot(): XwdImage;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** A fresh viewer token for the machine's live session. */
  viewerToken(): Promise<{ sessionId: string; token: string }>;
  /** Stops the server process and starts it again on the same port and data. */
  restartServer(): Promise<void>;
  stop(): Promise<void>;
}

/** A page server for the embedding tests: /host.html frames what `?src=` names. */
function hostPages(gcOrigin: string): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const q = (name: string) => url.searchParams.get(name) ?? "";
    res.setHeader("content-type", "text/html");
    if (url.pathname === "/host.html") res.end(hostPage(gcOrigin, q("src"), q("init"), q("intruder")));
    else if (url.pathname === "/intruder.html") res.end(INTRUDER);
    else res.writeHead(404).end();
  });
}

/** A page from another origin, framed next to the viewer, that tries to steer it. */
const INTRUDER = `<!doctype html><title>intruder</title><script>
const viewer = parent.frames[0];
for (const message of [{ v: 1, type: "viewer:disconnect" }, { v: 1, type: "viewer:init", session_id: "nope", token: "forged" }]) {
  viewer.postMessage(message, "*");
}
document.title = "intruder done";
</script>`;

function hostPage(gcOrigin: string, src: string, init: string, intruder: string): string {
  const config = JSON.stringify({ gcOrigin, src, intruder, init: init ? JSON.parse(init) : null });
  return `<!doctype html><title>host</title><body>
<script>
const config = ${config.replace(/</g, "\\u003c")};
window.events = [];
window.addEventListener("message", (e) => {
  if (e.origin !== config.gcOrigin) return;
  window.events.push(e.data);
  if (e.data.type === "viewer:ready" && config.init) {
    frame.contentWindow.postMessage({ v: 1, type: "viewer:init", ...config.init }, config.gcOrigin);
  }
});
window.sendToViewer = (message) => frame.contentWindow.postMessage(message, config.gcOrigin);
const frame = document.createElement("iframe");
frame.id = "viewer";
frame.src = config.src;
frame.width = 1000;
frame.height = 500;
document.body.append(frame);
window.addIntruder = () => {
  const other = document.createElement("iframe");
  other.id = "intruder";
  other.src = config.intruder;
  document.body.append(other);
};
</script></body>`;
}

export interface StackOptions {
  /** Start the unattended agent AGENT_ID on the desktop (default true). */
  unattendedAgent?: boolean;
}

export async function startStack(screen: ScreenSpec = SCREEN, options: StackOptions = {}): Promise<Stack> {
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "gc-web-e2e-"));
  try {
    const display = await startXvfb(children, screen.width, screen.height);
    const xenv = { ...process.env, DISPLAY: display };
    const x = (program: string, args: string[]) => execFileSync(program, args, { env: xenv, encoding: "utf8" });
    if (screen.monitors) {
      x("xrandr", ["--setmonitor", "left", "800/0x600/0+0+0", "none"]);
      x("xrandr", ["--setmonitor", "right", "800/0x600/0+800+0", "none"]);
    }

    const [gcPort, hostPort, foreignPort] = [await freePort(), await freePort(), await freePort()];
    const gcUrl = `http://127.0.0.1:${gcPort}`;
    const hostUrl = `http://127.0.0.1:${hostPort}`;
    const foreignUrl = `http://127.0.0.1:${foreignPort}`;
    for (const port of [hostPort, foreignPort]) {
      const pages = hostPages(gcUrl);
      await new Promise<void>((ok) => pages.listen(port, "127.0.0.1", ok));
      servers.push(pages);
    }

    const provider = await startProvider(`${gcUrl}/api/auth/sso/callback`, SSO_PEOPLE);
    children.push(provider.child);

    // Logs of both processes stay in test-results/ for a failing run to be read.
    const logs = resolve(import.meta.dirname, "../test-results");
    mkdirSync(logs, { recursive: true });
    const serverLog = openSync(join(logs, "server.log"), "a");
    const agentLog = openSync(join(logs, "agent.log"), "a");
    const startServer = () => spawn(debugBinary("guruconnect-server"), ["serve"], {
      env: {
        ...process.env,
        GURUCONNECT_BIND: `127.0.0.1:${gcPort}`,
        GURUCONNECT_PUBLIC_URL: gcUrl,
        GURUCONNECT_DATA_DIR: join(tmp, "server"),
        GURUCONNECT_WEB_DIR: resolve(import.meta.dirname, "../dist"),
        GURUCONNECT_EMBED_ALLOWED_ORIGINS: hostUrl,
        ...ssoEnv("GURUCONNECT", provider, "Test IdP"),
        RUST_LOG: process.env.RUST_LOG ?? "info",
      },
      stdio: ["ignore", "pipe", serverLog],
    });
    let server = startServer();
    children.push(server);
    let out = "";
    server.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    server.on("error", (e) => (out += `\nspawn failed: ${e.message} (run cargo build --workspace --bins)`));
    const admin = await firstAdmin(() => out);

    let adminToken = "";
    const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const res = await fetch(gcUrl + path, {
        method,
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (res.status === 204 ? undefined : await res.json()) as T;
    };
    adminToken = (await api<{ access_token: string }>("POST", "/api/auth/login", admin)).access_token;
    if (options.unattendedAgent ?? true) {
      const { key } = await api<{ key: string }>("POST", "/api/agent-keys", { agent_id: AGENT_ID, label: "e2e" });
      const agent = spawn(debugBinary("guruconnect-agent"), ["run", "--server", `ws://127.0.0.1:${gcPort}`, "--agent-id", AGENT_ID, "--display", display], {
        env: { ...xenv, GURUCONNECT_AGENT_KEY: key, GURUCONNECT_LOG_LEVEL: "info", GURUCONNECT_LOG_DIR: join(tmp, "agent-logs") },
        stdio: ["ignore", "ignore", agentLog],
      });
      children.push(agent);
      await until("the agent to come online", async () => {
        const m = await api<{ online: boolean }>("GET", `/api/machines/${AGENT_ID}`).catch(() => undefined);
        return m?.online ? true : undefined;
      });
    }

    const stack: Stack = {
      gcUrl,
      hostUrl,
      foreignUrl,
      display,
      admin,
      adminToken,
      tmp,
      x,
      spawnX: (program, args) => {
        const child = spawn(program, args, { env: xenv, stdio: "ignore" });
        children.push(child);
        return child;
      },
      screenshot: () => readXwd(execFileSync("xwd", ["-root", "-silent"], { env: xenv, maxBuffer: 64 << 20 })),
      api,
      viewerToken: async () => {
        const session = await api<{ id: string }>("POST", "/api/sessions", { agent_id: AGENT_ID });
        const { token } = await api<{ token: string }>("POST", `/api/sessions/${session.id}/viewer-token`);
        return { sessionId: session.id, token };
      },
      restartServer: async () => {
        await new Promise((done) => {
          server.once("exit", done);
          server.kill("SIGTERM");
        });
        out = "";
        server = startServer();
        children.push(server);
        server.stdout!.on("data", (d: Buffer) => (out += d.toString()));
        await until("the restarted server", () => (out.includes("listening") ? true : undefined));
      },
      stop: async () => {
        // Servers write their last records while they stop: the data goes only after they exit.
        await Promise.all(children.reverse().map(stopChild));
        for (const s of servers) s.close();
        rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
      },
    };
    return stack;
  } catch (e) {
    for (const child of children.reverse()) child.kill("SIGKILL");
    for (const s of servers) s.close();
    throw e;
  }
}
