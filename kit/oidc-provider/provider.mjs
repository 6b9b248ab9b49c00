// A real OpenID Connect provider (npm oidc-provider) for the single sign-on tests of both
// servers: authorization code flow with PKCE, signed ID tokens, a JWKS, userinfo. People sign in
// on its development login form (any password); consent is implied, as for a first-party app.
//
// Configured by environment, JSON:
//   OIDC_CLIENTS   [{client_id, client_secret, redirect_uris}]
//   OIDC_ACCOUNTS  {"<login>": {email, email_verified, name}}
//   OIDC_HOST      the issuer's host name (default 127.0.0.1; `localhost` makes the provider
//                  another site than a console on 127.0.0.1, as a real provider is)
// Listens on 127.0.0.1 on a free port and prints one JSON line, {"issuer": "http://…"}, once
// ready. Exits when its standard input closes, so it never outlives the test that started it.
import http from "node:http";
import Provider from "oidc-provider";

const clients = JSON.parse(process.env.OIDC_CLIENTS ?? "[]");
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? "{}");

function configuration() {
  return {
    clients: clients.map((c) => ({
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      ...c,
    })),
    claims: {
      openid: ["sub"],
      email: ["email", "email_verified"],
      profile: ["name"],
    },
    async findAccount(_ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, ...account }) };
    },
    // First-party: every client gets the scopes it asks for without a consent screen.
    async loadExistingGrant(ctx) {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client.clientId,
        accountId: ctx.oidc.session.accountId,
      });
      grant.addOIDCScope("openid email profile");
      await grant.save();
      return grant;
    },
    pkce: { required: () => true, methods: ["S256"] },
    cookies: { keys: ["test-provider-cookie-key"] },
    features: { devInteractions: { enabled: true } },
  };
}

const server = http.createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://${process.env.OIDC_HOST ?? "127.0.0.1"}:${server.address().port}`;
  const provider = new Provider(issuer, configuration());
  server.on("request", provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
