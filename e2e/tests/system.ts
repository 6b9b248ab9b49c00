// The whole system for Native Remote Control, from the binaries as shipped (shipped.ts): a
// private Xvfb desktop; GuruConnect with its integration key, the RMM dashboard's origin
// allowed to frame its viewer, and this build of guruconnect-agent signed and published on its
// release channel; GuruRMM pointed at GuruConnect; a gururmm-agent enrolled with a site code
// that pins the release key. Logs land in test-results/.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstAdmin, freePort, startXvfb, stopChild, until } from "../../guruconnect/web/e2e/harness";
import { readXwd, type XwdImage } from "../../guruconnect/web/e2e/xwd";
import { shipped } from "./shipped";

const REPO = resolve(import.meta.dirname, "../..");
const bin = (name: string) => shipped(name);
export const SCREEN = { width: 1024, height: 768 };
export const DEVICE_ID = "e2e-endpoint";
export const RMM_ADMIN = { email: "admin@example.com", password: "Correct-Horse-Battery-9" };

export interface System {
  gcUrl: string;
  rmmUrl: string;
  foreignUrl: string;
  display: string;
  tmp: string;
  gcAdminToken: string;
  rmmToken: string;
  rmmAgentId: string;
  gcDataDir: string;
  releaseKey: string;
  x(program: string, args: string[]): string;
  spawnX(program: string, args: string[]): ChildProcess;
  screenshot(): XwdImage;
  gc<T>(method: string, path: string, body?: unknown): Promise<T>;
  rmm<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Publishes `file` as `version` on GuruConnect's release channel. */
  publish(version: string, file: string): void;
  restartGc(): Promise<void>;
  /** Stops the GuruConnect agents the RMM agent launched (they run detached). */
  stopGcAgents(): Promise<void>;
  stop(): Promise<void>;
}

async function json<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** A page on an origin nobody allowed, framing whatever `?src=` names. */
function foreignPages(): Server {
  return createServer((req, res) => {
    const src = new URL(req.url ?? "/", "http://x").searchParams.get("src") ?? "";
    res.setHeader("content-type", "text/html");
    res.end(`<!doctype html><title>foreign</title><iframe id="viewer" width="800" height="600" src="${src.replace(/"/g, "&quot;")}"></iframe>`);
  });
}

