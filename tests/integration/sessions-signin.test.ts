/** Signing in and out on a real Redis, over real HTTP: the same 401 for every wrong answer, limits, fixation, the same-origin check, sessions, logs. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import argon2 from 'argon2';
import { Writable } from 'node:stream';
import type { Me } from '../../shared/schemas';
import { createBlog, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { asPerson, GOOD_PASSWORD, invite, signIn, signedInPerson } from '../helpers/people';
import { dataKeysUnder, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';
import { createLogger } from '../../server/logger';

const prefix = testPrefix('sessions');
const cleaner = prefixCleaner(prefix);
const PER_ACCOUNT = 4;
const PER_ADDRESS = 6;
const PER_ACCOUNT_ALL_ADDRESSES = 8;
let server: TestServer;
let url: string;
const logLines: string[] = [];

beforeAll(async () => {
  // The app's own logger at its most talkative, into memory: nothing secret may reach it.
  const logger = createLogger('trace', new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }));
  server = await startServer({
    prefix,
    logger,
    people: { signInLimits: { perAccount: PER_ACCOUNT, perAddress: PER_ADDRESS, perAccountAllAddresses: PER_ACCOUNT_ALL_ADDRESSES } },
  });
  url = server.url;
  await createBlog(url, 'north');
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

/** Each test its own client address (trusted from loopback), so address limits stay apart. */
let addressCount = 0;
const nextAddress = () => ({ 'x-forwarded-for': `203.0.113.${++addressCount}` });

async function dataSnapshot(): Promise<string[]> {
  return dataKeysUnder(cleaner.redis, prefix);
}

