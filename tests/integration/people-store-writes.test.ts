/**
 * People's writes on a real Redis: each admin change and its audit entry in one step (an entry that
 * cannot be written leaves no change), a removed person never brought back by a late change, and an
 * invitation that stops working once its person is in by other means. Token changes are not in the
 * people's slot: their entry follows the change, and a failed one is logged.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import type { UserInfo } from '../../shared/schemas';
import { request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { asPerson, invite, postForm, signIn, signedInPerson } from '../helpers/people';
import { connectRedis, keysUnder, testPrefix } from '../helpers/redis';
import { createLogger } from '../../server/logger';
import { redisKeys } from '../../server/store/redis/keys';
import { RedisPeopleStore } from '../../server/store/redis/people';

const prefix = testPrefix('people-writes');
const cleaner = prefixCleaner(prefix);
const keys = redisKeys(prefix);
let server: TestServer;
let url: string;
const logLines: string[] = [];

beforeAll(async () => {
  const logger = createLogger('info', new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }));
  server = await startServer({ prefix, logger });
  url = server.url;
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

/** The service's trail made unwritable (a key of another type): every XADD to it fails. */
async function withBrokenTrail(run: () => Promise<void>): Promise<void> {
  const entries = await cleaner.redis.xrange(keys.serviceAudit, '-', '+');
  await cleaner.redis.del(keys.serviceAudit);
  await cleaner.redis.set(keys.serviceAudit, 'not a stream');
  try {
    await run();
  } finally {
    await cleaner.redis.del(keys.serviceAudit);
    for (const [, fields] of entries) await cleaner.redis.xadd(keys.serviceAudit, '*', ...fields);
  }
}

describe('an admin change whose audit entry cannot be written', () => {
  it('is not made: invite, change, new link and removal answer an error and change nothing', async () => {
    const olena = await invite(url, { email: 'olena@newsroom.example', name: 'Olena', role: 'editor', blogs: ['north'] });
    const before = await cleaner.redis.hgetall(keys.person(olena.id));
    await withBrokenTrail(async () => {
      const created = await request(url, 'POST', '/api/users', {
        body: { email: 'ghost@newsroom.example', name: 'Ghost', role: 'editor', blogs: [] },
      });
      expect(created.status).toBeGreaterThanOrEqual(500);
      const changed = await request(url, 'PATCH', `/api/users/${olena.id}`, { body: { role: 'contributor', blogs: ['south'] } });
      expect(changed.status).toBeGreaterThanOrEqual(500);
      const reinvited = await request(url, 'POST', `/api/users/${olena.id}/invite`);
      expect(reinvited.status).toBeGreaterThanOrEqual(500);
      const removed = await request(url, 'DELETE', `/api/users/${olena.id}`);
      expect(removed.status).toBeGreaterThanOrEqual(500);
    });
    // Nothing happened: no ghost, Olena as she was (the same invitation, too).
    expect(await cleaner.redis.get(keys.personByEmail('ghost@newsroom.example'))).toBeNull();
    const users = await request<{ users: UserInfo[] }>(url, 'GET', '/api/users');
    expect(users.body.users.map((user) => user.email)).toEqual(['olena@newsroom.example']);
    expect(await cleaner.redis.hgetall(keys.person(olena.id))).toEqual(before);
    expect((await fetch(olena.inviteUrl)).status).toBe(200);
    // And once the trail works, the same change is made with its entry.
    expect((await request(url, 'PATCH', `/api/users/${olena.id}`, { body: { role: 'contributor' } })).status).toBe(200);
    const trail = await request<{ entries: { action: string }[] }>(url, 'GET', '/api/audit');
    expect(trail.body.entries.map((entry) => entry.action)).toEqual(['person.changed', 'person.invited']);
  });

  it('a token change stands (its entry follows it, in another slot), and the missing entry is logged at error level', async () => {
    await withBrokenTrail(async () => {
      const created = await request<{ id: string; token: string }>(url, 'POST', '/api/tokens', {
        body: { name: 'Wire desk', blogs: ['north'] },
      });
      expect(created.status).toBe(201);
      expect((await request(url, 'GET', '/api/me', { token: created.body.token })).status).toBe(200);
      expect((await request(url, 'DELETE', `/api/tokens/${created.body.id}`)).status).toBe(204);
    });
    const errors = logLines
      .map((line) => JSON.parse(line) as { level: number; msg: string; entry?: { action: string } })
      .filter((line) => line.level >= 50 && line.entry);
    expect(errors.map((line) => line.entry?.action)).toEqual(['token.created', 'token.revoked']);
    // Never the token's secret.
    expect(logLines.join('\n')).not.toMatch(/lb_[A-Za-z0-9_-]{43}/);
  });
});

