// A real OpenID provider on localhost for the single sign-on journey
// (tests/browser/sso.rs): `oidc-provider` (certified by the OpenID
// Foundation) with its development login form, which signs in any login with
// any password. The login typed is the account: its `sub` and `email`
// (verified), and its name is the part before the `@`, capitalised.
//
//   node oidc_provider.mjs PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET
//
// Listens on 127.0.0.1:PORT only and prints "ready" once it accepts requests.
// The test that starts it stops it.
import Provider from 'oidc-provider';

const [port, redirectUri, clientId, clientSecret] = process.argv.slice(2);
if (!port || !redirectUri || !clientId || !clientSecret) {
  console.error('usage: node oidc_provider.mjs PORT REDIRECT_URI CLIENT_ID CLIENT_SECRET');
  process.exit(2);
}

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  async findAccount(ctx, id) {
    const local = id.split('@')[0];
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: id,
          email_verified: true,
          name: local.charAt(0).toUpperCase() + local.slice(1),
        };
      },
    };
  },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['canopy-browser-suite-only'] },
});

const server = provider.listen(Number(port), '127.0.0.1', () => {
  console.log('ready');
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
