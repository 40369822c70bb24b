/** The editors' side of the API on a real Redis: tokens and their scopes, versions, limits, reader counts. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LIMITS } from '../../shared/limits';
import { PREVIEWS_PER_WRITE } from '../../server/http/guards';
import type { Me, ReaderCount, TokenInfo, Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { killAll, startProcess } from '../helpers/process';
import { io } from 'socket.io-client';
import { connectReader, type TestReader } from '../helpers/reader';
import { deletePrefix, keysUnder, TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('desk');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startServer({ prefix });
  url = server.url;
  await createBlog(url, 'north');
  await createBlog(url, 'south');
});

afterAll(async () => {
  killAll();
  await server.stop();
  await cleaner.cleanup();
});

async function issueToken(name: string, blogs: string[]): Promise<TokenInfo & { token: string }> {
  const response = await request<TokenInfo & { token: string }>(url, 'POST', '/api/tokens', { body: { name, blogs } });
  expect(response.status).toBe(201);
  return response.body;
}

describe('tokens', () => {
  it('are created by the admin with a 32-byte secret shown once, and listed without it', async () => {
    const created = await issueToken('Night desk', ['north']);
    expect(created).toMatchObject({ id: expect.any(String), name: 'Night desk', blogs: ['north'], createdAt: expect.any(String) });
    expect(Buffer.from(created.token.replace(/^lb_/, ''), 'base64url')).toHaveLength(32);
    const listed = await request<{ tokens: TokenInfo[] }>(url, 'GET', '/api/tokens');
    const entry = listed.body.tokens.find((t) => t.id === created.id)!;
    expect(entry).toEqual({ id: created.id, name: 'Night desk', blogs: ['north'], createdAt: created.createdAt });
    expect(JSON.stringify(listed.body)).not.toContain(created.token);
  });

  it('act on the blogs they name (201), not elsewhere (403), and never on admin routes (403)', async () => {
    const { token } = await issueToken('North only', ['north']);
    expect((await request(url, 'POST', '/api/blogs/north/updates', { token, body: { body: 'ok' } })).status).toBe(201);
    const elsewhere = await request(url, 'POST', '/api/blogs/south/updates', { token, body: { body: 'no' } });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toMatchObject({ error: { code: 'forbidden' } });
    expect((await request(url, 'PATCH', '/api/blogs/south', { token, body: { title: 'no' } })).status).toBe(403);
    expect((await request(url, 'POST', '/api/blogs', { token, body: { id: 'new-one', title: 'no' } })).status).toBe(403);
    expect((await request(url, 'GET', '/api/tokens', { token })).status).toBe(403);
    expect((await request(url, 'POST', '/api/tokens', { token, body: { name: 'x', blogs: ['*'] } })).status).toBe(403);
    expect((await request(url, 'GET', '/api/blogs/south', { token: null })).body).toMatchObject({ id: 'south' });
    expect((await request<Me>(url, 'GET', '/api/me', { token })).body).toEqual({
      kind: 'editor',
      name: 'North only',
      blogs: ['north'],
      source: 'token',
    });
  });

  it('naming "*" may act on every blog and create blogs', async () => {
    const { token } = await issueToken('Chief', ['*']);
    expect((await request(url, 'POST', '/api/blogs', { token, body: { id: 'chiefs-blog', title: 'T' } })).status).toBe(201);
    expect((await request(url, 'POST', '/api/blogs/south/updates', { token, body: { body: 'ok' } })).status).toBe(201);
  });

  it('are kept in Redis only as hashes', async () => {
    const { token, id } = await issueToken('Hashed', ['north']);
    const keys = await keysUnder(cleaner.redis, prefix);
    for (const key of keys) {
      expect(key).not.toContain(token);
      const type = await cleaner.redis.type(key);
      const dump =
        type === 'hash' ? JSON.stringify(await cleaner.redis.hgetall(key)) : type === 'string' ? await cleaner.redis.get(key) : '';
      expect(dump ?? '').not.toContain(token);
    }
    expect(await cleaner.redis.hget(`${prefix}token:${id}`, 'hash')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('record when they were last used', async () => {
    const { token, id } = await issueToken('Used', ['north']);
    await request(url, 'POST', '/api/blogs/north/updates', { token, body: { body: 'used' } });
    const listed = await request<{ tokens: TokenInfo[] }>(url, 'GET', '/api/tokens');
    expect(Date.parse(listed.body.tokens.find((t) => t.id === id)!.lastUsedAt!)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('stop working at once on every process when revoked', async () => {
    const other = await startProcess({
      REDIS_URL: TEST_REDIS_URL,
      LIVEBLOG_REDIS_PREFIX: prefix,
      LIVEBLOG_ADMIN_TOKEN: ADMIN_TOKEN,
      LIVEBLOG_DEMO: '0',
      LOG_LEVEL: 'warn',
    });
    const { token, id } = await issueToken('Revocable', ['north']);
    expect((await request(other.url, 'POST', '/api/blogs/north/updates', { token, body: { body: 'on the other process' } })).status).toBe(
      201,
    );
    expect((await request(url, 'DELETE', `/api/tokens/${id}`)).status).toBe(204);
    const refused = await request(other.url, 'POST', '/api/blogs/north/updates', { token, body: { body: 'after revocation' } });
    expect(refused.status).toBe(401);
    expect(refused.body).toMatchObject({ error: { code: 'unauthorized' } });
    expect((await request(url, 'DELETE', `/api/tokens/${id}`)).status).toBe(404);
    other.kill();
    expect(await other.exit).toBe(0);
  });

  it('refuse malformed token requests', async () => {
    for (const body of [
      {},
      { name: '', blogs: ['north'] },
      { name: 'x', blogs: [] },
      { name: 'x', blogs: ['Not A Slug'] },
      { name: 'x', blogs: 'north' },
    ]) {
      const response = await request(url, 'POST', '/api/tokens', { body });
      expect(response.status).toBe(400);
    }
  });
});

describe('versions', () => {
  it('keeps every earlier version of an edited update, readable by editors of the blog', async () => {
    const update = await publish(url, 'north', { body: 'Two soldiers captured', title: 'First' });
    await request(url, 'PATCH', `/api/blogs/north/updates/${update.id}`, { body: { body: 'Two North Korean soldiers captured' } });
    await request(url, 'PATCH', `/api/blogs/north/updates/${update.id}`, { body: { title: 'Captured' } });
    const versions = await request<{ versions: Update[] }>(url, 'GET', `/api/blogs/north/updates/${update.id}/versions`);
    expect(versions.status).toBe(200);
    expect(versions.body.versions.map((v) => [v.version, v.title, v.body])).toEqual([
      [1, 'First', 'Two soldiers captured'],
      [2, 'First', 'Two North Korean soldiers captured'],
      [3, 'Captured', 'Two North Korean soldiers captured'],
    ]);
    expect((await request(url, 'GET', `/api/blogs/north/updates/${update.id}/versions`, { token: null })).status).toBe(401);
    const south = await issueToken('South only', ['south']);
    expect((await request(url, 'GET', `/api/blogs/north/updates/${update.id}/versions`, { token: south.token })).status).toBe(403);
  });

  it('marks corrections as edited, but not pinning or key-event changes', async () => {
    const update = await publish(url, 'north', { body: 'Pin me' });
    const pinned = await request<Update>(url, 'PATCH', `/api/blogs/north/updates/${update.id}`, { body: { pinned: true, keyEvent: true } });
    expect(pinned.body).toMatchObject({ pinned: true, keyEvent: true, version: 2 });
    expect(pinned.body.editedAt).toBeUndefined();
    const corrected = await request<Update>(url, 'PATCH', `/api/blogs/north/updates/${update.id}`, { body: { body: 'Pinned, corrected' } });
    expect(corrected.body.editedAt).toEqual(expect.any(String));
  });
});

describe('pinning', () => {
  it('keeps one pinned update per blog: pinning another unpins the first, with an event readers get', async () => {
    const blog = await createBlog(url, 'pinned-blog');
    const reader = await connectReader(url);
    await reader.subscribe(blog.id);
    const first = await publish(url, blog.id, { body: 'First pinned', pinned: true });
    const second = await publish(url, blog.id, { body: 'Second' });
    await request(url, 'PATCH', `/api/blogs/${blog.id}/updates/${second.id}`, { body: { pinned: true } });
    const events = await reader.waitForEvents(4);
    expect(events.slice(2).map((e) => [e.type, e.update?.id, e.update?.pinned])).toEqual([
      // The unpin first, in the same write, so that a reader never sees two pinned updates.
      ['update.edited', first.id, false],
      ['update.edited', second.id, true],
    ]);
    const page = await request<{ updates: Update[] }>(url, 'GET', `/api/blogs/${blog.id}/updates`, { token: null });
    expect(page.body.updates.filter((u) => u.pinned).map((u) => u.id)).toEqual([second.id]);
    reader.close();
  });
});

describe('write limits', () => {
  it('answer 429 in the contract’s shape past the per-token limit, counted in Redis across processes', async () => {
    const limitedPrefix = testPrefix('desk-limit');
    const limited = await startServer({ prefix: limitedPrefix, editorWritesPerMinute: 5 });
    const twin = await startServer({ prefix: limitedPrefix, editorWritesPerMinute: 5 });
    try {
      await createBlog(limited.url, 'busy'); // write 1
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push((await request(limited.url, 'POST', '/api/blogs/busy/updates', { body: { body: `a${i}` } })).status);
      statuses.push((await request(twin.url, 'POST', '/api/blogs/busy/updates', { body: { body: 'on the twin' } })).status);
      const over = await request(twin.url, 'POST', '/api/blogs/busy/updates', { body: { body: 'one too many' } });
      expect(statuses).toEqual([201, 201, 201, 201]);
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ error: { code: 'rate_limited', message: expect.any(String) } });
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      const page = await request<{ updates: Update[] }>(limited.url, 'GET', '/api/blogs/busy/updates', { token: null });
      expect(page.body.updates).toHaveLength(4);
      // reads are not limited
      expect((await request(limited.url, 'GET', '/api/blogs/busy', { token: null })).status).toBe(200);
      // Previews are counted apart, at PREVIEWS_PER_WRITE times the write limit: rendering is not free.
      const previews: number[] = [];
      for (let i = 0; i < 5 * PREVIEWS_PER_WRITE + 1; i++)
        previews.push((await request(limited.url, 'POST', '/api/preview', { body: { body: `draft ${i}` } })).status);
      expect(previews.slice(0, -1).every((status) => status === 200)).toBe(true);
      expect(previews.at(-1)).toBe(429);
    } finally {
      await limited.stop();
      await twin.stop();
      await deletePrefix(cleaner.redis, limitedPrefix);
    }
  });
});

describe('the desk helpers', () => {
  it('preview Markdown exactly as it will be published', async () => {
    const body = 'Hello **desk** <script>alert(1)</script>';
    const preview = await request<{ html: string }>(url, 'POST', '/api/preview', { body: { body } });
    const published = await publish(url, 'north', { body });
    expect(preview.body.html).toBe(published.html);
    expect((await request(url, 'POST', '/api/preview', { body: { body }, token: null })).status).toBe(401);
  });

  it('refuse a body whose HTML would be too large, in preview, publish and edit, storing nothing', async () => {
    // Bare links render to about seven times their length.
    const links = 'https://a.example/x '.repeat(1_000).slice(0, LIMITS.body);
    for (const [method, path] of [
      ['POST', '/api/preview'],
      ['POST', '/api/blogs/north/updates'],
    ] as const) {
      const refused = await request(url, method, path, { body: { body: links } });
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ error: { code: 'invalid', details: { body: expect.stringContaining('KB of HTML') } } });
    }
    const update = await publish(url, 'north', { body: 'short' });
    const edit = await request(url, 'PATCH', `/api/blogs/north/updates/${update.id}`, { body: { body: links } });
    expect(edit.status).toBe(400);
    expect((await request<Update>(url, 'GET', `/api/blogs/north/updates/${update.id}`, { token: null })).body.body).toBe('short');
    // An ordinary body of the same length is fine.
    expect(
      (await request(url, 'POST', '/api/preview', { body: { body: 'Troops hold the line. '.repeat(1_000).slice(0, LIMITS.body) } })).status,
    ).toBe(200);
  });

  it('tell a blog’s editors how many readers watch it, kept current', async () => {
    const blog = await createBlog(url, 'watched');
    const editor = io(url, { transports: ['websocket'], auth: { token: ADMIN_TOKEN }, forceNew: true });
    const counts: ReaderCount[] = [];
    editor.on('blog:readers', (count) => counts.push(count));
    await editor.timeout(5000).emitWithAck('blog:subscribe', { blogId: blog.id });
    await waitFor(() => counts.at(-1)?.readers === 0, 'a first count of 0');
    const readers: TestReader[] = [];
    for (let i = 0; i < 3; i++) {
      const reader = await connectReader(url);
      await reader.subscribe(blog.id);
      readers.push(reader);
    }
    await waitFor(() => counts.at(-1)?.readers === 3, 'a count of 3', 6_000);
    readers.pop()!.close();
    await waitFor(() => counts.at(-1)?.readers === 2, 'a count of 2', 6_000);
    // a reader's connection is not told
    expect(readers[0].events).toHaveLength(0);
    for (const reader of readers) reader.close();
    editor.disconnect();
  });

  it('refuses a socket with an unknown token', async () => {
    const socket = io(url, { transports: ['websocket'], auth: { token: 'not-a-token' }, forceNew: true, reconnection: false });
    const error = await new Promise<Error>((resolve) => socket.once('connect_error', resolve));
    expect(error.message).toMatch(/unknown or revoked/);
    socket.disconnect();
  });
});