describe('sign-in', () => {
  it('answers 204 with a fresh cookie; a wrong email, a wrong password and a disabled account get the same 401', async () => {
    const person = await signedInPerson(url, { email: 'sam@newsroom.example', name: 'Sam' });
    const from = nextAddress();
    const ok = await signIn(url, 'sam@newsroom.example', GOOD_PASSWORD, from);
    expect(ok.status).toBe(204);
    expect(ok.cookie).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(ok.cookie).not.toBe(person.cookie);
    expect(ok.headers.get('cache-control')).toBe('no-store');

    const wrongEmail = await signIn(url, 'nobody@newsroom.example', GOOD_PASSWORD, from);
    const wrongPassword = await signIn(url, 'sam@newsroom.example', 'not the right password', from);
    expect(wrongEmail.status).toBe(401);
    expect(wrongPassword.status).toBe(401);
    expect(wrongEmail.body).toEqual(wrongPassword.body);
    expect(wrongEmail.body).toEqual({ error: { code: 'unauthorized', message: 'wrong email or password' } });
    expect(wrongEmail.cookie).toBeNull();
    expect(wrongPassword.cookie).toBeNull();

    // Invited, but no password yet: the same.
    await invite(url, { email: 'pending@newsroom.example', name: 'Pending' });
    expect((await signIn(url, 'pending@newsroom.example', GOOD_PASSWORD, nextAddress())).body).toEqual(wrongEmail.body);

    expect((await request(url, 'PATCH', `/api/users/${person.id}`, { body: { disabled: true } })).status).toBe(200);
    const disabled = await signIn(url, 'sam@newsroom.example', GOOD_PASSWORD, nextAddress());
    expect(disabled.status).toBe(401);
    expect(disabled.body).toEqual(wrongEmail.body);
  });

  it('takes about as long for an unknown email as for a wrong password (a dummy hash is verified)', async () => {
    await signedInPerson(url, { email: 'timing@newsroom.example', name: 'Timing' });
    const time = async (email: string) => {
      const started = performance.now();
      expect((await signIn(url, email, 'wrong wrong wrong', nextAddress())).status).toBe(401);
      return performance.now() - started;
    };
    const sorted = async (run: () => Promise<number>) => {
      const times: number[] = [];
      for (let i = 0; i < 3; i++) times.push(await run()); // under the account limit
      return times.sort((a, b) => a - b);
    };
    await time('warm-up@newsroom.example');
    const unknown = (await sorted(() => time('ghost@newsroom.example')))[1];
    const wrong = (await sorted(() => time('timing@newsroom.example')))[0];
    // Both pay an Argon2id verify (tens of ms); an unknown email that skipped it would take a few ms.
    // (The fastest wrong password against the typical unknown email: a busy machine only slows the latter.)
    expect(unknown).toBeGreaterThan(wrong / 2);
  });

  it('400 for a malformed body, 415 for a form post, and nothing is stored', async () => {
    const before = await dataSnapshot();
    expect((await request(url, 'POST', '/api/session', { token: null, body: { email: 'a@b.example' } })).status).toBe(400);
    expect(
      (await request(url, 'POST', '/api/session', { token: null, body: { email: 'a@b.example', password: 'x'.repeat(300) } })).status,
    ).toBe(400);
    const form = await request(url, 'POST', '/api/session', {
      token: null,
      rawBody: 'email=a%40b.example&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.status).toBe(415);
    expect(await dataSnapshot()).toEqual(before);
  });

  // QA#2: a stranger who knows the email must not lock its person out; the guesser's own address is stopped.
  it(`429 with Retry-After after ${PER_ACCOUNT} failures on one account from one address, for that address only`, async () => {
    const person = await signedInPerson(url, { email: 'target@newsroom.example', name: 'Target' });
    const attacker = nextAddress();
    for (let i = 0; i < PER_ACCOUNT; i++) expect((await signIn(url, person.email, `guess number ${i}`, attacker)).status).toBe(401);
    const limited = await signIn(url, person.email, GOOD_PASSWORD, attacker);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ error: { code: 'rate_limited' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.cookie).toBeNull();
    // The email's case changes nothing.
    expect((await signIn(url, 'TARGET@newsroom.example', GOOD_PASSWORD, attacker)).status).toBe(429);
    // The person, from their own address, still signs in with the right password.
    const own = await signIn(url, person.email, GOOD_PASSWORD, nextAddress());
    expect(own.status).toBe(204);
    expect(own.cookie).toBeTruthy();
    // The session already held keeps working.
    expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(200);
  });

  it(`after ${PER_ACCOUNT_ALL_ADDRESSES} failures on one account from many addresses, every address gets 429 for it`, async () => {
    const person = await signedInPerson(url, { email: 'spread@newsroom.example', name: 'Spread' });
    for (let i = 0; i < PER_ACCOUNT_ALL_ADDRESSES; i++)
      expect((await signIn(url, person.email, `spread guess ${i}`, nextAddress())).status).toBe(401);
    expect((await signIn(url, person.email, GOOD_PASSWORD, nextAddress())).status).toBe(429);
    // Other accounts are not affected.
    const other = await signedInPerson(url, { email: 'bystander@newsroom.example', name: 'Bystander' });
    expect((await signIn(url, other.email, GOOD_PASSWORD, nextAddress())).status).toBe(204);
  });

  it(`a concurrent burst of ${PER_ACCOUNT * 5} wrong passwords from one address gets at most ${PER_ACCOUNT} verified (401), the rest 429`, async () => {
    const person = await signedInPerson(url, { email: 'burst@newsroom.example', name: 'Burst' });
    const from = nextAddress();
    const answers = await Promise.all(
      Array.from({ length: PER_ACCOUNT * 5 }, (_, i) => signIn(url, person.email, `burst guess ${i}`, from)),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(PER_ACCOUNT);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    const limited = answers.find((answer) => answer.status === 429)!;
    // Retry-After is the window's real remainder: at most the window (15 min), at least a second.
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(limited.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
    expect((await signIn(url, person.email, GOOD_PASSWORD, from)).status).toBe(429);
  });

  it(`a concurrent burst of ${PER_ACCOUNT_ALL_ADDRESSES * 3} wrong passwords, each from its own address, gets at most ${PER_ACCOUNT_ALL_ADDRESSES} verified`, async () => {
    const person = await signedInPerson(url, { email: 'burst-spread@newsroom.example', name: 'Burst Spread' });
    const answers = await Promise.all(
      Array.from({ length: PER_ACCOUNT_ALL_ADDRESSES * 3 }, (_, i) => signIn(url, person.email, `spread burst ${i}`, nextAddress())),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(PER_ACCOUNT_ALL_ADDRESSES);
    expect(statuses.filter((status) => status !== 401 && status !== 429)).toEqual([]);
    expect((await signIn(url, person.email, GOOD_PASSWORD, nextAddress())).status).toBe(429);
  });

  it(`a concurrent burst of wrong current passwords on /api/me/password gets at most ${PER_ACCOUNT} verified`, async () => {
    const person = await signedInPerson(url, { email: 'burst-change@newsroom.example', name: 'Burst Change' });
    const from = nextAddress();
    const answers = await Promise.all(
      Array.from({ length: PER_ACCOUNT * 5 }, (_, i) =>
        asPerson(url, person.cookie, 'POST', '/api/me/password', {
          body: { currentPassword: `wrong current ${i}`, password: 'a brand new passphrase here' },
          headers: from,
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 400).length).toBeLessThanOrEqual(PER_ACCOUNT);
    expect(statuses.filter((status) => status !== 400 && status !== 429)).toEqual([]);
    // Nothing changed: the old password still signs in from another address (this one is limited for the account).
    expect((await signIn(url, person.email, GOOD_PASSWORD, from)).status).toBe(429);
    expect((await signIn(url, person.email, GOOD_PASSWORD, nextAddress())).status).toBe(204);
  });

  it('a successful sign-in gives its hit back: the right password many times never locks the account', async () => {
    const person = await signedInPerson(url, { email: 'often@newsroom.example', name: 'Often' });
    const from = nextAddress();
    for (let i = 0; i < PER_ACCOUNT_ALL_ADDRESSES + 2; i++) expect((await signIn(url, person.email, GOOD_PASSWORD, from)).status).toBe(204);
  });

  it(`429 after ${PER_ADDRESS} failures from one address, across accounts, before any hashing`, async () => {
    const person = await signedInPerson(url, { email: 'victim@newsroom.example', name: 'Victim' });
    const from = nextAddress();
    for (let i = 0; i < PER_ADDRESS; i++)
      expect((await signIn(url, `spray${i}@newsroom.example`, 'guess guess guess', from)).status).toBe(401);
    const started = performance.now();
    const limited = await signIn(url, person.email, GOOD_PASSWORD, from);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect(performance.now() - started).toBeLessThan(500);
    expect((await signIn(url, person.email, GOOD_PASSWORD, nextAddress())).status).toBe(204);
  });

  it('starts a new session every time: a cookie held before sign-in is ended, never adopted (fixation)', async () => {
    const person = await signedInPerson(url, { email: 'fix@newsroom.example', name: 'Fix' });
    const planted = 'A'.repeat(43);
    const first = await signIn(url, person.email, GOOD_PASSWORD, { ...nextAddress(), cookie: `lb_session=${planted}` });
    expect(first.status).toBe(204);
    expect(first.cookie).not.toBe(planted);
    expect((await asPerson(url, planted, 'GET', '/api/me')).status).toBe(401);

    // Signing in again with the old session's cookie: a new id, and the old one is dead.
    const second = await signIn(url, person.email, GOOD_PASSWORD, { ...nextAddress(), cookie: `lb_session=${first.cookie}` });
    expect(second.status).toBe(204);
    expect(second.cookie).not.toBe(first.cookie);
    expect((await asPerson(url, first.cookie!, 'GET', '/api/me')).status).toBe(401);
    expect((await asPerson<Me>(url, second.cookie!, 'GET', '/api/me')).body).toMatchObject({ id: person.id, source: 'session' });
  });

  it('refuses a sign-in posted from another site (login forgery), and stores nothing', async () => {
    await signedInPerson(url, { email: 'login-csrf@newsroom.example', name: 'Login' });
    const before = await dataSnapshot();
    const forged = await signIn(url, 'login-csrf@newsroom.example', GOOD_PASSWORD, { ...nextAddress(), origin: 'https://evil.example' });
    expect(forged.status).toBe(403);
    expect(forged.cookie).toBeNull();
    const crossSite = await signIn(url, 'login-csrf@newsroom.example', GOOD_PASSWORD, { ...nextAddress(), 'sec-fetch-site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect(await dataSnapshot()).toEqual(before);
    expect((await signIn(url, 'login-csrf@newsroom.example', GOOD_PASSWORD, { ...nextAddress(), origin: url })).status).toBe(204);
  });
});

describe('a cookie-authenticated write', () => {
  let cookie: string;
  beforeAll(async () => {
    cookie = (await signedInPerson(url, { email: 'writer@newsroom.example', name: 'Writer', role: 'editor', blogs: ['north'] })).cookie;
  });
  const post = (headers: Record<string, string>) =>
    request(url, 'POST', '/api/blogs/north/updates', {
      token: null,
      body: { body: 'from the desk' },
      headers: { cookie: `lb_session=${cookie}`, ...headers },
    });
  const count = async () => (await server.timeline.listUpdates('north', { limit: 100 })).updates.length;

  it.each([
    ['a forged Origin', { origin: 'https://evil.example' }],
    ['a sibling origin', { origin: 'http://127.0.0.1:1' }],
    ['Origin null', { origin: 'null' }],
    ['no Origin and Sec-Fetch-Site cross-site', { 'sec-fetch-site': 'cross-site' }],
    ['no Origin and Sec-Fetch-Site same-site', { 'sec-fetch-site': 'same-site' }],
    ['neither header', {}],
  ])('with %s: 403, nothing published', async (_name, headers) => {
    const before = await count();
    const answer = await post(headers);
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: { code: 'forbidden' } });
    expect(await count()).toBe(before);
  });

  it('from the service’s own origin (or Sec-Fetch-Site same-origin) goes through; a bearer token needs neither', async () => {
    const before = await count();
    expect((await post({ origin: url })).status).toBe(201);
    expect((await post({ 'sec-fetch-site': 'same-origin' })).status).toBe(201);
    expect((await request(url, 'POST', '/api/blogs/north/updates', { body: { body: 'script' } })).status).toBe(201);
    expect(await count()).toBe(before + 3);
    // Reads need no Origin.
    expect(
      (await request(url, 'GET', '/api/me', { token: null, headers: { cookie: `lb_session=${cookie}`, origin: 'https://evil.example' } }))
        .status,
    ).toBe(200);
  });

  it('sign-out from another site is refused too', async () => {
    const answer = await request(url, 'DELETE', '/api/session', {
      token: null,
      headers: { cookie: `lb_session=${cookie}`, origin: 'https://evil.example' },
    });
    expect(answer.status).toBe(403);
    expect((await asPerson(url, cookie, 'GET', '/api/me')).status).toBe(200);
  });
});

describe('sessions', () => {
  it('are listed to their person (never their secret or hash) and can be ended one by one', async () => {
    const person = await signedInPerson(url, { email: 'many@newsroom.example', name: 'Many' });
    const laptop = await signIn(url, person.email, GOOD_PASSWORD, { ...nextAddress(), 'user-agent': 'Laptop browser' });
    const listed = await asPerson<{
      sessions: { id: string; current: boolean; userAgent?: string; address?: string; createdAt: string; lastSeenAt: string }[];
    }>(url, person.cookie, 'GET', '/api/me/sessions');
    expect(listed.status).toBe(200);
    expect(listed.body.sessions).toHaveLength(2);
    expect(listed.body.sessions.filter((s) => s.current)).toHaveLength(1);
    const other = listed.body.sessions.find((s) => !s.current)!;
    expect(other).toMatchObject({
      userAgent: 'Laptop browser',
      address: expect.stringMatching(/^203\.0\.113\./),
      createdAt: expect.any(String),
    });
    const text = JSON.stringify(listed.body);
    expect(text).not.toContain(laptop.cookie!);
    expect(text).not.toMatch(/[0-9a-f]{64}/);

    expect((await asPerson(url, person.cookie, 'DELETE', `/api/me/sessions/${other.id}`)).status).toBe(204);
    expect((await asPerson(url, laptop.cookie!, 'GET', '/api/me')).status).toBe(401);
    expect((await asPerson(url, person.cookie, 'DELETE', `/api/me/sessions/${other.id}`)).status).toBe(404);
    expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(200);
    // A token has no sessions.
    expect((await request(url, 'GET', '/api/me/sessions')).status).toBe(400);
  });

  it('"sign out everywhere else" ends every other session of the person, and nobody else’s', async () => {
    const person = await signedInPerson(url, { email: 'everywhere@newsroom.example', name: 'Everywhere' });
    const phone = await signIn(url, person.email, GOOD_PASSWORD, nextAddress());
    const tablet = await signIn(url, person.email, GOOD_PASSWORD, nextAddress());
    const other = await signedInPerson(url, { email: 'neighbour@newsroom.example', name: 'Neighbour' });
    expect((await asPerson(url, person.cookie, 'DELETE', '/api/me/sessions')).status).toBe(204);
    for (const cookie of [phone.cookie!, tablet.cookie!]) expect((await asPerson(url, cookie, 'GET', '/api/me')).status).toBe(401);
    expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(200);
    expect((await asPerson(url, other.cookie, 'GET', '/api/me')).status).toBe(200);
    // From another site: refused, nothing ended.
    const again = await signIn(url, person.email, GOOD_PASSWORD, nextAddress());
    const forged = await request(url, 'DELETE', '/api/me/sessions', {
      token: null,
      headers: { cookie: `lb_session=${person.cookie}`, origin: 'https://evil.example' },
    });
    expect(forged.status).toBe(403);
    expect((await asPerson(url, again.cookie!, 'GET', '/api/me')).status).toBe(200);
  });

  it('a password hash made with older settings is replaced at sign-in', async () => {
    const person = await signedInPerson(url, { email: 'rehash@newsroom.example', name: 'Rehash' });
    const weak = await argon2.hash(GOOD_PASSWORD, { type: argon2.argon2id, memoryCost: 8192, timeCost: 1, parallelism: 1 });
    await cleaner.redis.hset(`${prefix}{svc}:person:${person.id}`, 'passwordHash', weak);
    expect((await signIn(url, person.email, GOOD_PASSWORD, nextAddress())).status).toBe(204);
    const stored = await cleaner.redis.hget(`${prefix}{svc}:person:${person.id}`, 'passwordHash');
    expect(stored).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await signIn(url, person.email, GOOD_PASSWORD, nextAddress())).status).toBe(204);
  });

  it('a password change ends the person’s other sessions, not this one', async () => {
    const person = await signedInPerson(url, { email: 'rotate@newsroom.example', name: 'Rotate' });
    const phone = await signIn(url, person.email, GOOD_PASSWORD, nextAddress());
    const changed = await asPerson(url, person.cookie, 'POST', '/api/me/password', {
      body: { currentPassword: GOOD_PASSWORD, password: 'quite another passphrase' },
    });
    expect(changed.status).toBe(204);
    expect((await asPerson(url, phone.cookie!, 'GET', '/api/me')).status).toBe(401);
    expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(200);
  });

  it('sign-out ends the session (204) and clears the cookie; again is still 204', async () => {
    const person = await signedInPerson(url, { email: 'bye@newsroom.example', name: 'Bye' });
    const out = await asPerson(url, person.cookie, 'DELETE', '/api/session');
    expect(out.status).toBe(204);
    expect(out.headers.getSetCookie().find((line) => line.startsWith('lb_session='))).toMatch(/^lb_session=; Max-Age=0/);
    expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(401);
    expect(await cleaner.redis.zcard(`${prefix}person-sessions:${person.id}`)).toBe(0);
    expect((await asPerson(url, person.cookie, 'DELETE', '/api/session')).status).toBe(204);
  });

  it('unknown or malformed cookies are 401 on every person route', async () => {
    for (const cookie of ['A'.repeat(43), 'short', '%00%01']) {
      expect((await asPerson(url, cookie, 'GET', '/api/me')).status).toBe(401);
      expect((await asPerson(url, cookie, 'POST', '/api/me/password', { body: { currentPassword: 'x', password: 'y' } })).status).toBe(401);
    }
  });
});

describe('logs', () => {
  it('never hold a password, a session cookie, an invitation secret or a password hash', async () => {
    const invited = await invite(url, { email: 'logged@newsroom.example', name: 'Logged' });
    const secret = invited.inviteUrl.split('/').pop()!;
    const person = await signedInPerson(url, { email: 'logged2@newsroom.example', name: 'Logged Too' });
    const again = await signIn(url, person.email, GOOD_PASSWORD, nextAddress());
    await signIn(url, person.email, 'a wrong password typed', nextAddress());
    await asPerson(url, again.cookie!, 'DELETE', '/api/session');
    // The desk, reached from the invitation's page, names it as Referer.
    expect((await fetch(`${url}/editor`, { headers: { referer: invited.inviteUrl } })).status).toBe(200);
    await waitFor(() => logLines.some((line) => line.includes('"url":"/editor"')), 'the desk’s page to be logged');
    const all = logLines.join('');
    expect(all).toContain('signed in');
    for (const needle of [GOOD_PASSWORD, 'a wrong password typed', person.cookie, again.cookie!, secret, '$argon2id'])
      expect(all).not.toContain(needle);
    const hash = (await cleaner.redis.zrange(`${prefix}person-sessions:${person.id}`, 0, -1))[0];
    expect(all).not.toContain(hash);
  });
});

// QA#11: a script with a person's password must not grow their sessions without end.
describe('a person’s sessions', () => {
  it.each(['redis', 'memory'] as const)('are capped (on %s): a sign-in beyond the cap ends the oldest, and only it', async (store) => {
    const MAX = 3;
    const capped = await startServer({ prefix: `${prefix}cap-${store}:`, store, people: { maxSessions: MAX } });
    try {
      const person = await signedInPerson(capped.url, { email: 'many@newsroom.example', name: 'Many' });
      const cookies = [person.cookie];
      for (let i = 0; i < MAX + 1; i++) cookies.push((await signIn(capped.url, person.email, GOOD_PASSWORD)).cookie!);
      const statuses = await Promise.all(cookies.map(async (cookie) => (await asPerson(capped.url, cookie, 'GET', '/api/me')).status));
      // The first two (oldest) ended; the newest MAX live.
      expect(statuses).toEqual([401, 401, 200, 200, 200]);
      const list = await asPerson<{ sessions: unknown[] }>(capped.url, cookies[4], 'GET', '/api/me/sessions');
      expect(list.body.sessions).toHaveLength(MAX);
    } finally {
      await capped.stop();
    }
  });
});

describe('on the in-process store', () => {
  it('invites, signs in and out, and refuses a disabled person', async () => {
    const memory = await startServer({ prefix: `${prefix}memory:`, store: 'memory' });
    try {
      const person = await signedInPerson(memory.url, {
        email: 'mem@newsroom.example',
        name: 'Mem',
        role: 'contributor',
        blogs: ['north'],
      });
      expect((await asPerson<Me>(memory.url, person.cookie, 'GET', '/api/me')).body).toMatchObject({
        kind: 'contributor',
        source: 'session',
      });
      const again = await signIn(memory.url, person.email, GOOD_PASSWORD);
      expect(again.status).toBe(204);
      expect((await request(memory.url, 'PATCH', `/api/users/${person.id}`, { body: { disabled: true } })).status).toBe(200);
      expect((await asPerson(memory.url, again.cookie!, 'GET', '/api/me')).status).toBe(401);
      expect((await signIn(memory.url, person.email, GOOD_PASSWORD)).status).toBe(401);
    } finally {
      await memory.stop();
    }
  });
});

describe('idle sessions', () => {
  const MINUTE = 60_000;
  const IDLE_MS = 60 * MINUTE;

  it('stay alive while used and end after the idle time without a request (the clock moved, no waiting)', async () => {
    let clock = Date.parse('2026-03-01T09:00:00Z');
    const quick = await startServer({
      prefix: `${prefix}idle:`,
      store: 'memory',
      people: { sessionIdleMs: IDLE_MS, now: () => new Date(clock) },
    });
    try {
      const person = await signedInPerson(quick.url, { email: 'idle@newsroom.example', name: 'Idle' });
      // Used every 50 minutes for five hours: still signed in.
      for (let i = 0; i < 6; i++) {
        clock += 50 * MINUTE;
        expect((await asPerson(quick.url, person.cookie, 'GET', '/api/me')).status).toBe(200);
      }
      // Then left alone a minute past the idle time: it has ended.
      clock += IDLE_MS + MINUTE;
      expect((await asPerson(quick.url, person.cookie, 'GET', '/api/me')).status).toBe(401);
    } finally {
      await quick.stop();
    }
  });

  it('on Redis, a session key expires by itself after the idle time, pushed back by each use', async () => {
    let clock = Date.now();
    const quick = await startServer({ prefix: `${prefix}idle-redis:`, people: { sessionIdleMs: IDLE_MS, now: () => new Date(clock) } });
    try {
      const person = await signedInPerson(quick.url, { email: 'idle@newsroom.example', name: 'Idle' });
      const [hash] = await cleaner.redis.zrange(`${prefix}idle-redis:person-sessions:${person.id}`, 0, -1);
      const ttl = () => cleaner.redis.pttl(`${prefix}idle-redis:session:${hash}`);
      expect(await ttl()).toBeGreaterThan(IDLE_MS - MINUTE);
      expect(await ttl()).toBeLessThanOrEqual(IDLE_MS);
      // A use 50 minutes later (by the service's clock) sets the whole idle time again.
      await cleaner.redis.pexpire(`${prefix}idle-redis:session:${hash}`, 10 * MINUTE);
      clock += 50 * MINUTE;
      expect((await asPerson(quick.url, person.cookie, 'GET', '/api/me')).status).toBe(200);
      expect(await ttl()).toBeGreaterThan(IDLE_MS - MINUTE);
    } finally {
      await quick.stop();
    }
  });
});

describe('behind HTTPS (LIVEBLOG_PUBLIC_URL https://…)', () => {
  it('the cookie is Secure, and the same-origin check names the public origin, not the Host', async () => {
    const secure = await startServer({ prefix: `${prefix}https:`, store: 'memory', publicUrl: 'https://live.example' });
    const local = secure.url;
    try {
      const invited = await invite(local, { email: 'secure@newsroom.example', name: 'Secure' });
      expect(invited.inviteUrl).toMatch(/^https:\/\/live\.example\/invite\//);
      const path = new URL(invited.inviteUrl).pathname;
      const accepted = await fetch(`${local}${path}`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://live.example' },
        body: new URLSearchParams({ password: GOOD_PASSWORD, confirm: GOOD_PASSWORD }).toString(),
      });
      expect(accepted.status).toBe(303);
      const setCookie = accepted.headers.getSetCookie().find((line) => line.startsWith('lb_session='))!;
      expect(setCookie).toMatch(/; Secure/);
      const cookie = /^lb_session=([^;]+)/.exec(setCookie)![1];
      const write = (origin: string) =>
        request(local, 'POST', '/api/me/password', {
          token: null,
          body: { currentPassword: 'x', password: 'y' },
          headers: { cookie: `lb_session=${cookie}`, origin },
        });
      // The Host it came to is not the service's origin: only LIVEBLOG_PUBLIC_URL is.
      expect((await write(local)).status).toBe(403);
      expect((await write('https://live.example')).status).toBe(400);
    } finally {
      await secure.stop();
    }
  });
});
