/** The first run: `npm start` on an empty store prints a one-time link that makes the first admin account. */
import { afterAll, describe, expect, it } from '@jest/globals';
import type { Me } from '../../shared/schemas';
import { request } from '../helpers/api';
import { prefixCleaner, startServer } from '../helpers/app';
import { asPerson, GOOD_PASSWORD, postForm, sessionCookieOf } from '../helpers/people';
import { killAll, serviceEnv, startProcess } from '../helpers/process';
import { dataKeysUnder, TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('first-run');
const cleaner = prefixCleaner(prefix);

afterAll(async () => {
  killAll();
  await cleaner.cleanup();
});

const SETUP_LINE = /First admin: (http:\/\/\S+\/setup\/[A-Za-z0-9_-]{43})\n/;

describe('the first-run link', () => {
  it('is printed beside the admin token on an empty store, makes the first admin once, and is not printed again', async () => {
    const processPrefix = `${prefix}process:`;
    const first = await startProcess(serviceEnv(TEST_REDIS_URL, processPrefix));
    const printed = await waitFor(() => SETUP_LINE.exec(first.stderr()), 'the first-run link on stderr');
    expect(first.stderr()).toContain('Admin token');
    const setupUrl = printed[1];
    expect(first.stdout() + first.stderr().replace(setupUrl, '')).not.toContain(setupUrl.split('/').pop()!);

    const page = await fetch(setupUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    for (const label of [
      '<label for="name">Name</label>',
      '<label for="email">Email</label>',
      '<label for="password">New password</label>',
    ])
      expect(html).toContain(label);
    expect(html).toContain('<button type="submit">Create account</button>');

    const created = await postForm(setupUrl, {
      name: 'First Admin',
      email: 'First@Newsroom.Example',
      password: GOOD_PASSWORD,
      confirm: GOOD_PASSWORD,
    });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/editor');
    const cookie = sessionCookieOf(created.headers)!;
    const me = await asPerson<Me>(first.url, cookie, 'GET', '/api/me');
    expect(me.body).toMatchObject({ kind: 'admin', name: 'First Admin', email: 'first@newsroom.example', blogs: ['*'], source: 'session' });
    // The new admin can invite.
    const invited = await asPerson(first.url, cookie, 'POST', '/api/users', {
      body: { email: 'second@newsroom.example', name: 'Second', role: 'editor', blogs: ['*'] },
    });
    expect(invited.status).toBe(201);
    expect((await fetch(setupUrl)).status).toBe(410);
    first.child.kill('SIGTERM');
    await new Promise((resolve) => first.child.once('exit', resolve));

    const second = await startProcess(serviceEnv(TEST_REDIS_URL, processPrefix));
    await waitFor(() => second.stderr().includes('Admin token'), 'the start-up lines');
    expect(second.stderr()).not.toContain('First admin');
    expect((await fetch(`${second.url}${new URL(setupUrl).pathname}`)).status).toBe(410);
    second.child.kill('SIGTERM');
  });

  it('refuses bad names, emails and passwords with the form again and nothing stored; used once; dead once an admin exists', async () => {
    const server = await startServer({ prefix });
    try {
      const secret = await server.stores.people.createSetupLink(new Date(), 60_000);
      const setupUrl = `${server.url}/setup/${secret}`;
      const before = await dataKeysUnder(cleaner.redis, prefix);
      const good = { name: 'Ada', email: 'ada@newsroom.example', password: GOOD_PASSWORD, confirm: GOOD_PASSWORD };
      for (const [fields, says] of [
        [{ ...good, name: '' }, 'name'],
        [{ ...good, email: 'not an email' }, 'email'],
        [{ ...good, password: 'short', confirm: 'short' }, 'at least 12'],
        [{ ...good, password: '123456789012', confirm: '123456789012' }, 'common'],
        [{ ...good, confirm: 'something else entirely' }, 'differ'],
      ] as const) {
        const answer = await postForm(setupUrl, fields);
        expect(answer.status).toBe(400);
        expect(await answer.text()).toContain(says);
      }
      expect((await postForm(setupUrl, good, { origin: 'https://evil.example' })).status).toBe(403);
      expect((await postForm(`${server.url}/setup/${'B'.repeat(43)}`, good)).status).toBe(404);
      expect(await dataKeysUnder(cleaner.redis, prefix)).toEqual(before);

      const made = await postForm(setupUrl, good);
      expect(made.status).toBe(303);
      expect((await postForm(setupUrl, { ...good, email: 'eve@newsroom.example' })).status).toBe(410);
      const users = await request<{ users: { email: string; role: string }[] }>(server.url, 'GET', '/api/users');
      expect(users.body.users.filter((user) => user.role === 'admin').map((user) => user.email)).toEqual(['ada@newsroom.example']);

      // Another start's link, made before the admin existed, is dead now too.
      const late = await server.stores.people.createSetupLink(new Date(), 60_000);
      expect((await fetch(`${server.url}/setup/${late}`)).status).toBe(410);
      expect((await postForm(`${server.url}/setup/${late}`, { ...good, email: 'mallory@newsroom.example' })).status).toBe(410);
    } finally {
      await server.stop();
    }
  });

  // QA#5: links from earlier starts (old stderr, kept logs) must not make an admin.
  it('only the newest link works, and none once any admin account exists, even a disabled one', async () => {
    const server = await startServer({ prefix: `${prefix}newest:` });
    try {
      const first = await server.stores.people.createSetupLink(new Date(), 60_000);
      const second = await server.stores.people.createSetupLink(new Date(), 60_000);
      expect((await fetch(`${server.url}/setup/${first}`)).status).toBe(404);
      expect((await fetch(`${server.url}/setup/${second}`)).status).toBe(200);
      const good = { name: 'Ada', email: 'ada@newsroom.example', password: GOOD_PASSWORD, confirm: GOOD_PASSWORD };
      expect((await postForm(`${server.url}/setup/${first}`, good)).status).toBe(404);
      expect((await postForm(`${server.url}/setup/${second}`, good)).status).toBe(303);

      // The only admin disabled with the admin token: a link made now (a restart) still makes nobody.
      const users = await request<{ users: { id: string; role: string }[] }>(server.url, 'GET', '/api/users');
      const admin = users.body.users.find((user) => user.role === 'admin')!;
      expect((await request(server.url, 'PATCH', `/api/users/${admin.id}`, { body: { disabled: true } })).status).toBe(200);
      const later = await server.stores.people.createSetupLink(new Date(), 60_000);
      expect((await fetch(`${server.url}/setup/${later}`)).status).toBe(410);
      const attempt = await postForm(`${server.url}/setup/${later}`, { ...good, email: 'mallory@newsroom.example' });
      expect(attempt.status).toBe(410);
      const after = await request<{ users: { email: string }[] }>(server.url, 'GET', '/api/users');
      expect(after.body.users.map((user) => user.email)).toEqual(['ada@newsroom.example']);
    } finally {
      await server.stop();
    }
  });
});
