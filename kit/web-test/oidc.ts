// The test identity provider (kit/oidc-provider, a real OpenID Connect provider) for the
// browser suites of both consoles: started with one client that may return to `redirectUri`
// and the people it knows; people sign in on its form with any password.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export interface Person {
  login: string;
  email: string;
  email_verified: boolean;
}

export const CLIENT_ID = "console";
export const CLIENT_SECRET = "a client secret long enough for a provider";

export interface Provider {
  issuer: string;
  child: ChildProcess;
}

export async function startProvider(redirectUri: string, people: Person[]): Promise<Provider> {
  const dir = resolve(import.meta.dirname, "../oidc-provider");
  if (!existsSync(join(dir, "node_modules/oidc-provider"))) {
    throw new Error("the test identity provider is not installed: run scripts/oidc-deps.sh (./dev test does)");
  }
  const accounts = Object.fromEntries(
    people.map((p) => [p.login, { email: p.email, email_verified: p.email_verified, name: p.login }]),
  );
  const child = spawn("node", ["provider.mjs"], {
    cwd: dir,
    env: {
      ...process.env,
      OIDC_CLIENTS: JSON.stringify([{ client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri] }]),
      OIDC_ACCOUNTS: JSON.stringify(accounts),
      // Another site than the consoles (127.0.0.1), as a real provider is: the flow's cookies
      // must work across sites.
      OIDC_HOST: "localhost",
    },
    stdio: ["pipe", "pipe", "ignore"],
  });
  const issuer = await new Promise<string>((ok, fail) => {
    let out = "";
    const timer = setTimeout(() => fail(new Error("the identity provider did not start in 30 s")), 30_000);
    child.on("error", (e) => fail(e));
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n")[0];
      if (out.includes("\n")) {
        clearTimeout(timer);
        ok(JSON.parse(line).issuer);
      }
    });
  });
  return { issuer, child };
}

/** The environment a server of `product` (`GURUCONNECT` or `GURURMM`) needs to use it. */
export function ssoEnv(product: string, provider: Provider, name: string): Record<string, string> {
  return {
    [`${product}_SSO_ISSUER`]: provider.issuer,
    [`${product}_SSO_CLIENT_ID`]: CLIENT_ID,
    [`${product}_SSO_CLIENT_SECRET`]: CLIENT_SECRET,
    [`${product}_SSO_NAME`]: name,
  };
}