export async function startSystem(): Promise<System> {
  const children: ChildProcess[] = [];
  const servers: Server[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "nrc-e2e-"));
  const logs = resolve(import.meta.dirname, "../test-results");
  mkdirSync(logs, { recursive: true });
  const log = (name: string) => openSync(join(logs, `${name}.log`), "a");
  try {
    const display = await startXvfb(children, SCREEN.width, SCREEN.height);
    const xenv = { ...process.env, DISPLAY: display };
    const x = (program: string, args: string[]) => execFileSync(program, args, { env: xenv, encoding: "utf8" });

    const [gcPort, rmmPort, foreignPort] = [await freePort(), await freePort(), await freePort()];
    const gcUrl = `http://127.0.0.1:${gcPort}`;
    const rmmUrl = `http://127.0.0.1:${rmmPort}`;
    const foreignUrl = `http://127.0.0.1:${foreignPort}`;
    const foreign = foreignPages();
    await new Promise<void>((ok) => foreign.listen(foreignPort, "127.0.0.1", ok));
    servers.push(foreign);

    // GuruConnect: a release key, this build published, then the server.
    const gcDataDir = join(tmp, "gc");
    const integrationKey = randomBytes(24).toString("hex");
    const gcEnv = {
      ...process.env,
      GURUCONNECT_BIND: `127.0.0.1:${gcPort}`,
      GURUCONNECT_PUBLIC_URL: gcUrl,
      GURUCONNECT_DATA_DIR: gcDataDir,
      GURUCONNECT_WEB_DIR: join(REPO, "guruconnect/web/dist"),
      GURUCONNECT_EMBED_ALLOWED_ORIGINS: rmmUrl,
      GURUCONNECT_INTEGRATION_KEY: integrationKey,
      RUST_LOG: "info",
    };
    delete (gcEnv as Record<string, unknown>).GURUCONNECT_CONFIG;
    const signingKey = join(tmp, "release-signing.key");
    const keygen = execFileSync(bin("guruconnect-server"), ["release", "keygen", "--out", signingKey], { env: gcEnv, encoding: "utf8" });
    const releaseKey = /public key: (\S+)/.exec(keygen)![1];
    // Signed where it was built, then published on the server with the signature only.
    const publish = (version: string, file: string) => {
      const signature = join(tmp, `guruconnect-agent-${version}.sig`);
      const run = (args: string[]) =>
        execFileSync(bin("guruconnect-server"), args, { env: gcEnv, stdio: ["ignore", "ignore", log("gc-server")] });
      run(["release", "sign", "--signing-key", signingKey, "--file", file, "--out", signature]);
      run(["release", "publish", "--version", version, "--platform", "linux-x86_64", "--file", file, "--signature", signature]);
    };
    publish("0.0.1-e2e", bin("guruconnect-agent"));
    const startGc = () => {
      const child = spawn(bin("guruconnect-server"), ["serve"], { env: gcEnv, stdio: ["ignore", "pipe", log("gc-server")] });
      children.push(child);
      let out = "";
      child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
      return { child, output: () => out };
    };
    let gc = startGc();
    const gcAdmin = await firstAdmin(gc.output);
    const gcAdminToken = (await json<{ access_token: string }>(gcUrl, "", "POST", "/api/auth/login", gcAdmin)).access_token;

    // GuruRMM: an admin through its CLI, then the server pointed at GuruConnect.
    const rmmDataDir = join(tmp, "rmm");
    const rmmEnv = {
      ...process.env,
      RUST_LOG: "info",
      GURURMM_DASHBOARD_DIR: join(REPO, "gururmm/web/dist"),
      GURURMM_BOOTSTRAP_ADMIN: "false",
      GURURMM_CONNECT_URL: gcUrl,
      GURURMM_CONNECT_INTEGRATION_KEY: integrationKey,
    };
    delete (rmmEnv as Record<string, unknown>).GURURMM_CONFIG;
    const created = spawnSync(bin("gururmm-server"), ["--data-dir", rmmDataDir, "admin", "create", "--email", RMM_ADMIN.email, "--role", "admin"], {
      input: `${RMM_ADMIN.password}\n`,
      encoding: "utf8",
      env: rmmEnv,
    });
    if (created.status !== 0) throw new Error(`gururmm admin create: ${created.stderr}`);
    const rmmServer = spawn(bin("gururmm-server"), ["--data-dir", rmmDataDir, "--bind", `127.0.0.1:${rmmPort}`, "serve"], {
      env: rmmEnv,
      stdio: ["ignore", log("rmm-server"), log("rmm-server")],
    });
    children.push(rmmServer);
    await until("GuruRMM", async () => ((await fetch(`${rmmUrl}/health`).catch(() => null))?.ok ? true : undefined));
    const rmmToken = (await json<{ token: string }>(rmmUrl, "", "POST", "/api/auth/login", RMM_ADMIN)).token;
    const client = await json<{ id: string }>(rmmUrl, rmmToken, "POST", "/api/clients", { name: "Acme" });
    const site = await json<{ site_code: string }>(rmmUrl, rmmToken, "POST", "/api/sites", { client_id: client.id, name: "Head office" });

    // The endpoint: gururmm-agent on the desktop, trusting GuruConnect's release key.
    const agentDir = join(tmp, "rmm-agent");
    mkdirSync(agentDir, { recursive: true });
    const agentConfig = join(agentDir, "agent.toml");
    writeFileSync(
      agentConfig,
      [
        "[server]",
        `url = "ws://127.0.0.1:${rmmPort}/ws"`,
        `api_key = "${site.site_code}"`,
        "[agent]",
        `device_id = "${DEVICE_ID}"`,
        "heartbeat_interval_secs = 5",
        "reconnect_base_secs = 1",
        "reconnect_cap_secs = 2",
        "[remote_control]",
        `release_public_key = "${releaseKey}"`,
        // Its log files stay in the test's directory, not the machine's /var/log.
        "[logging]",
        `directory = "${join(agentDir, "logs")}"`,
        "",
      ].join("\n"),
    );
    const rmmAgent = spawn(bin("gururmm-agent"), ["--config", agentConfig, "run"], {
      env: { ...xenv, RUST_LOG: "info" },
      stdio: ["ignore", log("rmm-agent"), log("rmm-agent")],
    });
    children.push(rmmAgent);
    const rmmAgentId = await until("the RMM agent online", async () => {
      const page = await json<{ items: { id: string; status: string }[] }>(rmmUrl, rmmToken, "GET", "/api/agents?status=online");
      return page.items[0]?.id;
    });

    return {
      gcUrl,
      rmmUrl,
      foreignUrl,
      display,
      tmp,
      gcAdminToken,
      rmmToken,
      rmmAgentId,
      gcDataDir,
      releaseKey,
      x,
      spawnX: (program, args) => {
        const child = spawn(program, args, { env: xenv, stdio: "ignore" });
        children.push(child);
        return child;
      },
      screenshot: () => readXwd(execFileSync("xwd", ["-root", "-silent"], { env: xenv, maxBuffer: 64 << 20 })),
      gc: (method, path, body) => json(gcUrl, gcAdminToken, method, path, body),
      rmm: (method, path, body) => json(rmmUrl, rmmToken, method, path, body),
      publish,
      restartGc: async () => {
        await new Promise((done) => {
          gc.child.once("exit", done);
          gc.child.kill("SIGTERM");
        });
        gc = startGc();
        await until("GuruConnect back", () => (gc.output().includes("listening") ? true : undefined));
      },
      stopGcAgents: async () => {
        // Matched by their binary's path, which only this run's cache holds.
        const launched = join(agentDir, "guruconnect") + "/";
        spawnSync("pkill", ["-f", launched]);
        await until("the GuruConnect agents to stop", () => (spawnSync("pgrep", ["-f", launched]).status === 1 ? true : undefined));
      },
      stop: async () => {
        spawnSync("pkill", ["-f", join(agentDir, "guruconnect") + "/"]);
        // Servers write their last records while they stop: the data goes only after they exit.
        await Promise.all(children.reverse().map(stopChild));
        for (const s of servers) s.close();
        rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
      },
    };
  } catch (e) {
    for (const child of children.reverse()) child.kill("SIGKILL");
    for (const s of servers) s.close();
    throw e;
  }
}