describe('the people store', () => {
  it('never brings a removed person back: a change racing the removal writes nothing', async () => {
    const other = connectRedis();
    try {
      const remover = new RedisPeopleStore(cleaner.redis, cleaner.redis, keys, 0);
      const updater = new RedisPeopleStore(other, other, keys, 0);
      for (let i = 0; i < 20; i++) {
        const person = (await remover.create({ email: `race${i}@newsroom.example`, name: 'Race', role: 'editor', blogs: [] }, new Date()))!;
        await Promise.all([remover.remove(person.id), updater.update(person.id, { lastSignInAt: new Date().toISOString() })]);
        expect(await keysUnder(cleaner.redis, keys.person(person.id))).toEqual([]);
      }
    } finally {
      other.disconnect();
    }
  });

  it('ends an invitation once its person is activated another way (single sign-on: activatedAt)', async () => {
    const store = new RedisPeopleStore(cleaner.redis, cleaner.redis, keys, 0);
    const person = (await store.create({ email: 'sso@newsroom.example', name: 'SSO', role: 'editor', blogs: [] }, new Date()))!;
    const secret = (await store.invite(person.id, new Date(), 60_000))!;
    expect((await store.linkState('invite', secret, new Date())).state).toBe('valid');
    // What signing in by single sign-on writes (people-auth.ts startSession).
    const at = new Date().toISOString();
    await store.update(person.id, { lastSignInAt: at, activatedAt: at });
    expect((await store.linkState('invite', secret, new Date())).state).toBe('used');
  });

  it('ends an invitation once its person sets a password another way (POST /api/me/password): its page says used', async () => {
    const person = await signedInPerson(url, { email: 'reset@newsroom.example', name: 'Reset' });
    // A new link (a password reset), then the person remembers their password and changes it themselves.
    const again = await request<{ inviteUrl: string }>(url, 'POST', `/api/users/${person.id}/invite`);
    expect((await fetch(again.body.inviteUrl)).status).toBe(200);
    const changed = await asPerson(url, person.cookie, 'POST', '/api/me/password', {
      body: { currentPassword: 'correct horse battery staple', password: 'another long passphrase now' },
    });
    expect(changed.status).toBe(204);
    expect((await fetch(again.body.inviteUrl)).status).toBe(410);
  });

  it('accepts an invitation in one write: a failing write after it cannot leave the link used without the password', async () => {
    const invited = await invite(url, { email: 'accept.once@newsroom.example', name: 'Accept Once' });
    // Every person write but the invitation's own fails from here on (the store lost after one step): the
    // real store, with one of its methods made to fail.
    const people = server.stores.people;
    const update = people.update.bind(people);
    people.update = () => Promise.reject(new Error('store lost'));
    let answer: Response;
    try {
      answer = await postForm(invited.inviteUrl, { password: 'a brand new long passphrase', confirm: 'a brand new long passphrase' });
    } finally {
      people.update = update;
    }
    expect(answer.status).toBeGreaterThanOrEqual(500);
    // Either nothing happened (the link still works) or both did: here both, in one step. Never a used
    // link with no password behind it.
    expect((await fetch(invited.inviteUrl)).status).toBe(410);
    const record = await cleaner.redis.hgetall(keys.person(invited.id));
    expect(record.passwordHash).toMatch(/^\$argon2id\$/);
    expect(record.activatedAt).toBeTruthy();
    expect((await signIn(url, invited.email, 'a brand new long passphrase')).status).toBe(204);
  });
});
