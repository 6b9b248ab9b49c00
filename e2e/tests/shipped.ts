// The journeys' world, built from the artefacts as shipped: the release binaries `./dev`
// builds one package at a time (GURU_SHIPPED_DIR, else target/release), so no test-only
// feature reaches them. GuruConnect serves HTTPS and wss:// with a certificate from a private
// CA made here with openssl, as an MSP without a public certificate would run it; GuruRMM
// trusts that CA through its documented setting and hands it to machines in its enrolment
// instructions. A "machine" runs those instructions as displayed, in a mount namespace of its
// own (see machine.ts). Logs land in test-results/.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { firstAdmin, freePort, startXvfb, stopChild, until } from "../../guruconnect/web/e2e/harness";
import { readXwd, type XwdImage } from "../../guruconnect/web/e2e/xwd";

const REPO = resolve(import.meta.dirname, "../..");
export const SCREEN = { width: 1024, height: 768 };
export const RMM_ADMIN = { email: "admin@example.com", password: "Correct-Horse-Battery-9" };

/** A binary as `./dev run` ships it; missing means it was never built that way. */
export function shipped(name: string): string {
  const target = process.env.CARGO_TARGET_DIR ? resolve(REPO, process.env.CARGO_TARGET_DIR) : join(REPO, "target");
  const path = join(process.env.GURU_SHIPPED_DIR ?? join(target, "release"), name);
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: the journeys test the binaries as shipped; build them with ./dev shipped`);
  }
  return path;
}

/** A CA of the test's own and a certificate it issued for localhost and 127.0.0.1. */
function privateCa(dir: string): { ca: string; cert: string; key: string } {
  const at = (name: string) => join(dir, name);
  const openssl = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-keyout", at("ca.key"), "-out", at("ca.pem"), "-subj", "/CN=Journey test CA",
    "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", "/CN=localhost"]);
  writeFileSync(at("server.ext"), [
    "subjectAltName=DNS:localhost,IP:127.0.0.1",
    "basicConstraints=CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "extendedKeyUsage=serverAuth",
  ].join("\n"));
  openssl(["x509", "-req", "-in", at("server.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial",
    "-days", "2", "-out", at("server.pem"), "-extfile", at("server.ext")]);
  return { ca: at("ca.pem"), cert: at("server.pem"), key: at("server.key") };
}

export interface World {
  tmp: string;
  /** GuruConnect's first admin (the technician of its own console). */
  gcAdmin: { username: string; password: string };
  display: string;
  /** GuruConnect as browsers and agents reach it: https://localhost:<port>. */
  gcUrl: string;
  rmmUrl: string;
  caPem: string;
  gcDataDir: string;
  logs: string;
  x(program: string, args: string[]): string;
  spawnX(program: string, args: string[], env?: Record<string, string>): ChildProcess;
  screenshot(): XwdImage;
  gc<T>(method: string, path: string, body?: unknown): Promise<T>;
  rmm<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Stops GuruConnect (an outage) and starts it again on the same data. */
  stopGc(): Promise<void>;
  startGc(): Promise<void>;
  /** Runs SQL on GuruConnect's database (what a cloned or moved machine would leave there). */
  gcSql(sql: string, ...params: string[]): string;
  log(name: string): number;
  stop(): Promise<void>;
}

/** A JSON API call; over https it trusts `ca` (Node's fetch takes extra roots only at start). */
async function json<T>(base: string, token: string, method: string, path: string, body?: unknown, ca?: string): Promise<T> {
  const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const { status, text } = base.startsWith("https:")
    ? await new Promise<{ status: number; text: string }>((ok, fail) => {
        const req = httpsRequest(base + path, { method, headers, ca: ca ? readFileSync(ca) : undefined }, (res) => {
          let text = "";
          res.on("data", (d: Buffer) => (text += d.toString()));
          res.on("end", () => ok({ status: res.statusCode ?? 0, text }));
        });
        req.on("error", fail);
        req.end(payload);
      })
    : await fetch(base + path, { method, headers, body: payload }).then(async (r) => ({ status: r.status, text: await r.text() }));
  if (status < 200 || status > 299) throw new Error(`${method} ${path}: ${status} ${text}`);
  return (status === 204 ? undefined : JSON.parse(text)) as T;
}

export async function startWorld(): Promise<World> {
  const children: ChildProcess[] = [];
  const tmp = mkdtempSync(join(tmpdir(), "journeys-"));
  const logs = resolve(import.meta.dirname, "../test-results");
  mkdirSync(logs, { recursive: true });
  const log = (name: string) => openSync(join(logs, `${name}.log`), "a");
  try {
    const display = await startXvfb(children, SCREEN.width, SCREEN.height);
    const xenv = { ...process.env, DISPLAY: display };
    const x = (program: string, args: string[]) => execFileSync(program, args, { env: xenv, encoding: "utf8" });
    const tls = privateCa(tmp);

    const [gcPort, rmmPort] = [await freePort(), await freePort()];
    const gcUrl = `https://localhost:${gcPort}`;
    const rmmUrl = `http://127.0.0.1:${rmmPort}`;

    const gcDataDir = join(tmp, "gc");
    const integrationKey = randomBytes(24).toString("hex");
    const gcEnv: NodeJS.ProcessEnv = {
      ...process.env,
      GURUCONNECT_BIND: `127.0.0.1:${gcPort}`,
      GURUCONNECT_PUBLIC_URL: gcUrl,
      GURUCONNECT_DATA_DIR: gcDataDir,
      GURUCONNECT_WEB_DIR: join(REPO, "guruconnect/web/dist"),
      GURUCONNECT_EMBED_ALLOWED_ORIGINS: rmmUrl,
      GURUCONNECT_INTEGRATION_KEY: integrationKey,
      GURUCONNECT_TLS_CERT: tls.cert,
      GURUCONNECT_TLS_KEY: tls.key,
      RUST_LOG: "info",
    };
    delete gcEnv.GURUCONNECT_CONFIG;
    const signing = join(tmp, "release-signing.key");
    const keygen = execFileSync(shipped("guruconnect-server"), ["release", "keygen", "--out", signing], { env: gcEnv, encoding: "utf8" });
    const releaseKey = /public key: (\S+)/.exec(keygen)![1];
    const version = execFileSync(shipped("guruconnect-agent"), ["--version"], { encoding: "utf8" }).trim().split(/\s+/)[1];
    // Signed where it was built, then published on the server with the signature only.
    const signature = join(tmp, "guruconnect-agent.sig");
    const release = (args: string[]) =>
      execFileSync(shipped("guruconnect-server"), ["release", ...args], { env: gcEnv, stdio: ["ignore", "ignore", log("gc-server")] });
    release(["sign", "--signing-key", signing, "--file", shipped("guruconnect-agent"), "--out", signature]);
    release(["publish", "--version", version, "--platform", "linux-x86_64", "--file", shipped("guruconnect-agent"), "--signature", signature]);
    let gcOut = "";
    const startGc = () => {
      const child = spawn(shipped("guruconnect-server"), ["serve"], { env: gcEnv, stdio: ["ignore", "pipe", log("gc-server")] });
      children.push(child);
      child.stdout!.on("data", (d: Buffer) => (gcOut += d.toString()));
      return child;
    };
    let gc = startGc();
    const gcAdmin = await firstAdmin(() => gcOut);
    const gcToken = (await json<{ access_token: string }>(gcUrl, "", "POST", "/api/auth/login", gcAdmin, tls.ca)).access_token;

    const rmmDataDir = join(tmp, "rmm");
    const rmmEnv: NodeJS.ProcessEnv = {
      ...process.env,
      RUST_LOG: "info",
      GURURMM_DASHBOARD_DIR: join(REPO, "gururmm/web/dist"),
      GURURMM_BOOTSTRAP_ADMIN: "false",
      GURURMM_CONNECT_URL: gcUrl,
      GURURMM_CONNECT_INTEGRATION_KEY: integrationKey,
      GURURMM_CONNECT_CA_CERT: tls.ca,
      GURURMM_CONNECT_RELEASE_PUBLIC_KEY: releaseKey,
    };
    delete rmmEnv.GURURMM_CONFIG;
    const created = spawnSync(shipped("gururmm-server"), ["--data-dir", rmmDataDir, "admin", "create", "--email", RMM_ADMIN.email, "--role", "admin"], {
      input: `${RMM_ADMIN.password}\n`,
      encoding: "utf8",
      env: rmmEnv,
    });
    if (created.status !== 0) throw new Error(`gururmm admin create: ${created.stderr}`);
    const rmm = spawn(shipped("gururmm-server"), ["--data-dir", rmmDataDir, "--bind", `127.0.0.1:${rmmPort}`, "serve"], {
      env: rmmEnv,
      stdio: ["ignore", log("rmm-server"), log("rmm-server")],
    });
    children.push(rmm);
    await until("GuruRMM", async () => ((await fetch(`${rmmUrl}/health`).catch(() => null))?.ok ? true : undefined));
    const rmmToken = (await json<{ token: string }>(rmmUrl, "", "POST", "/api/auth/login", RMM_ADMIN)).token;

    return {
      tmp,
      gcAdmin,
      display,
      gcUrl,
      rmmUrl,
      caPem: tls.ca,
      gcDataDir,
      logs,
      x,
      spawnX: (program, args, env = {}) => {
        const child = spawn(program, args, { env: { ...xenv, ...env }, stdio: ["ignore", log(program.split("/").pop()!), log(program.split("/").pop()!)] });
        children.push(child);
        return child;
      },
      screenshot: () => readXwd(execFileSync("xwd", ["-root", "-silent"], { env: xenv, maxBuffer: 64 << 20 })),
      gc: (method, path, body) => json(gcUrl, gcToken, method, path, body, tls.ca),
      rmm: (method, path, body) => json(rmmUrl, rmmToken, method, path, body),
      gcSql: (sql, ...params) =>
        execFileSync("python3", ["-c", "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], timeout=10); r=c.execute(sys.argv[2], sys.argv[3:]).fetchall(); c.commit(); print(r)",
          join(gcDataDir, "guruconnect.db"), sql, ...params], { encoding: "utf8" }),
      log,
      stopGc: () => stopChild(gc),
      startGc: async () => {
        gcOut = "";
        gc = startGc();
        await until("GuruConnect back", () => (gcOut.includes("listening") ? true : undefined));
      },
      stop: async () => {
        await Promise.all(children.reverse().map(stopChild));
        rmSync(tmp, { recursive: true, force: true, maxRetries: 5 });
      },
    };
  } catch (e) {
    for (const child of children.reverse()) child.kill("SIGKILL");
    throw e;
  }
}
