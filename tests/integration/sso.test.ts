/**
 * Single sign-on without a browser, against a real OpenID provider (oidc-provider in a child process):
 * the authorization request (PKCE S256, state, nonce), a sign-in that finds the invited person, and every
 * refusal — an email nobody was invited with, an unverified email, a disabled person, a state tampered
 * with, a callback replayed or from another browser, a cancel at the provider, a provider that is down —
 * each with its status and a check that no session, person or sign-in was left behind.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import type { UserInfo } from '../../shared/schemas';
import { createLogger } from '../../server/logger';
import { request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { inviteAccount, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET, startOidcProvider, walkSignIn, type OidcProvider } from '../helpers/oidc';
import { freePort } from '../helpers/process';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('sso');
const cleaner = prefixCleaner(prefix);
const logLines: string[] = [];
let provider: OidcProvider;
let server: TestServer;
const people: Record<string, UserInfo> = {};

const sessionKeys = () => cleaner.redis.keys(`${prefix}session:*`);
const signInKeys = () => cleaner.redis.keys(`${prefix}oidc:*`);
const listPeople = async () => (await request<{ users: UserInfo[] } | UserInfo[]>(server.url, 'GET', '/api/users')).body;
const me = (cookie: string) =>
  request<{ name: string; email?: string; kind: string; source: string }>(server.url, 'GET', '/api/me', {
    token: null,
    headers: { cookie },
  });

beforeAll(async () => {
  // The service's port first: the provider must know the redirect URI, the service the issuer.
  const port = await freePort();
  provider = await startOidcProvider({ redirectUri: `http://127.0.0.1:${port}/auth/oidc/callback` });
  const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }));
  server = await startServer({
    prefix,
    port,
    logger,
    oidc: { issuer: provider.issuer, clientId: OIDC_CLIENT_ID, clientSecret: OIDC_CLIENT_SECRET, name: 'Newsroom ID' },
  });
  people.olena = await inviteAccount(server.url, 'olena');
  people.ivan = await inviteAccount(server.url, 'ivan', 'contributor');
  people.dana = await inviteAccount(server.url, 'dana');
  expect((await request(server.url, 'PATCH', `/api/users/${people.dana.id}`, { body: { disabled: true } })).status).toBe(200);
});

afterAll(async () => {
  await server?.stop();
  await provider?.stop();
  await cleaner.cleanup();
});

describe('single sign-on', () => {
  it('the desk offers "Sign in with Newsroom ID"', async () => {
    const page = await (await fetch(`${server.url}/editor`)).text();
    expect(page).toMatch(/<a [^>]*href="\/auth\/oidc\/login"[^>]*>Sign in with Newsroom ID<\/a>/);
  });

  it('starts at the provider with PKCE (S256), a state and a nonce, kept server-side in a short-lived HttpOnly cookie’s name', async () => {
    const response = await fetch(`${server.url}/auth/oidc/login`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location')!);
    expect(location.origin).toBe(provider.issuer);
    const query = Object.fromEntries(location.searchParams);
    expect(query).toMatchObject({
      client_id: OIDC_CLIENT_ID,
      response_type: 'code',
      scope: 'openid email profile',
      redirect_uri: `${server.url}/auth/oidc/callback`,
      code_challenge_method: 'S256',
    });
    expect(query.code_challenge).toMatch(/^[\w-]{43}$/);
    expect(query.state).toMatch(/^[\w-]{43}$/);
    expect(query.nonce).toMatch(/^[\w-]{43}$/);
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('lb_oidc='))!;
    expect(cookie).toMatch(/^lb_oidc=[\w-]{43}; Max-Age=300; Path=\/auth\/oidc; HttpOnly; SameSite=Lax$/);
    // Neither the verifier nor the state travels in the cookie: it is only the sign-in's random id.
    expect(cookie).not.toContain(query.state);
    const keys = await signInKeys();
    expect(keys.length).toBeGreaterThanOrEqual(1);
    const ttl = await cleaner.redis.pttl(keys[0]);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300_000);
  });

  it('signs an invited person in as themselves (matched by verified email, any case) and activates them', async () => {
    expect(people.olena.activatedAt).toBeUndefined();
    const before = await sessionKeys();
    let signInCookie = '';
    const { response, cookies, callbackUrl } = await walkSignIn(server.url, 'olena', {
      beforeCallback: (_url, sent) => void (signInCookie = `lb_oidc=${sent.get('lb_oidc')}`),
    });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/editor');
    const session = cookies.get('lb_session');
    expect(session).toMatch(/^[\w-]{43}$/);
    expect(cookies.has('lb_oidc')).toBe(false);
    const answer = await me(`lb_session=${session}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      name: 'Olena Kovalenko',
      email: 'olena.kovalenko@newsroom.test',
      kind: 'editor',
      source: 'session',
    });
    expect((await sessionKeys()).length).toBe(before.length + 1);
    const olena = (await request<UserInfo>(server.url, 'GET', `/api/users/${people.olena.id}`)).body;
    expect(olena.activatedAt).toEqual(expect.any(String));
    // The sign-in under way was taken: the same callback again (a replay of the code) signs nobody in.
    const replay = await fetch(callbackUrl, { redirect: 'manual', headers: { cookie: signInCookie } });
    expect(replay.status).toBe(400);
    expect(await replay.text()).toMatch(/was already used/);
    expect(replay.headers.getSetCookie().some((line) => line.startsWith('lb_session=') && !line.startsWith('lb_session=;'))).toBe(false);
  });

  it.each([
    ['stranger', 'an email nobody was invited with', /No one on this desk has the email address stranger@elsewhere\.test/],
    ['ivan', 'an email the provider has not verified', /Newsroom ID has not verified the email address ivan@newsroom\.test/],
    ['dana', 'a disabled person', /The account for dana@newsroom\.test is disabled/],
  ])('refuses %s (%s) with 403, a page saying why and the way back, and nothing made', async (login, _what, reason) => {
    const peopleBefore = await listPeople();
    const sessionsBefore = await sessionKeys();
    const { response, cookies } = await walkSignIn(server.url, login);
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toMatch(reason);
    expect(page).toContain('<a href="/editor">Back to the desk</a>');
    expect(cookies.has('lb_session')).toBe(false);
    expect(await sessionKeys()).toEqual(sessionsBefore);
    expect(await listPeople()).toEqual(peopleBefore);
  });

  it('refuses a callback whose state was tampered with (400), and the sign-in is spent: the true state then fails too', async () => {
    const sessionsBefore = await sessionKeys();
    let original: URL | undefined;
    let cookie = '';
    const { response } = await walkSignIn(server.url, 'olena', {
      beforeCallback: (url, cookies) => {
        original = new URL(url);
        cookie = `lb_oidc=${cookies.get('lb_oidc')}`;
        const forged = new URL(url);
        forged.searchParams.set('state', 'forged-state-forged-state-forged-state-000');
        return forged;
      },
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/did not match this sign-in/);
    const retry = await fetch(original!, { redirect: 'manual', headers: { cookie } });
    expect(retry.status).toBe(400);
    expect(await retry.text()).toMatch(/expired, was already used, or was started in another browser/);
    expect(await sessionKeys()).toEqual(sessionsBefore);
  });

  it('refuses a callback that comes without the sign-in’s cookie (another browser, a forged link): 400', async () => {
    const sessionsBefore = await sessionKeys();
    const { response } = await walkSignIn(server.url, 'olena', { beforeCallback: (_url, cookies) => void cookies.delete('lb_oidc') });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/was started in another browser/);
    expect(await sessionKeys()).toEqual(sessionsBefore);
  });

  it('says so when the person cancels at the provider (400), and signs nobody in', async () => {
    const sessionsBefore = await sessionKeys();
    const { response, cookies } = await walkSignIn(server.url, 'olena', { cancel: true });
    expect(response.status).toBe(400);
    expect(await response.text()).toMatch(/Newsroom ID did not sign you in \(access_denied\)/);
    expect(cookies.has('lb_session')).toBe(false);
    expect(await sessionKeys()).toEqual(sessionsBefore);
  });

  it('logs refusals with their reason, and never the code, the sign-in’s id, the client secret or an uninvited person’s email (the callback’s line not even the state)', async () => {
    let code = '';
    let state = '';
    let id = '';
    await walkSignIn(server.url, 'stranger', {
      beforeCallback: (url, cookies) => {
        code = url.searchParams.get('code')!;
        state = url.searchParams.get('state')!;
        id = cookies.get('lb_oidc')!;
      },
    });
    const log = logLines.join('');
    expect(log).toContain('"reason":"unknown_person"');
    // The stranger's address is personal data of someone who is no one here: the log keeps its domain only.
    expect(log).toContain('"emailDomain":"elsewhere.test"');
    expect(log).not.toContain('stranger@elsewhere.test');
    expect(log).toContain('"url":"/auth/oidc/callback?[redacted]"');
    for (const secret of [code, id, OIDC_CLIENT_SECRET]) expect(log).not.toContain(secret);
    // The state went out in the provider's address (the browser's address bar shows it too), but the
    // callback's line carries neither it nor the code.
    const callbackLines = logLines.filter((line) => line.includes('/auth/oidc/callback'));
    expect(callbackLines.length).toBeGreaterThan(0);
    for (const line of callbackLines) expect(line).not.toContain(state);
  });
});

describe('single sign-on when the service itself fails', () => {
  it('answers with a page too (500), signs nobody in, and logs the failure without the code or what the store was sent', async () => {
    const people = server.stores.people;
    const findByEmail = people.findByEmail.bind(people);
    // A store error may carry the command it failed: none of it belongs in the log.
    people.findByEmail = async () => {
      throw Object.assign(new Error('the store is unreachable'), { command: { name: 'get', args: ['the-store-command-arguments'] } });
    };
    const sessionsBefore = await sessionKeys();
    let code = '';
    try {
      const { response, cookies } = await walkSignIn(server.url, 'olena', {
        beforeCallback: (url) => void (code = url.searchParams.get('code')!),
      });
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toMatch(/Signing in did not finish: this service met a problem/);
      expect(cookies.has('lb_session')).toBe(false);
    } finally {
      people.findByEmail = findByEmail;
    }
    expect(await sessionKeys()).toEqual(sessionsBefore);
    const log = logLines.join('');
    expect(log).toContain('single sign-on failed');
    expect(log).toContain('the store is unreachable');
    expect(log).not.toContain(code);
    expect(log).not.toContain('the-store-command-arguments');
  });
});

describe('single sign-on when the provider is down', () => {
  it('says so (502) and tries the provider again on the next sign-in', async () => {
    const otherPrefix = testPrefix('sso-down');
    const other = prefixCleaner(otherPrefix);
    const [port, providerPort] = [await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${providerPort}`;
    const down = await startServer({
      prefix: otherPrefix,
      port,
      oidc: { issuer, clientId: OIDC_CLIENT_ID, clientSecret: OIDC_CLIENT_SECRET, name: 'Newsroom ID' },
    });
    let late: OidcProvider | undefined;
    try {
      const refused = await fetch(`${down.url}/auth/oidc/login`, { redirect: 'manual' });
      expect(refused.status).toBe(502);
      expect(await refused.text()).toMatch(/Newsroom ID cannot be reached right now/);
      expect(refused.headers.getSetCookie().some((line) => line.startsWith('lb_oidc='))).toBe(false);
      late = await startOidcProvider({ redirectUri: `${down.url}/auth/oidc/callback`, port: providerPort });
      const started = await fetch(`${down.url}/auth/oidc/login`, { redirect: 'manual' });
      expect(started.status).toBe(303);
      expect(started.headers.get('location')).toMatch(new RegExp(`^${issuer}/`));
    } finally {
      await down.stop();
      await late?.stop();
      await other.cleanup();
    }
  });

  it('is not offered, and its routes do not exist, when it is not configured', async () => {
    const plainPrefix = testPrefix('sso-off');
    const plain = prefixCleaner(plainPrefix);
    const off = await startServer({ prefix: plainPrefix });
    try {
      expect(await (await fetch(`${off.url}/editor`)).text()).not.toContain('Sign in with');
      expect((await fetch(`${off.url}/auth/oidc/login`, { redirect: 'manual' })).status).toBe(404);
      expect((await fetch(`${off.url}/auth/oidc/callback?code=x&state=y`, { redirect: 'manual' })).status).toBe(404);
    } finally {
      await off.stop();
      await plain.cleanup();
    }
  });
});
