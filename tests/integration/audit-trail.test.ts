/**
 * The audit trail over HTTP: every write to a blog with who and when, before and after, newest first,
 * paged, filtered by update, kept after the update is gone; on Redis and on the in-process store.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BlogAuditQuerySchema, type AuditEntry, type AuditPage, type Update } from '../../shared/schemas';
import { createBlog, request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { editorToken, person, type Person } from '../helpers/newsroom';
import { testPrefix } from '../helpers/redis';

describe.each(['redis', 'memory'] as const)('the audit trail (%s)', (store) => {
  const prefix = testPrefix(`audit-${store}`);
  const cleaner = prefixCleaner(prefix);
  let server: TestServer;
  let url: string;
  let olena: Person;
  let desk: { id: string; token: string };

  beforeAll(async () => {
    server = await startServer({ prefix, store });
    url = server.url;
    olena = await person(url, 'Olena', 'editor', ['trail']);
    desk = await editorToken(url, 'Desk script', ['trail']);
  });

  afterAll(async () => {
    await server.stop();
    await cleaner.cleanup();
  });

  const trail = (query = '', token = desk.token) => request<AuditPage>(url, 'GET', `/api/blogs/trail/audit${query}`, { token });

  it('records each write with its actor, before and after, newest first, and keeps it after the update is deleted', async () => {
    await createBlog(url, 'trail');
    const created = await request<Update>(url, 'POST', '/api/blogs/trail/updates', { token: desk.token, body: { body: 'Casualties: 12' } });
    const edited = await olena.call<Update>(
      'PATCH',
      `/api/blogs/trail/updates/${created.body.id}`,
      { body: 'Casualties: 21' },
      { 'if-match': '"1"' },
    );
    expect(edited.status).toBe(200);
    await olena.call('PATCH', `/api/blogs/trail/updates/${created.body.id}`, { pinned: true });
    const other = await request<Update>(url, 'POST', '/api/blogs/trail/updates', {
      token: desk.token,
      body: { body: 'Pinned now', pinned: true },
    });
    expect((await olena.call('DELETE', `/api/blogs/trail/updates/${created.body.id}`)).status).toBe(204);
    await request(url, 'PATCH', '/api/blogs/trail', { body: { title: 'Renamed trail' } });

    const { status, body } = await trail();
    expect(status).toBe(200);
    expect(body.entries.map((entry) => [entry.action, entry.updateId ?? null, entry.actor.kind])).toEqual([
      ['blog.changed', null, 'admin-token'],
      ['update.deleted', created.body.id, 'person'],
      ['update.created', other.body.id, 'token'],
      ['update.unpinned', created.body.id, 'token'],
      ['update.pinned', created.body.id, 'person'],
      ['update.edited', created.body.id, 'person'],
      ['update.created', created.body.id, 'token'],
      ['blog.created', null, 'admin-token'],
    ]);
    const byAction = (action: string) => body.entries.find((entry) => entry.action === action)!;
    expect(byAction('update.edited')).toMatchObject({
      actor: { kind: 'person', id: olena.id, name: 'Olena' },
      blogId: 'trail',
      before: { body: 'Casualties: 12', version: 1 },
      after: { body: 'Casualties: 21', version: 2 },
    });
    expect(byAction('update.deleted')).toMatchObject({ before: { id: created.body.id, body: 'Casualties: 21', pinned: false } });
    expect(byAction('update.created')).toMatchObject({
      actor: { kind: 'token', id: desk.id, name: 'Desk script' },
      after: { body: 'Pinned now' },
    });
    expect(byAction('blog.changed')).toMatchObject({ before: { title: 'Blog trail' }, after: { title: 'Renamed trail' } });
    for (const entry of body.entries) expect(Date.parse(entry.at)).toBeGreaterThan(Date.now() - 60_000);
    // Never a secret: not the token's, not the session's.
    expect(JSON.stringify(body)).not.toContain(desk.token);
    expect(JSON.stringify(body)).not.toContain(olena.cookie);

    // One entry's history, after it is gone.
    const history = await trail(`?updateId=${created.body.id}`);
    expect(history.body.entries.map((entry) => entry.action)).toEqual([
      'update.deleted',
      'update.unpinned',
      'update.pinned',
      'update.edited',
      'update.created',
    ]);

    // Paged newest first, each entry once.
    const seen: AuditEntry[] = [];
    let before: string | undefined;
    do {
      const page = await trail(`?limit=3${before ? `&before=${before}` : ''}`);
      expect(page.body.entries.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.entries);
      before = page.body.next;
    } while (before);
    expect(seen).toEqual(body.entries);
  });

  it('refuses a bad query (400), an unknown blog (404), and anyone but the blog’s editors and the admin (403)', async () => {
    for (const query of ['?limit=0', '?limit=1000', '?limit=abc', '?before=yesterday', '?updateId=NOT*AN*ID']) {
      const answer = await trail(query);
      expect({ query, status: answer.status }).toEqual({ query, status: 400 });
    }
    // The route's query is the shared one (the desk may check what it sends against it).
    expect(BlogAuditQuerySchema.safeParse({ updateId: 'NOT*AN*ID' }).success).toBe(false);
    expect((await request(url, 'GET', '/api/blogs/no-such-blog/audit')).status).toBe(404);
    expect((await request(url, 'GET', '/api/blogs/trail/audit', { token: null })).status).toBe(401);
    const stranger = await editorToken(url, 'Elsewhere', ['elsewhere']);
    expect((await trail('', stranger.token)).status).toBe(403);
    expect((await trail('', ADMIN_TOKEN)).status).toBe(200);
  });

  it('keeps the service trail for the admin alone', async () => {
    expect((await request(url, 'GET', '/api/audit')).status).toBe(200);
    expect((await request(url, 'GET', '/api/audit', { token: desk.token })).status).toBe(403);
    expect((await olena.call('GET', '/api/audit')).status).toBe(403);
    expect((await request(url, 'GET', '/api/audit?limit=0')).status).toBe(400);
  });
});
