/** Runs a real OpenID provider (tests/helpers/oidc-provider.mjs) as a child process for a test's life. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Role } from '../../shared/permissions';
import { invite, type Invited } from './people';
import { waitFor } from './wait';

const SCRIPT = path.resolve(__dirname, 'oidc-provider.mjs');

export const OIDC_CLIENT_ID = 'liveblog-desk';
export const OIDC_CLIENT_SECRET = 'oidc-test-client-secret-0123456789abcdef';

export interface OidcAccount {
  email: string;
  email_verified: boolean;
  name: string;
}

/**
 * The provider's accounts the single sign-on tests sign in as (by `login`): Olena (invited; her email in
 * another case than the desk's), a stranger nobody invited, Ivan (his email not verified) and Dana (to
 * be disabled).
 */
export const OIDC_ACCOUNTS = {
  olena: { email: 'Olena.Kovalenko@newsroom.test', email_verified: true, name: 'O. Kovalenko (provider)' },
  stranger: { email: 'stranger@elsewhere.test', email_verified: true, name: 'Stranger' },
  ivan: { email: 'ivan@newsroom.test', email_verified: false, name: 'Ivan' },
  dana: { email: 'dana@newsroom.test', email_verified: true, name: 'Dana' },
} satisfies Record<string, OidcAccount>;

export type OidcLogin = keyof typeof OIDC_ACCOUNTS;

/** The desk's own names for them: what it shows is its own record, never the provider's name. */
const DESK_NAMES: Record<OidcLogin, string> = {
  olena: 'Olena Kovalenko',
  stranger: 'Stranger',
  ivan: 'Ivan Petrenko',
  dana: 'Dana Shevchenko',
};

/** Invites (as the admin) the person of a provider's account, by its email in lower case, on every blog. */
export function inviteAccount(url: string, login: OidcLogin, role: Role = 'editor'): Promise<Invited> {
  return invite(url, { email: OIDC_ACCOUNTS[login].email.toLowerCase(), name: DESK_NAMES[login], role, blogs: ['*'] });
}

export interface OidcProvider {
  /** Its issuer identifier, `http://127.0.0.1:<port>`. */
  issuer: string;
  port: number;
  stderr(): string;
  /** Stops it and waits until it has gone. */
  stop(): Promise<void>;
}

export async function startOidcProvider(options: {
  redirectUri: string;
  /** @default OIDC_ACCOUNTS */
  accounts?: Record<string, OidcAccount>;
  /** @default any free port */
  port?: number;
  clientId?: string;
  clientSecret?: string;
}): Promise<OidcProvider> {
  const child: ChildProcess = spawn(process.execPath, [SCRIPT], {
    env: {
      PATH: process.env.PATH,
      OIDC_PORT: String(options.port ?? 0),
      OIDC_CLIENT: JSON.stringify({
        client_id: options.clientId ?? OIDC_CLIENT_ID,
        client_secret: options.clientSecret ?? OIDC_CLIENT_SECRET,
        redirect_uri: options.redirectUri,
      }),
      OIDC_ACCOUNTS: JSON.stringify(options.accounts ?? OIDC_ACCOUNTS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const issuer = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`the OpenID provider exited with ${child.exitCode}: ${stderr}`);
      return /^READY (\S+)$/m.exec(stdout)?.[1];
    },
    'the OpenID provider to listen',
    15_000,
  ).catch((error: Error) => {
    child.kill('SIGKILL');
    throw error;
  });
  return {
    issuer,
    port: Number(new URL(issuer).port),
    stderr: () => stderr,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The answer the service gave at the end of a sign-in walked without a browser. */
export interface WalkedSignIn {
  /** The provider's redirect back to the service, as the browser would have followed it. */
  callbackUrl: URL;
  /** The service's answer to that callback. */
  response: Response;
  /** The service's cookies after the callback (name → value; cleared ones removed). */
  cookies: Map<string, string>;
}

/**
 * A browser's walk through single sign-on, with fetch: the service's /auth/oidc/login, the provider's
 * development sign-in page (`login` typed, any password) and its consent page, then the service's
 * callback. `beforeCallback` may change the callback URL or the cookies sent with it (to tamper with
 * them); `cancel` presses the provider's Cancel instead of signing in.
 */
export async function walkSignIn(
  appUrl: string,
  login: string,
  options: {
    cancel?: boolean;
    beforeCallback?: (url: URL, cookies: Map<string, string>) => URL | void;
  } = {},
): Promise<WalkedSignIn> {
  const jars = new Map<string, Map<string, string>>();
  const jar = (url: URL) => jars.get(url.origin) ?? jars.set(url.origin, new Map()).get(url.origin)!;
  const send = async (url: URL, init: RequestInit = {}, cookies = jar(url)) => {
    const cookie = [...cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...(cookie ? { cookie } : {}), ...init.headers } });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const [name, value] = [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()];
      const gone = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]) < Date.now()),
      );
      if (gone || !value) jar(url).delete(name);
      else jar(url).set(name, value);
    }
    return response;
  };
  const appOrigin = new URL(appUrl).origin;
  let url = new URL('/auth/oidc/login', appUrl);
  let response = await send(url);
  for (let step = 0; step < 20; step++) {
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location')!, url);
      if (url.origin === appOrigin && url.pathname === '/auth/oidc/callback') {
        const cookies = new Map(jar(url));
        const changed = options.beforeCallback?.(url, cookies);
        const callbackUrl = changed ?? url;
        const answer = await send(callbackUrl, {}, cookies);
        return { callbackUrl, response: answer, cookies: jar(url) };
      }
      response = await send(url);
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`the provider answered ${response.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    if (options.cancel) {
      const abort = /<a href="([^"]+\/abort)"/.exec(html)?.[1];
      if (!abort) throw new Error(`no Cancel link at ${url.pathname}`);
      url = new URL(abort, url);
      response = await send(url);
      continue;
    }
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (!action) throw new Error(`no form at ${url.pathname}: ${html.slice(0, 300)}`);
    const fields = new URLSearchParams();
    for (const [, name, value] of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) fields.set(name, value);
    if (/name="login"/.test(html)) {
      fields.set('login', login);
      fields.set('password', 'any password will do');
    }
    url = new URL(action, url);
    response = await send(url, { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }
  throw new Error('the sign-in did not come back to the service in 20 steps');
}
