/**
 * The one permission rule on every route: a contributor tries every editor route, an editor of one
 * blog every route of another — each answered 403 with the store exactly as it was (every key of the
 * blogs, their logs, queues and audit trails compared byte for byte).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import type { EditingAck } from '../../shared/events';
import type { PendingUpdate, Update } from '../../shared/schemas';
import { createBlog, publish, request, type ApiResponse } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { connectDesk, editorToken, person, type Person } from '../helpers/newsroom';
import { keysUnder, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('roles');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let url: string;
let taras: Person;
let olena: Person;
let editorOfA: { token: string };
let published: Update;
let pending: PendingUpdate;

/** Every key of the blogs (and their index) with its serialized value: what "nothing changed" means. */
async function blogState(redis: Redis): Promise<Record<string, string>> {
  const keys = (await keysUnder(redis, prefix)).filter((key) => key.startsWith(`${prefix}blog`));
  const state: Record<string, string> = {};
  for (const key of keys) state[key] = (await redis.dumpBuffer(key))?.toString('base64') ?? '';
  return state;
}

async function refusedAndUnchanged(attempts: [string, () => Promise<ApiResponse<unknown>>][]): Promise<void> {
  for (const [what, attempt] of attempts) {
    const before = await blogState(cleaner.redis);
    const answer = await attempt();
    expect({ what, status: answer.status, code: (answer.body as { error?: { code: string } }).error?.code }).toEqual({
      what,
      status: 403,
      code: 'forbidden',
    });
    expect(await blogState(cleaner.redis)).toEqual(before);
  }
}

beforeAll(async () => {
  server = await startServer({ prefix });
  url = server.url;
  await createBlog(url, 'blog-a');
  await createBlog(url, 'blog-b');
  taras = await person(url, 'Taras', 'contributor', ['blog-a']);
  olena = await person(url, 'Olena', 'editor', ['blog-a']);
  editorOfA = await editorToken(url, 'Desk A', ['blog-a']);
  published = await publish(url, 'blog-a', { body: 'published', pinned: false });
  pending = (await taras.call<PendingUpdate>('POST', '/api/blogs/blog-a/updates', { body: 'waiting' })).body;
  await publish(url, 'blog-b', { body: 'on b' });
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

describe('a contributor', () => {
  it('is refused every editor route, and nothing changes', async () => {
    const a = '/api/blogs/blog-a';
    await refusedAndUnchanged([
      ['edit an update', () => taras.call('PATCH', `${a}/updates/${published.id}`, { body: 'changed' })],
      ['edit with If-Match', () => taras.call('PATCH', `${a}/updates/${published.id}`, { body: 'changed' }, { 'if-match': '"1"' })],
      ['pin an update', () => taras.call('PATCH', `${a}/updates/${published.id}`, { pinned: true })],
      ['delete an update', () => taras.call('DELETE', `${a}/updates/${published.id}`)],
      ['publish pinned', () => taras.call('POST', `${a}/updates`, { body: 'pin me', pinned: true })],
      ['approve', () => taras.call('POST', `${a}/updates/${pending.id}/approve`, {})],
      ['approve with no body', () => taras.call('POST', `${a}/updates/${pending.id}/approve`)],
      ['reject', () => taras.call('POST', `${a}/updates/${pending.id}/reject`, { reason: 'mine' })],
      ['edit a pending entry', () => taras.call('PATCH', `${a}/pending/${pending.id}`, { body: 'sneaky' })],
      ['change the blog', () => taras.call('PATCH', a, { title: 'Mine now' })],
      ['end the blog', () => taras.call('PATCH', a, { status: 'ended' })],
      ['create a blog', () => taras.call('POST', '/api/blogs', { id: 'taras-blog', title: 'Mine' })],
      ['read versions', () => taras.call('GET', `${a}/updates/${published.id}/versions`)],
      ['read the audit trail', () => taras.call('GET', `${a}/audit`)],
      ['read the service trail', () => taras.call('GET', '/api/audit')],
      ['submit to another blog', () => taras.call('POST', '/api/blogs/blog-b/updates', { body: 'elsewhere' })],
      ['read another blog’s queue', () => taras.call('GET', '/api/blogs/blog-b/pending')],
    ]);
  });

  it('cannot say it edits an entry, nor join the editors’ room', async () => {
    const desk = await connectDesk(url, { cookie: taras.cookie });
    try {
      const ack = (await desk.socket
        .timeout(5_000)
        .emitWithAck('entry:editing', { blogId: 'blog-a', updateId: published.id, editing: true })) as EditingAck;
      expect(ack).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      expect(await desk.socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId: 'blog-a' })).toMatchObject({ ok: true });
      // An editor's subscription is answered with the reader count at once; a contributor's never is.
      const editorDesk = await connectDesk(url, { cookie: olena.cookie });
      await editorDesk.socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId: 'blog-a' });
      await waitFor(() => editorDesk.of('blog:readers').length > 0, 'the editor’s reader count');
      editorDesk.close();
      expect(desk.of('blog:readers')).toEqual([]);
      expect(desk.of('entry:editors')).toEqual([]);
    } finally {
      desk.close();
    }
  });

  it('submits with their own name as author unless they give one', async () => {
    const mine = await taras.call<PendingUpdate>('POST', '/api/blogs/blog-a/updates', { body: 'no author given' });
    expect(mine.body.author).toBe('Taras');
    const given = await taras.call<PendingUpdate>('POST', '/api/blogs/blog-a/updates', { body: 'author given', author: 'Reuters' });
    expect(given.body.author).toBe('Reuters');
  });
});

