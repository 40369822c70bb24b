/**
 * A real OpenID provider for the single sign-on tests (oidc-provider, which is ES modules only and so
 * cannot run inside Jest): run as a child process by tests/helpers/oidc.ts. Settings come in the
 * environment:
 *   OIDC_PORT      the port to listen on (0: any free one)
 *   OIDC_CLIENT    JSON { client_id, client_secret, redirect_uri }: the one client it knows
 *   OIDC_ACCOUNTS  JSON { <login>: { email, email_verified, name } }: who may sign in (the login typed
 *                  on its development sign-in page is the account's id, `sub`; any password does)
 * It prints `READY <issuer>` once it listens, and stops on SIGTERM.
 */
import http from 'node:http';
import { Provider } from 'oidc-provider';

const client = JSON.parse(process.env.OIDC_CLIENT ?? '{}');
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS ?? '{}');
const server = http.createServer();

server.listen(Number(process.env.OIDC_PORT ?? 0), '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: client.client_id,
        client_secret: client.client_secret,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: [client.redirect_uri],
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    // Every authorization request must carry an S256 code challenge: a client without PKCE is refused.
    pkce: { methods: ['S256'], required: () => true },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    // The scopes' claims go in the ID token as well as in userinfo (the service reads userinfo).
    conformIdTokenClaims: false,
    features: { devInteractions: { enabled: true } },
    cookies: { keys: ['oidc-provider-test-cookie-key-0123456789'] },
    async findAccount(_ctx, sub) {
      const account = accounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
  });
  // Its development warnings (in-memory adapter, development keys, devInteractions) are expected here.
  provider.on('server_error', (_ctx, error) => process.stderr.write(`oidc-provider server_error: ${error.stack}\n`));
  server.on('request', provider.callback());
  process.stdout.write(`READY ${issuer}\n`);
});

// Exit at once: keep-alive connections from the browser would hold a graceful close open.
process.on('SIGTERM', () => process.exit(0));
