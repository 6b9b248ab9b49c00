// Process plumbing the browser suites share (this one and the system suite in e2e/): free
// loopback ports, polling, a private Xvfb, stopping children, and the first admin a
// guruconnect-server prints on its first start.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { type AddressInfo, createServer } from "node:net";

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  await new Promise((ok) => server.close(ok));
  return port;
}

/** Polls `check` until it returns a value; a throwing check counts as "not yet". */
export async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts Xvfb on a display it picks itself and waits until clients can connect. */
export async function startXvfb(children: ChildProcess[], width: number, height: number): Promise<string> {
  const xvfb = spawn("Xvfb", ["-displayfd", "1", "-screen", "0", `${width}x${height}x24`, "-nolisten", "tcp", "-noreset"], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  children.push(xvfb);
  const display = await new Promise<string>((ok, fail) => {
    xvfb.on("error", () => fail(new Error("Xvfb is not installed: run scripts/x11-deps.sh")));
    xvfb.stdout!.once("data", (d: Buffer) => ok(`:${d.toString().trim()}`));
  });
  await until("Xvfb", () => (execFileSync("xdpyinfo", [], { env: { ...process.env, DISPLAY: display } }) ? true : undefined));
  return display;
}

/** SIGTERM, then SIGKILL if the process has not exited within ten seconds. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** The credentials guruconnect-server prints on its first start, once it listens. */
export function firstAdmin(output: () => string): Promise<{ username: string; password: string }> {
  return until("the first admin's credentials", () => {
    const out = output();
    const username = /username: (\S+)/.exec(out)?.[1];
    const password = /password: (\S+)/.exec(out)?.[1];
    return username && password && out.includes("listening") ? { username, password } : undefined;
  });
}
