/**
 * A person's open connections end with their rights, at once and on every process: two servers share
 * one Redis prefix; the desk's socket (signed in by its cookie) is on one, the admin acts on the other.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';
import { createBlog, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { accept, asPerson, GOOD_PASSWORD, signIn, signedInPerson } from '../helpers/people';
import { connectDesk } from '../helpers/newsroom';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';
import { redisKeys } from '../../server/store/redis/keys';
import { RedisPeopleStore } from '../../server/store/redis/people';

const prefix = testPrefix('revoke');
const cleaner = prefixCleaner(prefix);
let one: TestServer;
let two: TestServer;
/** The other process checks its connections' sessions this often (the bus is the fast path). */
const RECHECK_MS = 300;

beforeAll(async () => {
  one = await startServer({ prefix });
  two = await startServer({ prefix, people: { recheckMs: RECHECK_MS } });
  await createBlog(one.url, 'north');
});

afterAll(async () => {
  await Promise.all([one.stop(), two.stop()]);
  await cleaner.cleanup();
});

const sockets: Socket[] = [];
afterAll(() => sockets.forEach((socket) => socket.disconnect()));

/** A desk's socket: the browser sends the cookie and its page's Origin with the handshake. */
async function deskSocket(server: TestServer, cookie: string, origin = server.url): Promise<Socket> {
  const desk = await connectDesk(server.url, { cookie, origin });
  sockets.push(desk.socket);
  return desk.socket;
}

function principalOn(server: TestServer, socket: Socket) {
  return server.app.io.of('/').sockets.get(socket.id!)?.data.principal;
}

/** The reason the server gave, within `withinMs`: well before the 10-s recheck, unless it is the recheck's test. */
function disconnected(socket: Socket, withinMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!socket.connected) resolve('already');
    const timer = setTimeout(() => reject(new Error(`still connected after ${withinMs} ms`)), withinMs);
    socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve(reason);
    });
  });
}

