/** The contract's HTTP routes on a real Redis: what an editor's tool and a reader's browser get back. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { formatCursor, ORIGIN_TAG, parseCursor } from '../../shared/cursor';
import type { Blog, BlogEvent, Update, UpdatePage } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { dataKeysUnder, testPrefix } from '../helpers/redis';
import { connectReader } from '../helpers/reader';

const prefix = testPrefix('api');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startServer({ prefix, historyLength: 30 });
  url = server.url;
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

function expectError(response: { status: number; body: unknown }, status: number, code: string): void {
  expect(response.status).toBe(status);
  expect(response.body).toMatchObject({ error: { code, message: expect.any(String) } });
}

describe('blogs', () => {
  it('creates a blog, lists it, reads it with its cursor, and refuses a taken id with 409', async () => {
    const created = await request<Blog>(url, 'POST', '/api/blogs', {
      body: { id: 'kursk', title: 'Kursk: live', description: 'The story' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      id: 'kursk',
      title: 'Kursk: live',
      description: 'The story',
      status: 'live',
      cursor: expect.any(String),
    });
    const listed = await request<{ blogs: Blog[] }>(url, 'GET', '/api/blogs', { token: null });
    expect(listed.body.blogs.map((b) => b.id)).toContain('kursk');
    const read = await request<Blog>(url, 'GET', '/api/blogs/kursk', { token: null });
    expect(read.body).toEqual(created.body);
    expectError(await request(url, 'POST', '/api/blogs', { body: { id: 'kursk', title: 'Again' } }), 409, 'conflict');
  });

  it('changes title, description and status with a blog.updated event', async () => {
    await createBlog(url, 'patchable');
    const patched = await request<Blog>(url, 'PATCH', '/api/blogs/patchable', { body: { title: 'New title', status: 'ended' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ title: 'New title', status: 'ended' });
    const events = await request<{ events: BlogEvent[] }>(
      url,
      'GET',
      `/api/blogs/patchable/events?after=${encodeURIComponent(zeroCursor(patched.body.cursor))}`,
    );
    expect(events.body.events.map((e) => e.type)).toEqual(['blog.updated']);
    expectError(await request(url, 'POST', '/api/blogs/patchable/updates', { body: { body: 'too late' } }), 409, 'blog_ended');
    const reopened = await request<Blog>(url, 'PATCH', '/api/blogs/patchable', { body: { status: 'live', description: null } });
    expect(reopened.body.status).toBe('live');
    expect(await publish(url, 'patchable', { body: 'back on' })).toMatchObject({ body: 'back on' });
  });

  it('answers 404 for unknown and impossible blog ids', async () => {
    expectError(await request(url, 'GET', '/api/blogs/no-such-blog', { token: null }), 404, 'not_found');
    expectError(await request(url, 'GET', '/api/blogs/NOT_A_SLUG', { token: null }), 404, 'not_found');
    expectError(await request(url, 'GET', '/api/blogs/no-such-blog/updates', { token: null }), 404, 'not_found');
    expectError(await request(url, 'POST', '/api/blogs/no-such-blog/updates', { body: { body: 'x' } }), 404, 'not_found');
    expectError(await request(url, 'PATCH', '/api/blogs/no-such-blog', { body: { title: 'x' } }), 404, 'not_found');
  });
});

describe('updates', () => {
  let blogId: string;
  beforeAll(async () => {
    blogId = (await createBlog(url, 'updates-blog')).id;
  });

  it('publishes Markdown rendered and sanitised, with defaults, and lists newest first', async () => {
    const before = Date.now();
    const update = await publish(url, blogId, {
      body: '**Breaking**: troops <script>alert(1)</script> [x](javascript:alert(1))',
      title: 'First',
      author: 'Desk',
    });
    expect(update).toMatchObject({ blogId, title: 'First', author: 'Desk', pinned: false, keyEvent: false, version: 1 });
    expect(update.html).toContain('<strong>Breaking</strong>');
    expect(update.html).not.toMatch(/<script|<a |href=/i); // the javascript: link is left as inert text
    expect(Date.parse(update.publishedAt)).toBeGreaterThanOrEqual(before - 1000);
    const backDated = await publish(url, blogId, { body: 'Updated at 17.45', publishedAt: '2025-01-11T17:45:00+02:00' });
    expect(backDated.publishedAt).toBe('2025-01-11T15:45:00.000Z');
    const latest = await publish(url, blogId, { body: 'latest' });
    const page = await request<UpdatePage>(url, 'GET', `/api/blogs/${blogId}/updates`, { token: null });
    expect(page.body.updates.map((u) => u.id)).toEqual([latest.id, update.id, backDated.id]);
    expect(page.body.cursor).toEqual(expect.any(String));
  });

  it('pages older updates with next/before and never repeats one', async () => {
    const paged = (await createBlog(url, 'paging')).id;
    const published: Update[] = [];
    for (let i = 0; i < 7; i++) published.push(await publish(url, paged, { body: `entry ${i}` }));
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await request<UpdatePage>(
        url,
        'GET',
        `/api/blogs/${paged}/updates?limit=3${next ? `&before=${encodeURIComponent(next)}` : ''}`,
        { token: null },
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.updates.map((u) => u.id));
      next = page.body.next;
    } while (next);
    expect(seen).toEqual(published.map((u) => u.id).reverse());
    expectError(await request(url, 'GET', `/api/blogs/${paged}/updates?limit=0`, { token: null }), 400, 'invalid');
    expectError(await request(url, 'GET', `/api/blogs/${paged}/updates?before=garbage`, { token: null }), 400, 'invalid');
  });

  it('edits (version bump, re-render, editedAt) and deletes', async () => {
    const update = await publish(url, blogId, { body: 'typo hree', title: 'Title' });
    const edited = await request<Update>(url, 'PATCH', `/api/blogs/${blogId}/updates/${update.id}`, {
      body: { body: 'typo *here*', title: null, keyEvent: true },
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      id: update.id,
      body: 'typo *here*',
      html: '<p>typo <em>here</em></p>',
      keyEvent: true,
      version: 2,
    });
    expect(edited.body.title).toBeUndefined();
    expect(edited.body.editedAt).toEqual(expect.any(String));
    const removed = await request(url, 'DELETE', `/api/blogs/${blogId}/updates/${update.id}`);
    expect(removed.status).toBe(204);
    expectError(await request(url, 'GET', `/api/blogs/${blogId}/updates/${update.id}`, { token: null }), 404, 'not_found');
    expectError(await request(url, 'DELETE', `/api/blogs/${blogId}/updates/${update.id}`), 404, 'not_found');
    expectError(await request(url, 'PATCH', `/api/blogs/${blogId}/updates/${update.id}`, { body: { body: 'x' } }), 404, 'not_found');
  });

  it('returns the first update for a repeated Idempotency-Key and stores nothing new', async () => {
    const blog = (await createBlog(url, 'idempotent')).id;
    const headers = { 'Idempotency-Key': 'draft-42' };
    const first = await request<Update>(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'once' }, headers });
    const again = await request<Update>(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'once' }, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const page = await request<UpdatePage>(url, 'GET', `/api/blogs/${blog}/updates`, { token: null });
    expect(page.body.updates).toHaveLength(1);
    const events = await request<{ events: BlogEvent[] }>(
      url,
      'GET',
      `/api/blogs/${blog}/events?after=${encodeURIComponent(zeroCursor(page.body.cursor))}`,
      { token: null },
    );
    expect(events.body.events).toHaveLength(1);
  });

  it('scopes an Idempotency-Key to its sender and blog, refuses it with other content, and does not replay a deleted update', async () => {
    const blog = (await createBlog(url, 'idempotent-scope')).id;
    const other = (await createBlog(url, 'idempotent-other')).id;
    const headers = { 'Idempotency-Key': 'shared-key' };
    const token = (await request<{ token: string }>(url, 'POST', '/api/tokens', { body: { name: 'Field desk', blogs: ['*'] } })).body.token;
    const mine = await request<Update>(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'from the admin' }, headers });
    // Another sender's key, however it is spelt, is another key: no replay of someone else's update.
    const theirs = await request<Update>(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'from the field' }, headers, token });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
    // …and so is the same key on another blog.
    expect(
      (await request<Update>(url, 'POST', `/api/blogs/${other}/updates`, { body: { body: 'elsewhere' }, headers })).headers.get(
        'idempotent-replayed',
      ),
    ).toBeNull();
    // The same key with different content is a mistake, not a retry.
    expectError(
      await request(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'from the admin, corrected' }, headers }),
      409,
      'conflict',
    );
    // Deleted since: the key does not pretend to replay it.
    await request(url, 'DELETE', `/api/blogs/${blog}/updates/${mine.body.id}`);
    expectError(await request(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'from the admin' }, headers }), 409, 'conflict');
    const page = await request<UpdatePage>(url, 'GET', `/api/blogs/${blog}/updates`, { token: null });
    expect(page.body.updates.map((u) => u.id)).toEqual([theirs.body.id]);
  });
});

describe('events', () => {
  it('replays every event after a cursor in order, and 410 once history no longer reaches it', async () => {
    const blog = await createBlog(url, 'replay');
    const a = await publish(url, blog.id, { body: 'a' });
    const b = await publish(url, blog.id, { body: 'b' });
    await request(url, 'DELETE', `/api/blogs/${blog.id}/updates/${a.id}`);
    const replay = await request<{ events: BlogEvent[]; cursor: string }>(
      url,
      'GET',
      `/api/blogs/${blog.id}/events?after=${encodeURIComponent(blog.cursor)}`,
      { token: null },
    );
    expect(replay.status).toBe(200);
    // The creation of an update deleted since reads back as its deletion: the cursors still follow on,
    // and its text is gone.
    expect(replay.body.events.map((e) => [e.type, e.update?.id ?? e.updateId])).toEqual([
      ['update.deleted', a.id],
      ['update.created', b.id],
      ['update.deleted', a.id],
    ]);
    expect(replay.body.cursor).toBe(replay.body.events[2].cursor);
    for (let i = 0; i < 30; i++) await publish(url, blog.id, { body: `flood ${i}` });
    expectError(
      await request(url, 'GET', `/api/blogs/${blog.id}/events?after=${encodeURIComponent(blog.cursor)}`, { token: null }),
      410,
      'cursor_expired',
    );
    expectError(await request(url, 'GET', `/api/blogs/${blog.id}/events?after=not-a-cursor`, { token: null }), 400, 'invalid');
  });
});

describe('takedowns', () => {
  it('leave no deleted or corrected-away text in /events or in a socket catch-up, while editors keep the versions', async () => {
    const blog = await createBlog(url, 'takedown');
    const deleted = await publish(url, blog.id, { body: 'A defamatory claim', title: 'Libel headline' });
    const corrected = await publish(url, blog.id, { body: 'The wrong casualty figure: 400', author: 'Wrong Name' });
    await request(url, 'PATCH', `/api/blogs/${blog.id}/updates/${corrected.id}`, {
      body: { body: 'The right casualty figure: 40', author: null },
    });
    await request(url, 'DELETE', `/api/blogs/${blog.id}/updates/${deleted.id}`);
    const gone = ['defamatory', 'Libel', '400', 'Wrong Name'];
    const expectNoneOf = (what: unknown) => {
      const text = JSON.stringify(what);
      for (const word of gone) expect(text).not.toContain(word);
      expect(text).toContain('The right casualty figure: 40');
    };
    // Anonymous catch-up over HTTP, from the blog's start…
    const after = encodeURIComponent(blog.cursor);
    expectNoneOf((await request(url, 'GET', `/api/blogs/${blog.id}/events?after=${after}`, { token: null })).body);
    // …and over Socket.IO: on a process that has followed the blog all along (its memory), and on a fresh one (the store).
    const watcher = await connectReader(url);
    await watcher.subscribe(blog.id);
    for (const target of [server, await startServer({ prefix })]) {
      const r = await connectReader(target.url);
      expectNoneOf(await r.subscribe(blog.id, blog.cursor));
      r.close();
      if (target !== server) await target.stop();
    }
    watcher.close();
    // The editors keep every version.
    const versions = await request<{ versions: { body: string }[] }>(url, 'GET', `/api/blogs/${blog.id}/updates/${corrected.id}/versions`);
    expect(versions.body.versions.map((v) => v.body)).toEqual(['The wrong casualty figure: 400', 'The right casualty figure: 40']);
    expect((await request(url, 'GET', `/api/blogs/${blog.id}/updates/${corrected.id}/versions`, { token: null })).status).toBe(401);
  });
});

describe('bad requests store nothing', () => {
  it('answers 401 without a token or with a wrong one', async () => {
    expectError(await request(url, 'POST', '/api/blogs', { body: { id: 'x1', title: 'x' }, token: null }), 401, 'unauthorized');
    expectError(await request(url, 'POST', '/api/blogs', { body: { id: 'x1', title: 'x' }, token: 'wrong-token' }), 401, 'unauthorized');
    expectError(await request(url, 'GET', '/api/blogs/x1', { token: null }), 404, 'not_found');
  });

  it('answers 400 with details for invalid fields, 400 for malformed JSON, 415 for non-JSON, 413 for huge bodies', async () => {
    const blog = (await createBlog(url, 'strict')).id;
    const keysBefore = await dataKeysUnder(cleaner.redis, prefix);
    const invalid = await request(url, 'POST', `/api/blogs/${blog}/updates`, {
      body: { body: '', title: 'a\u0000b', publishedAt: '2025-01-11T17:45:00', pinned: 'yes' },
    });
    expectError(invalid, 400, 'invalid');
    expect(Object.keys((invalid.body as { error: { details: object } }).error.details).sort()).toEqual([
      'body',
      'pinned',
      'publishedAt',
      'title',
    ]);
    expectError(
      await request(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'x', publishedAt: '1970-01-01T00:00:00Z' } }),
      400,
      'invalid',
    );
    expectError(
      await request(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'x', publishedAt: '2999-01-01T00:00:00Z' } }),
      400,
      'invalid',
    );
    expectError(await request(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'x'.repeat(20_001) } }), 400, 'invalid');
    expectError(
      await request(url, 'POST', `/api/blogs/${blog}/updates`, {
        rawBody: '{"body": "x",',
        headers: { 'content-type': 'application/json' },
      }),
      400,
      'invalid_json',
    );
    expectError(
      await request(url, 'POST', `/api/blogs/${blog}/updates`, {
        rawBody: 'body=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'unsupported_media_type',
    );
    expectError(await request(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'x'.repeat(70_000) } }), 413, 'payload_too_large');
    expectError(
      await request(url, 'POST', `/api/blogs/${blog}/updates`, { body: { body: 'x' }, headers: { 'Idempotency-Key': 'has space' } }),
      400,
      'invalid',
    );
    expectError(await request(url, 'PATCH', `/api/blogs/${blog}`, { body: {} }), 400, 'invalid');
    expect(await dataKeysUnder(cleaner.redis, prefix)).toEqual(keysBefore);
    const page = await request<UpdatePage>(url, 'GET', `/api/blogs/${blog}/updates`, { token: null });
    expect(page.body.updates).toHaveLength(0);
  });

  it('ignores prototype-pollution keys', async () => {
    const blog = (await createBlog(url, 'proto')).id;
    const response = await request<Update>(url, 'POST', `/api/blogs/${blog}/updates`, {
      rawBody: '{"body":"ok","__proto__":{"pinned":true,"polluted":1},"constructor":{"prototype":{"polluted":1}}}',
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(201);
    expect(response.body.pinned).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

/** The cursor before a blog's first event. */
function zeroCursor(cursor: string): string {
  return formatCursor(parseCursor(cursor)!.epoch, 0, ORIGIN_TAG);
}