describe('an editor of blog A', () => {
  it('is refused every route of blog B, as a token and as a person, and nothing changes', async () => {
    const onB = (await request<{ updates: Update[] }>(url, 'GET', '/api/blogs/blog-b/updates', { token: null })).body.updates[0];
    const b = '/api/blogs/blog-b';
    const asToken = (method: string, path: string, body?: unknown) =>
      request(url, method, path, { token: editorOfA.token, ...(body !== undefined ? { body } : {}) });
    for (const [who, call] of [
      ['token', asToken],
      ['person', (method: string, path: string, body?: unknown) => olena.call(method, path, body)],
    ] as const) {
      await refusedAndUnchanged([
        [`${who}: publish`, () => call('POST', `${b}/updates`, { body: 'intruder' })],
        [`${who}: edit`, () => call('PATCH', `${b}/updates/${onB.id}`, { body: 'intruder' })],
        [`${who}: delete`, () => call('DELETE', `${b}/updates/${onB.id}`)],
        [`${who}: approve`, () => call('POST', `${b}/updates/${onB.id}/approve`, {})],
        [`${who}: reject`, () => call('POST', `${b}/updates/${onB.id}/reject`, {})],
        [`${who}: change the blog`, () => call('PATCH', b, { title: 'Taken' })],
        [`${who}: versions`, () => call('GET', `${b}/updates/${onB.id}/versions`)],
        [`${who}: audit`, () => call('GET', `${b}/audit`)],
        [`${who}: queue`, () => call('GET', `${b}/pending`)],
        [`${who}: create a blog`, () => call('POST', '/api/blogs', { id: 'not-mine', title: 'No' })],
        [`${who}: service trail`, () => call('GET', '/api/audit')],
      ]);
    }
  });

  it('publishes on blog A directly, a person with their own name as author', async () => {
    const direct = await olena.call<Update>('POST', '/api/blogs/blog-a/updates', { body: 'by Olena' });
    expect(direct.status).toBe(201);
    expect(direct.body.author).toBe('Olena');
    const byToken = await request<Update>(url, 'POST', '/api/blogs/blog-a/updates', {
      token: editorOfA.token,
      body: { body: 'by a script' },
    });
    expect(byToken.status).toBe(201);
    expect(byToken.body.author).toBeUndefined();
  });
});