describe('a desk socket signed in by its cookie', () => {
  it('carries the person (role, blogs, session); from another origin or with a dead cookie it is a reader', async () => {
    const person = await signedInPerson(one.url, { email: 'sock@newsroom.example', name: 'Sock', role: 'contributor', blogs: ['north'] });
    const socket = await deskSocket(two, person.cookie);
    expect(principalOn(two, socket)).toMatchObject({ kind: 'contributor', source: 'session', personId: person.id, blogs: ['north'] });

    const foreign = await deskSocket(two, person.cookie, 'https://evil.example');
    expect(principalOn(two, foreign)).toBeUndefined();
    const stale = await deskSocket(two, 'A'.repeat(43));
    expect(principalOn(two, stale)).toBeUndefined();
    // A token is judged first, whatever cookie comes with it: a bad one is refused.
    const withToken = io(two.url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: { token: 'not-a-token' },
      extraHeaders: { cookie: `lb_session=${person.cookie}`, origin: two.url },
    });
    sockets.push(withToken);
    await expect(
      new Promise<void>((resolve, reject) => (withToken.once('connect', () => resolve()), withToken.once('connect_error', reject))),
    ).rejects.toThrow(/unknown or revoked token/);
  });

  it('is disconnected on every process when an admin disables the person; their cookies then get 401 everywhere', async () => {
    const person = await signedInPerson(one.url, { email: 'disabled@newsroom.example', name: 'Disabled' });
    const laptop = await signIn(two.url, person.email, GOOD_PASSWORD);
    const here = await deskSocket(one, person.cookie);
    const there = await deskSocket(two, laptop.cookie!);
    const bystander = await signedInPerson(one.url, { email: 'bystander2@newsroom.example', name: 'Bystander' });
    const bystanderSocket = await deskSocket(two, bystander.cookie);
    const ended = Promise.all([disconnected(here), disconnected(there)]);
    const started = Date.now();
    // On the process with the slow (10 s) recheck: only the bus can end `here` in time.
    expect((await request(two.url, 'PATCH', `/api/users/${person.id}`, { body: { disabled: true } })).status).toBe(200);
    expect(await ended).toEqual(['io server disconnect', 'io server disconnect']);
    // Well before the recheck: the bus carried it.
    expect(Date.now() - started).toBeLessThan(2_000);
    for (const [server, cookie] of [
      [one, person.cookie],
      [two, laptop.cookie!],
    ] as const) {
      expect((await asPerson(server.url, cookie, 'GET', '/api/me')).status).toBe(401);
      expect((await asPerson(server.url, cookie, 'POST', '/api/blogs/north/updates', { body: { body: 'still here?' } })).status).toBe(401);
    }
    expect(await cleaner.redis.zcard(`${prefix}person-sessions:${person.id}`)).toBe(0);
    // A reconnect is a reader's, not the person's.
    expect(principalOn(two, await deskSocket(two, laptop.cookie!))).toBeUndefined();
    expect(bystanderSocket.connected).toBe(true);

    // Enabled again: they sign in afresh; the old cookies stay dead.
    expect((await request(one.url, 'PATCH', `/api/users/${person.id}`, { body: { disabled: false } })).status).toBe(200);
    expect((await asPerson(one.url, person.cookie, 'GET', '/api/me')).status).toBe(401);
    expect((await signIn(one.url, person.email, GOOD_PASSWORD)).status).toBe(204);
  });

  it('is disconnected everywhere when the person is removed', async () => {
    const person = await signedInPerson(one.url, { email: 'removed@newsroom.example', name: 'Removed' });
    const socket = await deskSocket(one, person.cookie);
    const ended = disconnected(socket);
    expect((await request(two.url, 'DELETE', `/api/users/${person.id}`)).status).toBe(204);
    expect(await ended).toBe('io server disconnect');
    expect((await asPerson(two.url, person.cookie, 'GET', '/api/me')).status).toBe(401);
  });

  it('ends with its session at sign-out (on another process), while the person’s other sessions stay', async () => {
    const person = await signedInPerson(one.url, { email: 'signout@newsroom.example', name: 'Sign Out' });
    const phone = await signIn(one.url, person.email, GOOD_PASSWORD);
    const desk = await deskSocket(one, person.cookie);
    const phoneSocket = await deskSocket(one, phone.cookie!);
    const ended = disconnected(desk);
    expect((await asPerson(two.url, person.cookie, 'DELETE', '/api/session')).status).toBe(204);
    expect(await ended).toBe('io server disconnect');
    expect(phoneSocket.connected).toBe(true);
    expect((await asPerson(one.url, phone.cookie!, 'GET', '/api/me')).status).toBe(200);
  });

  // QA#3: a new invitation is the admin's password reset; whoever held the old password is out once it is used.
  it('ends with every earlier session once the person sets a password through a new invitation, not when it is sent', async () => {
    const person = await signedInPerson(one.url, { email: 'reset@newsroom.example', name: 'Reset' });
    const stolen = await signIn(one.url, person.email, GOOD_PASSWORD);
    const socket = await deskSocket(two, stolen.cookie!);
    const reinvited = await request<{ inviteUrl: string }>(one.url, 'POST', `/api/users/${person.id}/invite`);
    expect(reinvited.status).toBe(201);
    // Sending the link locks nobody out: the person keeps working until they use it.
    expect((await asPerson(two.url, person.cookie, 'GET', '/api/me')).status).toBe(200);
    expect(socket.connected).toBe(true);

    const ended = disconnected(socket);
    const fresh = await accept(reinvited.body.inviteUrl, 'a brand new long passphrase');
    expect(await ended).toBe('io server disconnect');
    expect((await asPerson(two.url, stolen.cookie!, 'GET', '/api/me')).status).toBe(401);
    expect((await asPerson(two.url, person.cookie, 'GET', '/api/me')).status).toBe(401);
    expect((await asPerson(two.url, fresh, 'GET', '/api/me')).status).toBe(200);
    expect((await signIn(one.url, person.email, GOOD_PASSWORD)).status).toBe(401);
  });

  it('reconnects with new rights after a role change (the old connection ends)', async () => {
    const person = await signedInPerson(one.url, {
      email: 'promoted@newsroom.example',
      name: 'Promoted',
      role: 'contributor',
      blogs: ['north'],
    });
    const socket = await deskSocket(two, person.cookie);
    const ended = disconnected(socket);
    expect((await request(one.url, 'PATCH', `/api/users/${person.id}`, { body: { role: 'editor' } })).status).toBe(200);
    await ended;
    expect(principalOn(two, await deskSocket(two, person.cookie))).toMatchObject({ kind: 'editor' });
  });

  it('is ended by the periodic check when the bus message is lost (the session deleted behind its back)', async () => {
    const person = await signedInPerson(one.url, { email: 'lost@newsroom.example', name: 'Lost' });
    const socket = await deskSocket(two, person.cookie);
    const [hash] = await cleaner.redis.zrange(`${prefix}person-sessions:${person.id}`, 0, -1);
    const ended = disconnected(socket);
    await cleaner.redis.del(`${prefix}session:${hash}`);
    expect(await ended).toBe('io server disconnect');
    await waitFor(() => !socket.connected, 'the socket to be gone');
  });
});

