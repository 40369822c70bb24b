/** Accounts on a real Redis, over real HTTP: invitations and their page, passwords, the admin's changes, the audit trail. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEntry, Me, UserInfo } from '../../shared/schemas';
import { createBlog, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { accept, asPerson, GOOD_PASSWORD, invite, postForm, sessionCookieOf, signIn, signedInPerson } from '../helpers/people';
import { dataKeysUnder, keysUnder, testPrefix } from '../helpers/redis';

const prefix = testPrefix('people');
const cleaner = prefixCleaner(prefix);
const DAY = 24 * 60 * 60 * 1000;
let server: TestServer;
let url: string;
/** Added to the real clock: invitations expire without waiting a week. */
let clockShift = 0;

beforeAll(async () => {
  server = await startServer({ prefix, people: { now: () => new Date(Date.now() + clockShift) } });
  url = server.url;
  await createBlog(url, 'north');
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

/** Everything under the prefix but counters, with its content: to show that a refused request changed nothing. */
async function snapshot(): Promise<string> {
  const keys = await dataKeysUnder(cleaner.redis, prefix);
  const parts = await Promise.all(
    keys.map(async (key) => {
      const type = await cleaner.redis.type(key);
      if (type === 'hash') return `${key}=${JSON.stringify(await cleaner.redis.hgetall(key))}`;
      if (type === 'string') return `${key}=${await cleaner.redis.get(key)}`;
      if (type === 'set') return `${key}=${JSON.stringify((await cleaner.redis.smembers(key)).sort())}`;
      if (type === 'zset') return `${key}=${JSON.stringify(await cleaner.redis.zrange(key, 0, -1))}`;
      if (type === 'stream') return `${key}=${await cleaner.redis.xlen(key)}`;
      return `${key}:${type}`;
    }),
  );
  // A token's and a session's last use is bookkeeping that every request moves.
  return parts.join('\n').replace(/,?"last(Used|Seen)At":"[^"]*"/g, '');
}

async function personRecord(id: string): Promise<Record<string, string>> {
  return cleaner.redis.hgetall(`${prefix}{svc}:person:${id}`);
}

describe('an invitation', () => {
  it('is made by the admin, works once on its page, signs the person in and leads to the desk', async () => {
    const invited = await invite(url, { email: 'Olena@Newsroom.Example', name: 'Olena', role: 'editor', blogs: ['north'] });
    expect(invited).toMatchObject({
      email: 'olena@newsroom.example',
      name: 'Olena',
      role: 'editor',
      blogs: ['north'],
      disabled: false,
      mailed: false,
    });
    expect(invited.inviteUrl).toMatch(new RegExp(`^${url}/invite/[A-Za-z0-9_-]{43}$`));
    expect(invited).not.toHaveProperty('activatedAt');

    const page = await fetch(invited.inviteUrl);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    const html = await page.text();
    expect(html).toContain('<label for="password">New password</label>');
    expect(html).toContain('<button type="submit">Set password</button>');
    expect(html).toContain('olena@newsroom.example');

    const answer = await postForm(invited.inviteUrl, { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD });
    expect(answer.status).toBe(303);
    expect(answer.headers.get('location')).toBe('/editor');
    const setCookie = answer.headers.getSetCookie().find((line) => line.startsWith('lb_session='))!;
    expect(setCookie).toMatch(/; HttpOnly/i);
    expect(setCookie).toMatch(/; SameSite=Lax/i);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).not.toMatch(/Secure/i); // the test server is plain http
    const cookie = sessionCookieOf(answer.headers)!;
    expect(Buffer.from(cookie, 'base64url')).toHaveLength(32);

    const me = await asPerson<Me>(url, cookie, 'GET', '/api/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      kind: 'editor',
      name: 'Olena',
      blogs: ['north'],
      source: 'session',
      id: invited.id,
      email: 'olena@newsroom.example',
    });
    const listed = await request<{ users: UserInfo[] }>(url, 'GET', '/api/users');
    expect(listed.body.users.find((u) => u.id === invited.id)).toMatchObject({
      activatedAt: expect.any(String),
      lastSignInAt: expect.any(String),
    });
    expect(JSON.stringify(listed.body)).not.toMatch(/argon2|passwordHash/);

    // Used: the page says so, the form changes nothing.
    const before = await snapshot();
    const again = await fetch(invited.inviteUrl);
    expect(again.status).toBe(410);
    expect(await again.text()).toContain('This link has been used');
    const reuse = await postForm(invited.inviteUrl, { password: 'another long passphrase', confirm: 'another long passphrase' });
    expect(reuse.status).toBe(410);
    expect(sessionCookieOf(reuse.headers)).toBeNull();
    expect(await snapshot()).toBe(before);
    expect((await signIn(url, 'olena@newsroom.example', 'another long passphrase')).status).toBe(401);
    expect((await signIn(url, 'OLENA@newsroom.example', GOOD_PASSWORD)).status).toBe(204);
  });

  it('sent several times at once (a double click, a replay) is used by exactly one of them', async () => {
    const invited = await invite(url, { email: 'race@newsroom.example', name: 'Race' });
    const answers = await Promise.all(
      ['first passphrase here', 'second passphrase here', 'third passphrase here'].map((password) =>
        postForm(invited.inviteUrl, { password, confirm: password }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([303, 410, 410]);
    const winner = ['first passphrase here', 'second passphrase here', 'third passphrase here'][answers.findIndex((a) => a.status === 303)];
    expect((await signIn(url, 'race@newsroom.example', winner)).status).toBe(204);
    expect(await cleaner.redis.zcard(`${prefix}person-sessions:${invited.id}`)).toBe(2);
  });

  it('guessed or malformed: 404 page, nothing changes', async () => {
    await invite(url, { email: 'guess@newsroom.example', name: 'Guess' });
    const before = await snapshot();
    for (const secret of ['A'.repeat(43), 'short', '..%2F..%2Fetc']) {
      const page = await fetch(`${url}/invite/${secret}`);
      expect(page.status).toBe(404);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(await page.text()).toContain('This link is not valid');
      expect((await postForm(`${url}/invite/${secret}`, { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD })).status).toBe(404);
    }
    expect(await snapshot()).toBe(before);
  });

  it('expires after 7 days: 410 page, nothing changes', async () => {
    const invited = await invite(url, { email: 'late@newsroom.example', name: 'Late' });
    clockShift = 7 * DAY - 60_000;
    try {
      expect((await fetch(invited.inviteUrl)).status).toBe(200);
      clockShift = 7 * DAY + 1_000;
      const before = await snapshot();
      const page = await fetch(invited.inviteUrl);
      expect(page.status).toBe(410);
      expect(await page.text()).toContain('This link has expired');
      expect((await postForm(invited.inviteUrl, { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD })).status).toBe(410);
      expect(await snapshot()).toBe(before);
      expect(await personRecord(invited.id)).not.toHaveProperty('passwordHash');
    } finally {
      clockShift = 0;
    }
  });

  it('can be issued again by the admin; the earlier link stops working', async () => {
    const first = await invite(url, { email: 'again@newsroom.example', name: 'Again' });
    const second = await request<{ inviteUrl: string }>(url, 'POST', `/api/users/${first.id}/invite`);
    expect(second.status).toBe(201);
    expect(second.body.inviteUrl).not.toBe(first.inviteUrl);
    expect((await fetch(first.inviteUrl)).status).toBe(404);
    expect((await postForm(first.inviteUrl, { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD })).status).toBe(404);
    await accept(second.body.inviteUrl);
    expect((await request(url, 'POST', '/api/users/pnosuchperson/invite')).status).toBe(404);
  });

  it('refuses short, common, mismatched or personal passwords on the page with what is wrong, and changes nothing', async () => {
    const invited = await invite(url, { email: 'weak@newsroom.example', name: 'Weak Password Person' });
    const before = await snapshot();
    const cases: [string, string, string][] = [
      ['short pass', 'short pass', 'at least 12 characters'],
      ['password1234', 'password1234', 'most common passwords'],
      ['PassWordPassWord', 'PassWordPassWord', 'most common passwords'],
      ['weak@newsroom.example', 'weak@newsroom.example', 'email'],
      ['weak password person', 'weak password person', 'name'],
      [GOOD_PASSWORD, `${GOOD_PASSWORD}!`, 'differ'],
    ];
    for (const [password, confirm, says] of cases) {
      const answer = await postForm(invited.inviteUrl, { password, confirm });
      expect(answer.status).toBe(400);
      expect(sessionCookieOf(answer.headers)).toBeNull();
      const html = await answer.text();
      expect(html).toContain(says);
      expect(html).toContain('New password');
      expect(html).not.toMatch(/type="password"[^>]*value=/);
    }
    expect(await snapshot()).toBe(before);
    expect((await fetch(invited.inviteUrl)).status).toBe(200);
  });

  it('form posted from another site: 403, nothing changes', async () => {
    const invited = await invite(url, { email: 'csrf-invite@newsroom.example', name: 'Forged' });
    const before = await snapshot();
    const fields = { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD };
    expect((await postForm(invited.inviteUrl, fields, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await postForm(invited.inviteUrl, fields, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect((await postForm(invited.inviteUrl, fields, {})).status).toBe(403);
    expect(await snapshot()).toBe(before);
    expect((await postForm(invited.inviteUrl, fields, { 'sec-fetch-site': 'same-origin' })).status).toBe(303);
  });
});

describe('a session', () => {
  it('ends 30 days after sign-in however active it is', async () => {
    const person = await signedInPerson(url, { email: 'longlived@newsroom.example', name: 'Long Lived' });
    try {
      clockShift = 30 * DAY - 60_000;
      expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(200);
      clockShift = 30 * DAY + 1_000;
      expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(401);
      expect(await cleaner.redis.zcard(`${prefix}person-sessions:${person.id}`)).toBe(0);
    } finally {
      clockShift = 0;
    }
    expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(401);
  });
});

describe('the admin', () => {
  it('gets 409 for an email that has an account (in any case), and nothing is stored', async () => {
    await invite(url, { email: 'twice@newsroom.example', name: 'Twice' });
    const before = await snapshot();
    const again = await request(url, 'POST', '/api/users', {
      body: { email: 'TWICE@newsroom.example', name: 'Other', role: 'editor', blogs: [] },
    });
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: 'conflict' } });
    expect(await snapshot()).toBe(before);
  });

  it('gets 400 naming each bad field, and nothing is stored', async () => {
    const before = await snapshot();
    const bad = await request(url, 'POST', '/api/users', { body: { email: 'not-an-email', name: '', role: 'boss', blogs: ['Bad Blog!'] } });
    expect(bad.status).toBe(400);
    expect(Object.keys((bad.body as { error: { details: object } }).error.details).sort()).toEqual(
      expect.arrayContaining(['email', 'role']),
    );
    expect(await snapshot()).toBe(before);
  });

  it('alone manages people: editors and contributors (cookie or token) get 403 and change nothing', async () => {
    const editor = await signedInPerson(url, { email: 'ed@newsroom.example', name: 'Ed', role: 'editor', blogs: ['*'] });
    const contributor = await signedInPerson(url, { email: 'con@newsroom.example', name: 'Con', role: 'contributor', blogs: ['north'] });
    const token = (await request<{ token: string }>(url, 'POST', '/api/tokens', { body: { name: 'Script', blogs: ['*'] } })).body.token;
    const before = await snapshot();
    for (const cookie of [editor.cookie, contributor.cookie]) {
      expect((await asPerson(url, cookie, 'GET', '/api/users')).status).toBe(403);
      expect(
        (await asPerson(url, cookie, 'POST', '/api/users', { body: { email: 'x@y.example', name: 'X', role: 'admin', blogs: [] } })).status,
      ).toBe(403);
      expect((await asPerson(url, cookie, 'PATCH', `/api/users/${editor.id}`, { body: { role: 'admin' } })).status).toBe(403);
      expect((await asPerson(url, cookie, 'DELETE', `/api/users/${contributor.id}`)).status).toBe(403);
      expect((await asPerson(url, cookie, 'POST', '/api/tokens', { body: { name: 'x', blogs: ['*'] } })).status).toBe(403);
    }
    expect((await request(url, 'GET', '/api/users', { token })).status).toBe(403);
    expect((await request(url, 'POST', `/api/users/${editor.id}/invite`, { token })).status).toBe(403);
    expect(await snapshot()).toBe(before);
  });

  it('as a signed-in admin person manages people, but cannot disable, demote or remove themselves (409)', async () => {
    const admin = await signedInPerson(url, { email: 'chief@newsroom.example', name: 'Chief', role: 'admin', blogs: ['*'] });
    const created = await asPerson<{ id: string; inviteUrl: string }>(url, admin.cookie, 'POST', '/api/users', {
      body: { email: 'new@newsroom.example', name: 'New', role: 'contributor', blogs: ['north'] },
    });
    expect(created.status).toBe(201);
    const before = await snapshot();
    for (const [method, body] of [
      ['PATCH', { disabled: true }],
      ['PATCH', { role: 'editor' }],
      ['DELETE', undefined],
    ] as const) {
      const answer = await asPerson(url, admin.cookie, method, `/api/users/${admin.id}`, body ? { body } : {});
      expect(answer.status).toBe(409);
    }
    expect(await snapshot()).toBe(before);
    expect((await asPerson(url, admin.cookie, 'PATCH', `/api/users/${created.body.id}`, { body: { name: 'Renamed' } })).status).toBe(200);
    expect((await asPerson(url, admin.cookie, 'DELETE', `/api/users/${created.body.id}`)).status).toBe(204);
    expect((await fetch(created.body.inviteUrl)).status).toBe(404);
  });

  it('removes a person: their email, record and invitation go; unknown ids are 404', async () => {
    const invited = await invite(url, { email: 'gone@newsroom.example', name: 'Gone' });
    expect((await request(url, 'DELETE', `/api/users/${invited.id}`)).status).toBe(204);
    expect(await keysUnder(cleaner.redis, `${prefix}{svc}:person:${invited.id}`)).toEqual([]);
    expect(await cleaner.redis.get(`${prefix}{svc}:person-email:gone@newsroom.example`)).toBeNull();
    expect((await fetch(invited.inviteUrl)).status).toBe(404);
    expect((await request(url, 'DELETE', `/api/users/${invited.id}`)).status).toBe(404);
    expect((await request(url, 'PATCH', `/api/users/${invited.id}`, { body: { name: 'x' } })).status).toBe(404);
    // The address is free again.
    expect((await invite(url, { email: 'gone@newsroom.example', name: 'Back' })).email).toBe('gone@newsroom.example');
  });

  it('sees people, token changes on the service audit trail, with actors and never a secret or hash', async () => {
    const invited = await invite(url, { email: 'audited@newsroom.example', name: 'Audited' });
    const cookie = await accept(invited.inviteUrl);
    expect((await request(url, 'PATCH', `/api/users/${invited.id}`, { body: { role: 'contributor', blogs: ['north'] } })).status).toBe(200);
    const token = await request<{ id: string; token: string }>(url, 'POST', '/api/tokens', {
      body: { name: 'Audit bot', blogs: ['north'] },
    });
    expect((await request(url, 'DELETE', `/api/tokens/${token.body.id}`)).status).toBe(204);
    expect((await request(url, 'DELETE', `/api/users/${invited.id}`)).status).toBe(204);
    const trail = (await server.stores.audit.list('service', { limit: 200 })).entries;
    const mine = (action: string, id: string) =>
      trail.find((entry: AuditEntry) => entry.action === action && JSON.stringify(entry).includes(id)) as AuditEntry;
    expect(mine('person.invited', invited.id)).toMatchObject({
      actor: { kind: 'admin-token' },
      after: { email: 'audited@newsroom.example' },
    });
    expect(mine('person.changed', invited.id)).toMatchObject({
      before: { role: 'editor' },
      after: { role: 'contributor', blogs: ['north'] },
    });
    expect(mine('person.removed', invited.id)).toMatchObject({ before: { id: invited.id } });
    expect(mine('token.created', token.body.id)).toMatchObject({ after: { name: 'Audit bot' } });
    expect(mine('token.revoked', token.body.id)).toMatchObject({ before: { id: token.body.id } });
    const all = JSON.stringify(trail);
    for (const secret of [token.body.token, invited.inviteUrl.split('/').pop()!, cookie, 'argon2', 'passwordHash'])
      expect(all).not.toContain(secret);
  });
});

describe('passwords', () => {
  it('are kept only as Argon2id hashes (19 MiB, 2 passes, 1 lane)', async () => {
    const person = await signedInPerson(url, { email: 'hash@newsroom.example', name: 'Hash' });
    const stored = await personRecord(person.id);
    expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    const everything = await snapshot();
    expect(everything).not.toContain(GOOD_PASSWORD);
    expect(everything).not.toContain(person.cookie);
  });

  it('change with the current one; weak or wrong ones are refused with details, and nothing changes', async () => {
    const person = await signedInPerson(url, { email: 'change@newsroom.example', name: 'Change' });
    const before = await snapshot();
    const wrong = await asPerson(url, person.cookie, 'POST', '/api/me/password', {
      body: { currentPassword: 'not my password', password: 'a brand new long passphrase' },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body).toMatchObject({ error: { code: 'invalid', details: { currentPassword: expect.any(String) } } });
    for (const [password, says] of [
      ['tooshort', 'at least 12'],
      ['qwerty123456', 'common'],
      ['x'.repeat(257), 'at most 256'],
    ]) {
      const weak = await asPerson(url, person.cookie, 'POST', '/api/me/password', { body: { currentPassword: GOOD_PASSWORD, password } });
      expect(weak.status).toBe(400);
      expect(JSON.stringify((weak.body as { error: { details: object } }).error.details)).toContain(says);
    }
    expect(await snapshot()).toBe(before);
    const token = (
      await request(url, 'POST', '/api/me/password', { body: { currentPassword: 'x', password: 'a brand new long passphrase' } })
    ).status;
    expect(token).toBe(400);

    const ok = await asPerson(url, person.cookie, 'POST', '/api/me/password', {
      body: { currentPassword: GOOD_PASSWORD, password: 'a brand new long passphrase' },
    });
    expect(ok.status).toBe(204);
    expect((await signIn(url, person.email, GOOD_PASSWORD)).status).toBe(401);
    expect((await signIn(url, person.email, 'a brand new long passphrase')).status).toBe(204);
    expect((await asPerson(url, person.cookie, 'GET', '/api/me')).status).toBe(200);
  });
});

describe('on the in-process store', () => {
  it('invitations work once, expire, are replaced; emails are unique', async () => {
    let shift = 0;
    const memory = await startServer({ prefix: `${prefix}memory:`, store: 'memory', people: { now: () => new Date(Date.now() + shift) } });
    try {
      const invited = await invite(memory.url, { email: 'Mem@Newsroom.Example', name: 'Mem' });
      expect(
        (
          await request(memory.url, 'POST', '/api/users', {
            body: { email: 'mem@newsroom.example', name: 'Again', role: 'editor', blogs: [] },
          })
        ).status,
      ).toBe(409);
      const cookie = await accept(invited.inviteUrl);
      expect((await asPerson<Me>(memory.url, cookie, 'GET', '/api/me')).body).toMatchObject({
        email: 'mem@newsroom.example',
        source: 'session',
      });
      expect((await fetch(invited.inviteUrl)).status).toBe(410);
      expect((await postForm(invited.inviteUrl, { password: 'another long passphrase', confirm: 'another long passphrase' })).status).toBe(
        410,
      );
      expect((await signIn(memory.url, 'mem@newsroom.example', GOOD_PASSWORD)).status).toBe(204);

      const late = await invite(memory.url, { email: 'late@newsroom.example', name: 'Late' });
      const replaced = await request<{ inviteUrl: string }>(memory.url, 'POST', `/api/users/${late.id}/invite`);
      expect((await fetch(late.inviteUrl)).status).toBe(404);
      shift = 7 * DAY + 1_000;
      expect((await fetch(replaced.body.inviteUrl)).status).toBe(410);
      expect((await postForm(replaced.body.inviteUrl, { password: GOOD_PASSWORD, confirm: GOOD_PASSWORD })).status).toBe(410);
      expect((await signIn(memory.url, 'late@newsroom.example', GOOD_PASSWORD)).status).toBe(401);
    } finally {
      await memory.stop();
    }
  });
});
