// The README's one command, as a new user runs it: `./dev run` on an empty data directory
// builds what it ships, starts both servers and ends with a summary — after all the build
// output — whose first admins sign in to both products; Remote Control is wired (the release
// key GuruRMM hands its enrolment instructions); Ctrl+C stops both servers.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, test } from "@playwright/test";
import { freePort, until } from "../../guruconnect/web/e2e/harness";

const REPO = resolve(import.meta.dirname, "../..");

test.setTimeout(15 * 60_000);

async function login(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

test("./dev run: both servers up, a summary after the build output, admins that sign in, Ctrl+C stops both", async () => {
  const data = mkdtempSync(join(tmpdir(), "dev-run-"));
  const [gcPort, rmmPort] = [await freePort(), await freePort()];
  const gcUrl = `http://127.0.0.1:${gcPort}`;
  const rmmUrl = `http://127.0.0.1:${rmmPort}`;
  let output = "";
  // Its own process group, as a terminal's job would be: Ctrl+C reaches all of it.
  const run: ChildProcess = spawn(join(REPO, "dev"), ["run"], {
    cwd: REPO,
    env: { ...process.env, GURU_DEV_DATA: data, GURUCONNECT_BIND: `127.0.0.1:${gcPort}`, GURURMM_BIND: `127.0.0.1:${rmmPort}` },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  run.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  run.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  try {
    await until("the summary", () => (/Ctrl\+C stops both servers\.\n=+/.test(output) ? true : undefined), 14 * 60_000);
    const summary = output.slice(output.lastIndexOf("GuruConnect  http"));
    expect(summary).toContain(`GuruConnect  ${gcUrl}`);
    expect(summary).toContain(`GuruRMM      ${rmmUrl}`);
    // Nothing of the build follows it: it is the last thing on screen.
    expect(summary).not.toMatch(/Compiling|Finished|vite|built in/);

    const gc = /sign in with the username: (\S+) password: (\S+)/.exec(summary);
    const rmm = /sign in with the email:\s+(\S+) password: (\S+)/.exec(summary);
    expect(gc, summary).not.toBeNull();
    expect(rmm, summary).not.toBeNull();
    expect((await login(gcUrl, { username: gc![1], password: gc![2] })).status).toBe(200);
    const signedIn = await login(rmmUrl, { email: rmm![1], password: rmm![2] });
    expect(signedIn.status).toBe(200);

    // Remote Control is wired, and the enrolment instructions will pin the release key.
    const status = await fetch(`${rmmUrl}/api/remote-control/status`, {
      headers: { authorization: `Bearer ${String(signedIn.json.token)}` },
    }).then((r) => r.json());
    expect(status).toMatchObject({ configured: true, available: true });
    expect(status.release_public_key).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    // The release signing key lives outside the servers' data directories, and the summary
    // says where; GuruConnect's data directory holds no key, only the signed build.
    const signingKey = join(data, "release-signing.key");
    expect(summary).toContain(signingKey);
    expect(existsSync(signingKey)).toBe(true);
    const seed = readFileSync(signingKey, "utf8").trim();
    for (const file of filesUnder(join(data, "guruconnect"))) {
      expect(readFileSync(file).includes(seed), file).toBe(false);
    }
  } finally {
    if (run.exitCode === null) process.kill(-run.pid!, "SIGINT");
    await until("./dev run to stop", () => (run.exitCode !== null || run.signalCode !== null ? true : undefined), 30_000);
    rmSync(data, { recursive: true, force: true });
  }
  // Both servers went with it.
  for (const url of [gcUrl, rmmUrl]) {
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  }
});
