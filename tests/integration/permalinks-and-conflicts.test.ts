/**
 * Reading around a permalink (`?around=`), the desk's search (`?q=`), and `If-Match` on corrections and
 * deletions: what an API client sees, over HTTP, with a real socket.io-client watching the blog.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io, type Socket } from 'socket.io-client';
import type { BlogEvent, Update, UpdatePage } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('permalinks');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let url: string;
const updates: Update[] = [];

beforeAll(async () => {
  server = await startServer({ prefix });
  url = server.url;
  await createBlog(url, 'long');
  for (let i = 0; i < 120; i++) {
    updates.push(
      await publish(url, 'long', {
        body: i % 40 === 7 ? `The bridge, entry ${i}` : `Entry ${i}`,
        publishedAt: new Date(Date.UTC(2025, 0, 1, 0, i)).toISOString(),
      }),
    );
  }
});

afterAll(async () => {
  await server?.stop();
  await cleaner.cleanup();
});

const newestFirst = () => [...updates].reverse().map((u) => u.id);

describe('GET /api/blogs/:blogId/updates?around=', () => {
  it('answers the update with its neighbours, how many are newer, and a next page that follows on', async () => {
    const target = updates[20];
    const { status, body } = await request<UpdatePage>(url, 'GET', `/api/blogs/long/updates?around=${target.id}&limit=11`, { token: null });
    expect(status).toBe(200);
    const all = newestFirst();
    const at = all.indexOf(target.id);
    expect(body.updates.map((u) => u.id)).toEqual(all.slice(at - 5, at + 6));
    expect(body.newer).toBe(at - 5);
    expect(body.cursor).toMatch(/^[0-9a-z]+-\d{12}-/);
    const older = await request<UpdatePage>(url, 'GET', `/api/blogs/long/updates?before=${body.next}&limit=3`, { token: null });
    expect(older.body.updates.map((u) => u.id)).toEqual(all.slice(at + 6, at + 9));
  });

  it('answers 404 for an update that is not there (never was, or deleted), and 400 for a malformed query', async () => {
    const gone = await publish(url, 'long', { body: 'Taken down', publishedAt: '2024-06-01T00:00:00.000Z' });
    expect((await request(url, 'DELETE', `/api/blogs/long/updates/${gone.id}`)).status).toBe(204);
    for (const id of [gone.id, 'nosuchupdate']) {
      const { status, body } = await request(url, 'GET', `/api/blogs/long/updates?around=${id}`, { token: null });
      expect(status).toBe(404);
      expect(body.error.code).toBe('not_found');
    }
    expect((await request(url, 'GET', `/api/blogs/nope/updates?around=${updates[0].id}`, { token: null })).status).toBe(404);
    for (const query of ['around=BAD!', `around=${updates[0].id}&before=${'0'.repeat(15)}:x`, `around=${updates[0].id}&q=x`]) {
      const { status, body } = await request(url, 'GET', `/api/blogs/long/updates?${query}`, { token: null });
      expect(status).toBe(400);
      expect(body.error.code).toBe('invalid');
    }
  });
});

describe('counts in query strings', () => {
  it('take decimal whole numbers within bounds only, with a message that says so', async () => {
    expect((await request<UpdatePage>(url, 'GET', '/api/blogs/long/updates?limit=16', { token: null })).body.updates).toHaveLength(16);
    const cases: [string, string][] = [
      ['limit=0x10', 'must be a whole number'],
      ['limit=1e1', 'must be a whole number'],
      ['limit=2.5', 'must be a whole number'],
      ['limit=-1', 'must be a whole number'],
      ['limit=0', 'must be at least 1'],
      ['limit=101', 'must be at most 100'],
      ['limit=1&limit=2', ''],
    ];
    for (const path of ['/api/blogs/long/updates', '/api/blogs/long/view', '/api/blogs/long/events']) {
      for (const [query, message] of cases) {
        const { status, body } = await request(url, 'GET', `${path}?${query}`, { token: null });
        if (path.endsWith('/events') && query === 'limit=101') continue; // its most is 1,000
        if (path.endsWith('/view') && query === 'limit=101') {
          expect(body.error.details?.limit).toBe('must be at most 50');
          continue;
        }
        expect({ path, query, status }).toEqual({ path, query, status: 400 });
        expect(body.error.details?.limit).toEqual(expect.stringContaining(message));
      }
    }
  });
});

describe('GET /api/blogs/:blogId/updates?q=', () => {
  it('finds the updates holding a phrase, newest first, whatever their case, however far back', async () => {
    const { body } = await request<UpdatePage>(url, 'GET', '/api/blogs/long/updates?q=BRIDGE&limit=10', { token: null });
    expect(body.updates.map((u) => u.id)).toEqual([updates[87].id, updates[47].id, updates[7].id]);
    expect(body.next).toBeUndefined();
    const paged = await request<UpdatePage>(url, 'GET', '/api/blogs/long/updates?q=bridge&limit=2', { token: null });
    expect(paged.body.updates).toHaveLength(2);
    const rest = await request<UpdatePage>(url, 'GET', `/api/blogs/long/updates?q=bridge&limit=2&before=${paged.body.next}`, {
      token: null,
    });
    expect(rest.body.updates.map((u) => u.id)).toEqual([updates[7].id]);
  });
});

describe('If-Match on PATCH and DELETE', () => {
  let socket: Socket;
  const seen: BlogEvent[] = [];

  beforeAll(async () => {
    await createBlog(url, 'desk');
    socket = io(url, { transports: ['websocket'] });
    socket.on('blog:event', (event: BlogEvent) => seen.push(event));
    await socket.emitWithAck('blog:subscribe', { blogId: 'desk' });
  });

  afterAll(() => {
    socket?.close();
  });

  it('applies a change made from the current version, and refuses one made from an older version with 412 and the update as it is', async () => {
    const update = await publish(url, 'desk', { body: 'First draft' });
    const first = await request<Update>(url, 'PATCH', `/api/blogs/desk/updates/${update.id}`, {
      body: { body: 'Second editor' },
      headers: { 'if-match': `"${update.version}"` },
    });
    expect(first.status).toBe(200);
    expect(first.body.version).toBe(2);
    const eventsBefore = seen.length;
    const stale = await request(url, 'PATCH', `/api/blogs/desk/updates/${update.id}`, {
      body: { body: 'First editor, late' },
      headers: { 'if-match': `"${update.version}"` },
    });
    expect(stale.status).toBe(412);
    expect(stale.body.error.code).toBe('conflict');
    expect(stale.body.error.details).toMatchObject({ id: update.id, version: 2, body: 'Second editor' });
    const deleteStale = await request(url, 'DELETE', `/api/blogs/desk/updates/${update.id}`, { headers: { 'if-match': 'W/"1"' } });
    expect(deleteStale.status).toBe(412);
    expect((await request<Update>(url, 'GET', `/api/blogs/desk/updates/${update.id}`)).body).toMatchObject({
      body: 'Second editor',
      version: 2,
    });
    // the refused ones told readers nothing
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(seen.slice(eventsBefore)).toEqual([]);
    expect((await request(url, 'DELETE', `/api/blogs/desk/updates/${update.id}`, { headers: { 'if-match': '"2"' } })).status).toBe(204);
    expect(
      (await request(url, 'PATCH', `/api/blogs/desk/updates/${update.id}`, { body: { body: 'x' }, headers: { 'if-match': '"2"' } })).status,
    ).toBe(404);
  });

  it('lets exactly one of several editors saving from the same version win', async () => {
    const update = await publish(url, 'desk', { body: 'Shared entry' });
    const results = await Promise.all(
      ['Editor A', 'Editor B', 'Editor C'].map((body) =>
        request<Update>(url, 'PATCH', `/api/blogs/desk/updates/${update.id}`, { body: { body }, headers: { 'if-match': '"1"' } }),
      ),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412]);
    const winner = results.find((r) => r.status === 200)!.body;
    expect((await request<Update>(url, 'GET', `/api/blogs/desk/updates/${update.id}`)).body).toMatchObject({
      body: winner.body,
      version: 2,
    });
  });

  it('takes "*" as any version and refuses a malformed If-Match with 400, changing nothing', async () => {
    const update = await publish(url, 'desk', { body: 'Any version' });
    expect(
      (await request(url, 'PATCH', `/api/blogs/desk/updates/${update.id}`, { body: { pinned: true }, headers: { 'if-match': '*' } }))
        .status,
    ).toBe(200);
    for (const header of ['2', '"abc"', '"0"', '"1", "2"']) {
      const { status, body } = await request(url, 'PATCH', `/api/blogs/desk/updates/${update.id}`, {
        body: { body: 'no' },
        headers: { 'if-match': header },
      });
      expect(status).toBe(400);
      expect(body.error.message).toContain('If-Match');
    }
    expect((await request<Update>(url, 'GET', `/api/blogs/desk/updates/${update.id}`)).body).toMatchObject({
      body: 'Any version',
      version: 2,
    });
  });
});
