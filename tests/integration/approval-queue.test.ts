/**
 * The approval queue over HTTP and Socket.IO, on Redis: a contributor's entry waits (202), reaches no
 * reader anywhere until approved, is seen live by the blog's editors and its contributor, corrected,
 * approved once however often approve is pressed, or rejected with a reason the contributor reads.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PendingEvent } from '../../shared/events';
import type { AuditPage, PendingUpdate, ReaderCount, Update } from '../../shared/schemas';
import { draftUpdate } from '../../server/service/live-blogs';
import { createBlog, request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { connectDesk, editorToken, person, readerSurfaces, type Desk, type Person } from '../helpers/newsroom';
import { connectReader, type TestReader } from '../helpers/reader';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('approval');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let url: string;
let taras: Person;
let maria: Person;
let olena: Person;
let editor: { token: string };

beforeAll(async () => {
  server = await startServer({ prefix });
  url = server.url;
  await createBlog(url, 'queue');
  await createBlog(url, 'other');
  taras = await person(url, 'Taras', 'contributor', ['queue']);
  maria = await person(url, 'Maria', 'contributor', ['queue']);
  olena = await person(url, 'Olena', 'editor', ['queue']);
  editor = await editorToken(url, 'Desk script', ['queue']);
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

const submit = (who: Person, fields: Record<string, unknown>, blogId = 'queue') =>
  who.call<PendingUpdate>('POST', `/api/blogs/${blogId}/updates`, fields);
const pendingOf = async (who: Person | { token: string }, blogId = 'queue') =>
  ('cookie' in who
    ? await who.call<{ pending: PendingUpdate[] }>('GET', `/api/blogs/${blogId}/pending`)
    : await request<{ pending: PendingUpdate[] }>(url, 'GET', `/api/blogs/${blogId}/pending`, { token: who.token })
  ).body.pending;
const approve = (id: string, body?: unknown, token = editor.token) =>
  request<Update>(url, 'POST', `/api/blogs/queue/updates/${id}/approve`, { token, ...(body !== undefined ? { body } : {}) });
const reject = (id: string, body: unknown = {}, token = editor.token) =>
  request<PendingUpdate>(url, 'POST', `/api/blogs/queue/updates/${id}/reject`, { token, body });

describe('a contributor’s entry', () => {
  let reader: TestReader;
  let editorDesk: Desk;
  let contributorDesk: Desk;
  let otherContributorDesk: Desk;

  beforeAll(async () => {
    reader = await connectReader(url);
    expect(await reader.subscribe('queue')).toMatchObject({ ok: true });
    editorDesk = await connectDesk(url, { cookie: olena.cookie });
    await editorDesk.socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId: 'queue' });
    contributorDesk = await connectDesk(url, { cookie: taras.cookie });
    // A contributor following the blog follows it as a reader: not in the editors' room.
    await contributorDesk.socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId: 'queue' });
    otherContributorDesk = await connectDesk(url, { cookie: maria.cookie });
    await otherContributorDesk.socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId: 'queue' });
  });

  afterAll(() => {
    for (const socket of [reader, editorDesk, contributorDesk, otherContributorDesk]) socket.close();
  });

  it('waits (202 pending, with its contributor and their name as author) and reaches no reader anywhere', async () => {
    const since = (await request<{ cursor: string }>(url, 'GET', '/api/blogs/queue')).body.cursor;
    const submitted = await submit(taras, { body: 'Explosions heard near the **station** XQZ-SECRET', title: 'Unconfirmed XQZ-TITLE' });
    expect(submitted.status).toBe(202);
    expect(submitted.body).toMatchObject({
      status: 'pending',
      submittedBy: { id: taras.id, name: 'Taras' },
      author: 'Taras',
      pinned: false,
      html: expect.stringContaining('<strong>station</strong>'),
    });
    const location = submitted.headers.get('location')!;
    expect(location).toBe(`/api/blogs/queue/pending/${submitted.body.id}`);
    // The Location answers its contributor and the blog's editors with the entry; another contributor
    // and a missing id alike with 404 (its existence is not theirs to learn); a reader must sign in.
    for (const who of [taras, olena]) {
      const followed = await who.call<PendingUpdate>('GET', location);
      expect(followed.status).toBe(200);
      expect(followed.body).toEqual(submitted.body);
    }
    expect((await request(url, 'GET', location, { token: editor.token })).body).toEqual(submitted.body);
    expect((await maria.call('GET', location)).status).toBe(404);
    expect((await olena.call('GET', '/api/blogs/queue/pending/no-such-entry')).status).toBe(404);
    expect((await request(url, 'GET', location, { token: null })).status).toBe(401);
    expect(Date.parse(submitted.body.submittedAt)).toBeGreaterThan(Date.now() - 60_000);

    // The editors' desk hears of it, and so does its contributor; the reader and another contributor do not.
    await waitFor(() => editorDesk.of<PendingEvent>('blog:pending').length === 1, 'the editors told');
    await waitFor(() => contributorDesk.of<PendingEvent>('blog:pending').length === 1, 'the contributor told');
    expect(editorDesk.of<PendingEvent>('blog:pending')[0]).toMatchObject({ blogId: 'queue', entry: { id: submitted.body.id } });

    const text = await readerSurfaces(url, 'queue', since);
    expect(text).not.toContain('XQZ-SECRET');
    expect(text).not.toContain('XQZ-TITLE');
    expect(text).not.toContain(submitted.body.id);
    expect((await request(url, 'GET', `/api/blogs/queue/updates/${submitted.body.id}`, { token: null })).status).toBe(404);
    expect((await request(url, 'GET', `/api/blogs/queue/updates?around=${submitted.body.id}`, { token: null })).status).toBe(404);
    // Something published after it arrives, so the reader's silence about the entry is not a slow socket.
    await request(url, 'POST', '/api/blogs/queue/updates', { token: editor.token, body: { body: 'published marker' } });
    await reader.waitForEvents(1);
    expect(reader.events.map((event) => event.update?.body)).toEqual(['published marker']);
    for (const desk of [otherContributorDesk]) expect(desk.of('blog:pending')).toEqual([]);
    expect(otherContributorDesk.received.some((entry) => JSON.stringify(entry.payload).includes('XQZ'))).toBe(false);
    expect(reader.events.some((event) => JSON.stringify(event).includes('XQZ'))).toBe(false);
  });

  it('is listed for editors (every pending entry) and for its contributor (their own only)', async () => {
    const own = await submit(maria, { body: 'Maria’s entry' });
    expect(own.status).toBe(202);
    const forEditor = await pendingOf(olena);
    expect(forEditor.map((entry) => entry.submittedBy.name).sort()).toEqual(['Maria', 'Taras']);
    expect((await pendingOf(editor)).length).toBe(2);
    expect((await pendingOf(taras)).map((entry) => entry.submittedBy.name)).toEqual(['Taras']);
    expect((await pendingOf(maria)).map((entry) => entry.submittedBy.name)).toEqual(['Maria']);
  });

  it('counts contributors’ desks following the blog as the newsroom, not among its readers', async () => {
    // Following the blog now: the reader, the editor's desk, two contributors' desks, and this one.
    const late = await connectDesk(url, { cookie: olena.cookie });
    try {
      expect(await late.socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId: 'queue' })).toMatchObject({ ok: true });
      const told = await waitFor(() => late.of<ReaderCount>('blog:readers')[0], 'the reader count');
      expect(told).toEqual({ blogId: 'queue', readers: 1 });
    } finally {
      late.close();
    }
  });

  it('holds what an editor’s update from the same input would hold (one draft for both), never pinned', async () => {
    const input = { body: 'Sirens **again**', title: 'Sirens', keyEvent: true, publishedAt: '2026-01-01T00:00:00.000Z' };
    const { body: entry } = await submit(taras, input);
    const { status, submittedBy, submittedAt, ...fields } = entry;
    expect({ status, submittedBy }).toEqual({ status: 'pending', submittedBy: { id: taras.id, name: 'Taras' } });
    expect(fields).toEqual({ ...draftUpdate('queue', { ...input, author: 'Taras' }, new Date(submittedAt)), id: entry.id });
    expect(fields.pinned).toBe(false);
    expect((await olena.call('POST', `/api/blogs/queue/updates/${entry.id}/reject`, {})).status).toBe(200);
  });

  it('is corrected by an editor before approval: If-Match, the body rendered again, a stale version refused with nothing changed', async () => {
    const { body: entry } = await submit(taras, { body: 'Typo in teh text' });
    const stale = await olena.call('PATCH', `/api/blogs/queue/pending/${entry.id}`, { body: 'x' }, { 'if-match': '"7"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ error: { code: 'conflict', details: { id: entry.id, version: 1 } } });
    const fixed = await olena.call<PendingUpdate>(
      'PATCH',
      `/api/blogs/queue/pending/${entry.id}`,
      { body: 'Typo in *the* text' },
      { 'if-match': '"1"' },
    );
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({
      version: 2,
      body: 'Typo in *the* text',
      html: expect.stringContaining('<em>the</em>'),
      status: 'pending',
    });
    expect(fixed.body.submittedBy).toEqual(entry.submittedBy);
    const pin = await olena.call('PATCH', `/api/blogs/queue/pending/${entry.id}`, { pinned: true });
    expect(pin.status).toBe(400);
    expect((await pendingOf(olena)).find((e) => e.id === entry.id)).toEqual(fixed.body);
    await waitFor(
      () => contributorDesk.of<PendingEvent>('blog:pending').some((event) => 'entry' in event && event.entry.version === 2),
      'the contributor told of the correction',
    );
  });

  it('is published once by approve, however often and however many at once, with update.created to readers', async () => {
    const { body: entry } = await submit(taras, { body: 'Approve me XQZ-APPROVE' });
    const before = reader.events.length;
    const answers = await Promise.all(
      Array.from({ length: 4 }, (_, i) => approve(entry.id, undefined, i % 2 ? editor.token : ADMIN_TOKEN)),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: entry.id, body: 'Approve me XQZ-APPROVE', author: 'Taras', version: 1, pinned: false });
      expect(answer.body).not.toHaveProperty('status');
      expect(answer.body).not.toHaveProperty('submittedBy');
    }
    await reader.waitForEvents(before + 1);
    const again = await approve(entry.id, {});
    expect(again.status).toBe(200);
    // One more event would have come by now if any had been logged: a later publish arrives first.
    await request(url, 'POST', '/api/blogs/queue/updates', { token: editor.token, body: { body: 'after approval' } });
    await reader.waitForEvents(before + 2);
    expect(reader.events.slice(before).map((event) => [event.type, event.update?.body])).toEqual([
      ['update.created', 'Approve me XQZ-APPROVE'],
      ['update.created', 'after approval'],
    ]);
    const listed = await request<{ updates: Update[] }>(url, 'GET', '/api/blogs/queue/updates', { token: null });
    expect(listed.body.updates.filter((update) => update.id === entry.id)).toHaveLength(1);
    expect((await pendingOf(olena)).some((e) => e.id === entry.id)).toBe(false);
    expect((await pendingOf(taras)).some((e) => e.id === entry.id)).toBe(false);
    await waitFor(
      () => contributorDesk.of<PendingEvent>('blog:pending').some((event) => 'removedId' in event && event.removedId === entry.id),
      'the contributor told it was approved',
    );
    await waitFor(
      () => editorDesk.of<PendingEvent>('blog:pending').some((event) => 'removedId' in event && event.removedId === entry.id),
      'editors told',
    );
    // Audit: one approval, by whom, with the submitter.
    const audit = await request<AuditPage>(url, 'GET', `/api/blogs/queue/audit?updateId=${entry.id}`, { token: editor.token });
    expect(audit.body.entries.map((e) => e.action)).toEqual(['update.approved', 'update.submitted']);
    expect(audit.body.entries[0]).toMatchObject({
      actor: { kind: expect.any(String) },
      before: { submittedBy: { id: taras.id } },
      after: { id: entry.id },
    });
  });

  it('publishes at the approval’s time, or at the time the contributor gave', async () => {
    const given = new Date(Date.now() - 3_600_000).toISOString();
    const { body: first } = await submit(taras, { body: 'At their time', publishedAt: given });
    const { body: second } = await submit(taras, { body: 'At approval time', publishedAt: given });
    const atTheirs = await approve(first.id, { publishedAt: 'submitted' });
    expect(atTheirs.body.publishedAt).toBe(given);
    const atNow = await approve(second.id, { publishedAt: 'now' });
    expect(Date.parse(atNow.body.publishedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect((await approve(second.id, { publishedAt: 'tomorrow' })).status).toBe(400);
  });

  it('is rejected with a reason its contributor reads; deciding it again is a 409, an unknown one a 404, and readers never see it', async () => {
    const since = (await request<{ cursor: string }>(url, 'GET', '/api/blogs/queue')).body.cursor;
    const { body: entry } = await submit(taras, { body: 'Reject me XQZ-REJECT' });
    const rejected = await reject(entry.id, { reason: 'Not confirmed by a second source' }, ADMIN_TOKEN);
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({
      id: entry.id,
      status: 'rejected',
      rejection: { reason: 'Not confirmed by a second source', by: 'Admin token', at: expect.any(String) },
    });
    const mine = (await pendingOf(taras)).find((e) => e.id === entry.id);
    expect(mine).toMatchObject({ status: 'rejected', rejection: { reason: 'Not confirmed by a second source' } });
    expect((await pendingOf(olena)).some((e) => e.id === entry.id)).toBe(false);
    await waitFor(
      () => contributorDesk.of<PendingEvent>('blog:pending').some((event) => 'entry' in event && event.entry.status === 'rejected'),
      'the contributor told why',
    );
    expect((await approve(entry.id)).status).toBe(409);
    expect((await reject(entry.id)).status).toBe(409);
    expect((await olena.call('PATCH', `/api/blogs/queue/pending/${entry.id}`, { body: 'x' })).status).toBe(409);
    expect((await approve('unknown1')).status).toBe(404);
    expect((await reject('unknown1')).status).toBe(404);
    expect((await request(url, 'POST', '/api/blogs/nowhere/updates/unknown1/approve', {})).status).toBe(404);
    expect(await readerSurfaces(url, 'queue', since)).not.toContain('XQZ-REJECT');
    // After approval, a rejection is too late.
    const { body: published } = await submit(taras, { body: 'approved first' });
    expect((await approve(published.id)).status).toBe(200);
    expect((await reject(published.id)).status).toBe(409);
    expect((await request(url, 'GET', `/api/blogs/queue/updates/${published.id}`, { token: null })).status).toBe(200);
  });

  it('queues a retried submission (the same Idempotency-Key) once, and answers a retry after approval with the update', async () => {
    const headers = { 'idempotency-key': 'field-report-17' };
    const first = await taras.call<PendingUpdate>('POST', '/api/blogs/queue/updates', { body: 'sent twice' }, headers);
    const again = await taras.call<PendingUpdate>('POST', '/api/blogs/queue/updates', { body: 'sent twice' }, headers);
    expect([first.status, again.status]).toEqual([202, 202]);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await pendingOf(taras)).filter((entry) => entry.body === 'sent twice')).toHaveLength(1);
    // Another person's key is theirs alone; the same key with another text is a conflict.
    expect((await maria.call('POST', '/api/blogs/queue/updates', { body: 'sent twice' }, headers)).status).toBe(202);
    expect((await taras.call('POST', '/api/blogs/queue/updates', { body: 'something else' }, headers)).status).toBe(409);
    expect((await approve(first.body.id)).status).toBe(200);
    const late = await taras.call<Update>('POST', '/api/blogs/queue/updates', { body: 'sent twice' }, headers);
    expect(late.status).toBe(201);
    expect(late.body).toMatchObject({ id: first.body.id, body: 'sent twice' });
    expect(late.body).not.toHaveProperty('status');
  });

  it('lets exactly one of approve and reject win when they race', async () => {
    for (let round = 0; round < 4; round++) {
      const { body: entry } = await submit(taras, { body: `race ${round}` });
      const [a, r] = await Promise.all([approve(entry.id), reject(entry.id, { reason: 'race' })]);
      expect([a.status, r.status].sort()).toEqual([200, 409]);
      const published = (await request(url, 'GET', `/api/blogs/queue/updates/${entry.id}`, { token: null })).status === 200;
      const rejected = (await pendingOf(taras)).find((e) => e.id === entry.id)?.status === 'rejected';
      expect(published).toBe(a.status === 200);
      expect(rejected).toBe(r.status === 200);
    }
  });
});

describe('a contributor flooding the queue', () => {
  it('stops at their own cap (409 naming it) while others still submit; once editors reject it all, the queue is open again', async () => {
    await createBlog(url, 'flood');
    const flooder = await person(url, 'Flooder', 'contributor', ['flood']);
    const honest = await person(url, 'Honest', 'contributor', ['flood']);
    const editorOfFlood = await editorToken(url, 'Flood desk', ['flood']);
    const queued: PendingUpdate[] = [];
    for (let i = 0; i < 20; i++) {
      const response = await submit(flooder, { body: `spam ${i}` }, 'flood');
      expect(response.status).toBe(202);
      queued.push(response.body);
    }
    const refused = await submit(flooder, { body: 'spam 20' }, 'flood');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'conflict', message: expect.stringContaining('you have 20 entries waiting') } });
    // Nothing was queued by the refusal.
    expect((await pendingOf(editorOfFlood, 'flood')).map((entry) => entry.id)).toEqual(queued.map((entry) => entry.id));
    const fair = await submit(honest, { body: 'An honest entry' }, 'flood');
    expect(fair.status).toBe(202);

    for (const entry of queued) {
      const rejected = await request<PendingUpdate>(url, 'POST', `/api/blogs/flood/updates/${entry.id}/reject`, {
        token: editorOfFlood.token,
        body: { reason: 'spam' },
      });
      expect(rejected.status).toBe(200);
    }
    // The flooder reads their rejections; editors see only what waits.
    expect((await pendingOf(flooder, 'flood')).filter((entry) => entry.status === 'rejected')).toHaveLength(20);
    expect((await pendingOf(editorOfFlood, 'flood')).map((entry) => entry.id)).toEqual([fair.body.id]);
    expect((await submit(flooder, { body: 'a real one now' }, 'flood')).status).toBe(202);
    expect((await submit(honest, { body: 'and another' }, 'flood')).status).toBe(202);
    const audit = await request<AuditPage>(url, 'GET', '/api/blogs/flood/audit?limit=200', { token: editorOfFlood.token });
    expect(audit.body.entries.filter((entry) => entry.action === 'update.rejected')).toHaveLength(20);
  });
});