describe('when the bus message about a change of rights is lost', () => {
  // The change is written straight to the store, as another process would, with no message on the bus:
  // only the periodic check (every RECHECK_MS on `two`) can notice it.
  const store = () => new RedisPeopleStore(cleaner.redis, cleaner.redis, redisKeys(prefix), 0);

  it.each([
    ['a demotion to contributor', { role: 'contributor' as const }],
    ['a change of blogs', { blogs: ['south'] }],
    ['disabling', { disabled: true }],
  ])('%s ends the socket on the next periodic check', async (_what, patch) => {
    const person = await signedInPerson(one.url, {
      email: `quiet-${Object.keys(patch)[0]}@newsroom.example`,
      name: 'Quiet',
      role: 'editor',
      blogs: ['north'],
    });
    const socket = await deskSocket(two, person.cookie);
    expect(principalOn(two, socket)).toMatchObject({ kind: 'editor', blogs: ['north'] });
    const ended = disconnected(socket, RECHECK_MS * 10);
    expect(await store().update(person.id, patch)).toBeTruthy();
    expect(await ended).toBe('io server disconnect');
  });

  it('a person removed behind its back: the socket ends; an unchanged person’s socket stays', async () => {
    const person = await signedInPerson(one.url, { email: 'quiet-removed@newsroom.example', name: 'Quiet', blogs: ['north'] });
    const steady = await signedInPerson(one.url, { email: 'quiet-steady@newsroom.example', name: 'Steady', blogs: ['north'] });
    const socket = await deskSocket(two, person.cookie);
    const steadySocket = await deskSocket(two, steady.cookie);
    const ended = disconnected(socket, RECHECK_MS * 10);
    expect(await store().remove(person.id)).toBeTruthy();
    expect(await ended).toBe('io server disconnect');
    // The same check looked at the unchanged person's socket, and left it.
    expect(steadySocket.connected).toBe(true);
  });
});

describe('when a session cannot be read', () => {
  it('a handshake with a cookie still connects, as a reader’s (a reader’s page carries the cookie too)', async () => {
    // A key of the wrong type: the store answers the lookup with an error, as it would when away.
    const secret = 'C'.repeat(43);
    await cleaner.redis.hset(`${prefix}session:${createHash('sha256').update(secret).digest('hex')}`, 'not', 'json');
    const socket = await deskSocket(two, secret);
    expect(socket.connected).toBe(true);
    expect(principalOn(two, socket)).toBeUndefined();
  });
});
