/**
 * One contract for the Timeline interface, run against Redis (a real server) and the in-process store:
 * whatever the service does on one, it does the same on the other.
 */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { formatCursor, parseCursor } from '../../shared/cursor';
import type { Actor, AuditEntry, PendingUpdate, Update } from '../../shared/schemas';
import { createLogger } from '../../server/logger';
import { MemoryAuditLog, type AuditLog } from '../../server/store/audit';
import type { AuditStamp } from '../../server/store/audit-entries';
import { MemoryTimeline } from '../../server/store/memory-timeline';
import { RedisAuditLog } from '../../server/store/redis/audit';
import { createRedisClient, parseRedisUrl } from '../../server/store/redis/connection';
import { redisKeys } from '../../server/store/redis/keys';
import { RedisTimeline } from '../../server/store/redis/timeline';
import { searchUpdates } from '../../server/store/search';
import { PENDING_CONTRIBUTOR_FULL, PENDING_PER_CONTRIBUTOR, REJECTED_PER_CONTRIBUTOR } from '../../server/store/pending';
import { PENDING_FULL, PENDING_MAX, PictureTakenDown, TimelineError, type Timeline } from '../../server/store/timeline';
import { deletePrefix, TEST_REDIS_URL, testPrefix } from '../helpers/redis';

const HISTORY = 20;

type Factory = { name: string; make(): Promise<{ timeline: Timeline; audit: AuditLog }>; cleanup(): Promise<void> };

const redisClients: Redis[] = [];
const prefix = testPrefix('contract');
const factories: Factory[] = [
  {
    name: 'RedisTimeline',
    make: async () => {
      const redis = createRedisClient(parseRedisUrl(TEST_REDIS_URL), createLogger('silent')) as Redis;
      await redis.connect();
      redisClients.push(redis);
      const own = `${prefix}${redisClients.length}:`;
      return {
        timeline: new RedisTimeline(redis, redis, { prefix: own, historyLength: HISTORY, minReplicas: 0 }),
        audit: new RedisAuditLog(redis, redis, redisKeys(own), 0),
      };
    },
    cleanup: async () => {
      const [first] = redisClients;
      if (first) await deletePrefix(first, prefix);
      await Promise.all(redisClients.map((redis) => redis.quit()));
    },
  },
  {
    name: 'MemoryTimeline',
    make: async () => {
      const audit = new MemoryAuditLog();
      return { timeline: new MemoryTimeline({ historyLength: HISTORY, audit }), audit };
    },
    cleanup: async () => {},
  },
];

let counter = 0;
function makeUpdate(blogId: string, fields: Partial<Update> = {}): Update {
  counter += 1;
  const now = new Date(Date.UTC(2025, 0, 11, 12, 0, counter)).toISOString();
  return {
    id: `u${String(counter).padStart(6, '0')}`,
    blogId,
    body: `update ${counter}`,
    html: `<p>update ${counter}</p>`,
    publishedAt: now,
    createdAt: now,
    pinned: false,
    keyEvent: false,
    version: 1,
    ...fields,
  };
}

const blogRecord = (id: string) => ({
  id,
  title: `Blog ${id}`,
  status: 'live' as const,
  createdAt: '2025-01-11T10:00:00.000Z',
  updatedAt: '2025-01-11T10:00:00.000Z',
});

async function expectKind(promise: Promise<unknown>, kind: string): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(TimelineError);
  await promise.catch((error: TimelineError) => expect(error.kind).toBe(kind));
}

describe.each(factories)('Timeline contract: $name', (factory) => {
  let timeline: Timeline;
  let audit: AuditLog;

  beforeEach(async () => {
    ({ timeline, audit } = await factory.make());
  });

  afterAll(() => factory.cleanup());

  it('creates, reads and lists blogs newest first, and refuses a taken id', async () => {
    const first = await timeline.createBlog(blogRecord('first'));
    expect(first).toMatchObject({ id: 'first', status: 'live' });
    expect(parseCursor(first.cursor)?.seq).toBe(0);
    await timeline.createBlog({ ...blogRecord('second'), description: 'about it', createdAt: '2025-01-11T11:00:00.000Z' });
    expect((await timeline.listBlogs()).map((blog) => blog.id)).toEqual(['second', 'first']);
    expect(await timeline.getBlog('second')).toMatchObject({ description: 'about it' });
    expect(await timeline.getBlog('nope')).toBeNull();
    await expectKind(timeline.createBlog(blogRecord('first')), 'conflict');
  });

  it('stores an update with its event, and lists newest first by publishedAt, back-dated ones in place', async () => {
    await timeline.createBlog(blogRecord('b'));
    const noon = makeUpdate('b', { publishedAt: '2025-01-11T12:00:00.000Z' });
    const one = makeUpdate('b', { publishedAt: '2025-01-11T13:00:00.000Z' });
    const backDated = makeUpdate('b', { publishedAt: '2025-01-11T12:30:00.000Z' });
    for (const update of [noon, one, backDated]) {
      const { events } = await timeline.createUpdate(update);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({ blogId: 'b', type: 'update.created', update });
    }
    const page = await timeline.listUpdates('b', { limit: 10 });
    expect(page.updates.map((u) => u.id)).toEqual([one.id, backDated.id, noon.id]);
    expect(page.next).toBeUndefined();
    expect(parseCursor(page.cursor)?.seq).toBe(3);
    expect(await timeline.getUpdate('b', one.id)).toEqual(one);
  });

  it('pages with next/before, never showing an update twice or skipping one, ties included', async () => {
    await timeline.createBlog(blogRecord('paged'));
    const sameInstant = '2025-01-11T12:00:00.000Z';
    const updates = Array.from({ length: 7 }, (_, i) => makeUpdate('paged', i < 4 ? { publishedAt: sameInstant } : {}));
    for (const update of updates) await timeline.createUpdate(update);
    const seen: string[] = [];
    let before: string | undefined;
    do {
      const page = await timeline.listUpdates('paged', { limit: 3, before });
      seen.push(...page.updates.map((u) => u.id));
      before = page.next;
    } while (before);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
    const all = await timeline.listUpdates('paged', { limit: 10 });
    expect(seen).toEqual(all.updates.map((u) => u.id));
  });

  it('reads the page around an update: half newer, the rest older, paging on from it, and null when it is gone', async () => {
    await timeline.createBlog(blogRecord('around'));
    const updates = Array.from({ length: 30 }, () => makeUpdate('around'));
    for (const update of updates) await timeline.createUpdate(update);
    const newestFirst = updates.map((u) => u.id).reverse();
    const ids = (page: { updates: Update[] } | null) => page?.updates.map((u) => u.id);

    const middle = await timeline.listAround('around', newestFirst[20], 9);
    expect(ids(middle)).toEqual(newestFirst.slice(16, 25));
    expect(middle?.newer).toBe(16);
    // next pages on below it, with no overlap and no gap
    expect(ids(await timeline.listUpdates('around', { limit: 3, before: middle?.next }))).toEqual(newestFirst.slice(25, 28));
    // near the top: fewer newer ones, more older ones
    const top = await timeline.listAround('around', newestFirst[1], 9);
    expect(ids(top)).toEqual(newestFirst.slice(0, 9));
    expect(top?.newer).toBe(0);
    // at the very end: nothing older, no next
    const bottom = await timeline.listAround('around', newestFirst[29], 9);
    expect(ids(bottom)).toEqual(newestFirst.slice(25, 30));
    expect(bottom?.next).toBeUndefined();
    expect(parseCursor(bottom!.cursor)?.seq).toBe(30);
    // a back-dated edit moves it, and the page follows
    await timeline.changeUpdate('around', newestFirst[3], (current) => ({
      ...current,
      publishedAt: '2020-01-01T00:00:00.000Z',
      version: 2,
    }));
    expect(ids(await timeline.listAround('around', newestFirst[3], 3))?.slice(0, 2)).toEqual([newestFirst[29], newestFirst[3]]);
    await timeline.changeUpdate('around', newestFirst[5], () => null);
    expect(await timeline.listAround('around', newestFirst[5], 9)).toBeNull();
    expect(await timeline.listAround('around', 'unknown', 9)).toBeNull();
    await expect(timeline.listAround('no-such-blog', newestFirst[5], 9)).rejects.toMatchObject({ kind: 'blog_not_found' });
  });

  it('searches text, headline, author and id, newest first, paging on without repeats', async () => {
    await timeline.createBlog(blogRecord('search'));
    const updates = Array.from({ length: 12 }, (_, i) =>
      makeUpdate(
        'search',
        i % 3 === 0 ? { body: `The BRIDGE at ${i}` } : i === 4 ? { title: 'Bridge closed' } : i === 5 ? { author: 'Bridget' } : {},
      ),
    );
    for (const update of updates) await timeline.createUpdate(update);
    const expected = updates
      .filter((_, i) => i % 3 === 0 || i === 4 || i === 5)
      .map((u) => u.id)
      .reverse();
    const seen: string[] = [];
    let before: string | undefined;
    do {
      const page = await searchUpdates(timeline, 'search', 'bridge', { limit: 2, before });
      seen.push(...page.updates.map((u) => u.id));
      before = page.next;
    } while (before);
    expect(seen).toEqual(expected);
    expect((await searchUpdates(timeline, 'search', updates[7].id, { limit: 5 })).updates.map((u) => u.id)).toEqual([updates[7].id]);
    expect((await searchUpdates(timeline, 'search', 'nowhere', { limit: 5 })).updates).toEqual([]);
  });

  it('gives every event after a cursor, in order, each once', async () => {
    const blog = await timeline.createBlog(blogRecord('log'));
    const first = await timeline.createUpdate(makeUpdate('log'));
    const second = await timeline.createUpdate(makeUpdate('log'));
    const third = await timeline.createUpdate(makeUpdate('log'));
    const all = await timeline.eventsAfter('log', blog.cursor, 100);
    expect(all.events.map((e) => e.cursor)).toEqual([first.events[0].cursor, second.events[0].cursor, third.events[0].cursor]);
    expect(all.events.map((e) => e.prev)).toEqual([blog.cursor, first.events[0].cursor, second.events[0].cursor]);
    expect(all.cursor).toBe(third.events[0].cursor);
    const tail = await timeline.eventsAfter('log', first.events[0].cursor, 100);
    expect(tail.events.map((e) => e.update?.id)).toEqual([second.update.id, third.update.id]);
    const none = await timeline.eventsAfter('log', third.events[0].cursor, 100);
    expect(none).toEqual({ events: [], cursor: third.events[0].cursor });
    const latest = await timeline.eventsAfter('log', undefined, 100);
    expect(latest).toEqual({ events: [], cursor: third.events[0].cursor });
    const limited = await timeline.eventsAfter('log', blog.cursor, 2);
    expect(limited.events).toHaveLength(2);
    expect(limited.more).toBe(true);
    // cursors also sort as strings, for clients that compare them so
    expect([third, first, second].map((c) => c.events[0].cursor).sort()).toEqual([first, second, third].map((c) => c.events[0].cursor));
  });

  it('says cursor_expired when history is trimmed past the cursor or the cursor is foreign', async () => {
    const blog = await timeline.createBlog(blogRecord('trim'));
    for (let i = 0; i < HISTORY + 5; i++) await timeline.createUpdate(makeUpdate('trim'));
    await expectKind(timeline.eventsAfter('trim', blog.cursor, 100), 'cursor_expired');
    const latest = (await timeline.getBlog('trim'))!.cursor;
    const { epoch, seq, tag } = parseCursor(latest)!;
    // The oldest cursor still served is exactly the history's length behind.
    const recent = await timeline.recentEvents('trim', HISTORY);
    expect(recent.events).toHaveLength(HISTORY);
    expect(recent.cursor).toBe(latest);
    const edge = recent.events[0].prev;
    expect(parseCursor(edge)!.seq).toBe(seq - HISTORY);
    expect((await timeline.eventsAfter('trim', edge, 100)).events).toHaveLength(HISTORY);
    await expectKind(timeline.eventsAfter('trim', recent.events[1].prev.replace(/-[a-z0-9]+$/, '-othertag'), 100), 'cursor_expired');
    await expectKind(timeline.eventsAfter('trim', `zzzzzz-${'0'.repeat(11)}1-abcdefgh`, 100), 'cursor_expired');
    await expectKind(timeline.eventsAfter('trim', formatCursor(epoch, seq + 1, tag), 100), 'cursor_expired');
    // A cursor of the first version (no tag) cannot be verified: reload once.
    await expectKind(timeline.eventsAfter('trim', `${epoch}-${String(seq).padStart(12, '0')}`, 100), 'cursor_expired');
    await expectKind(timeline.eventsAfter('missing', latest, 100), 'blog_not_found');
  });

  it('honours an idempotency key: the same key and request return the update as it is now and store nothing new, even when raced', async () => {
    await timeline.createBlog(blogRecord('idem'));
    const same = { key: 'same-key', fingerprint: 'f1' };
    const attempts = await Promise.all(
      Array.from({ length: 5 }, () => timeline.createUpdate(makeUpdate('idem', { body: 'the same request' }), same)),
    );
    const created = attempts.filter((a) => a.events.length);
    expect(created).toHaveLength(1);
    for (const attempt of attempts) expect(attempt.update).toEqual(created[0].update);
    expect((await timeline.listUpdates('idem', { limit: 10 })).updates).toHaveLength(1);
    const other = await timeline.createUpdate(makeUpdate('idem'), { key: 'other-key', fingerprint: 'f1' });
    expect(other.events).toHaveLength(1);
    expect((await timeline.listUpdates('idem', { limit: 10 })).updates).toHaveLength(2);
    // A correction since is what a replay returns (never the text corrected away).
    const first = created[0].update;
    await timeline.changeUpdate('idem', first.id, (current) => ({ ...current, body: 'corrected', version: current.version + 1 }));
    expect((await timeline.createUpdate(makeUpdate('idem'), same)).update).toMatchObject({ id: first.id, body: 'corrected' });
    // The same key with another request is a conflict, not a silent replay.
    await expectKind(
      timeline.createUpdate(makeUpdate('idem', { body: 'something else' }), { key: 'same-key', fingerprint: 'f2' }),
      'conflict',
    );
    // Once its update is deleted, the key does not pretend to replay it.
    await timeline.changeUpdate('idem', first.id, () => null);
    await expectKind(timeline.createUpdate(makeUpdate('idem'), same), 'conflict');
    expect((await timeline.listUpdates('idem', { limit: 10 })).updates).toHaveLength(1);
  });

  it('edits in place with an event, reorders on a new publishedAt, and deletes', async () => {
    await timeline.createBlog(blogRecord('edit'));
    const older = makeUpdate('edit', { publishedAt: '2025-01-11T12:00:00.000Z' });
    const newer = makeUpdate('edit', { publishedAt: '2025-01-11T13:00:00.000Z' });
    await timeline.createUpdate(older);
    await timeline.createUpdate(newer);
    const edited = await timeline.changeUpdate('edit', older.id, (current) => ({
      ...current,
      body: 'corrected',
      publishedAt: '2025-01-11T14:00:00.000Z',
      version: current.version + 1,
    }));
    expect(edited.events[0]).toMatchObject({ type: 'update.edited', update: { id: older.id, body: 'corrected', version: 2 } });
    expect((await timeline.listUpdates('edit', { limit: 10 })).updates.map((u) => [u.id, u.version])).toEqual([
      [older.id, 2],
      [newer.id, 1],
    ]);
    const {
      events: [deleted],
    } = await timeline.changeUpdate('edit', newer.id, () => null);
    expect(deleted).toMatchObject({ type: 'update.deleted', updateId: newer.id });
    expect(deleted.update).toBeUndefined();
    expect((await timeline.listUpdates('edit', { limit: 10 })).updates.map((u) => u.id)).toEqual([older.id]);
    expect(await timeline.getUpdate('edit', newer.id)).toBeNull();
    await expectKind(
      timeline.changeUpdate('edit', newer.id, () => null),
      'update_not_found',
    );
    await expectKind(
      timeline.changeUpdate('nope', newer.id, () => null),
      'blog_not_found',
    );
  });

  it('changes a blog with a blog.updated event, and refuses new updates once it has ended', async () => {
    const blog = await timeline.createBlog(blogRecord('ending'));
    const event = await timeline.changeBlog('ending', (current) => ({
      ...current,
      status: 'ended',
      updatedAt: '2025-01-12T00:00:00.000Z',
    }));
    expect(event).toMatchObject({ type: 'blog.updated', prev: blog.cursor, blog: { id: 'ending', status: 'ended', cursor: event.cursor } });
    expect(await timeline.getBlog('ending')).toMatchObject({ status: 'ended', cursor: event.cursor });
    await expectKind(timeline.createUpdate(makeUpdate('ending')), 'blog_ended');
    await expectKind(
      timeline.changeBlog('nope', (current) => current),
      'blog_not_found',
    );
    await expectKind(timeline.createUpdate(makeUpdate('nope')), 'blog_not_found');
    await expectKind(timeline.listUpdates('nope', { limit: 1 }), 'blog_not_found');
  });

  it('serialises concurrent edits of one update: none is lost', async () => {
    await timeline.createBlog(blogRecord('race'));
    const update = makeUpdate('race');
    await timeline.createUpdate(update);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        timeline.changeUpdate('race', update.id, (current) => ({ ...current, body: `${current.body}+${i}`, version: current.version + 1 })),
      ),
    );
    const final = (await timeline.getUpdate('race', update.id))!;
    expect(final.version).toBe(6);
    expect(final.body.split('+')).toHaveLength(6);
  });

  it('keeps every earlier version of an edited update, and drops them with the update', async () => {
    await timeline.createBlog(blogRecord('versions'));
    const update = makeUpdate('versions', { body: 'v1' });
    await timeline.createUpdate(update);
    expect((await timeline.listVersions('versions', update.id)).map((u) => u.body)).toEqual(['v1']);
    for (const body of ['v2', 'v3']) {
      await timeline.changeUpdate('versions', update.id, (current) => ({ ...current, body, version: current.version + 1 }));
    }
    const versions = await timeline.listVersions('versions', update.id);
    expect(versions.map((u) => [u.body, u.version])).toEqual([
      ['v1', 1],
      ['v2', 2],
      ['v3', 3],
    ]);
    await timeline.changeUpdate('versions', update.id, () => null);
    await expectKind(timeline.listVersions('versions', update.id), 'update_not_found');
  });

  it('unpins the update pinned before in the same write, with its own event, so that one pinned update per blog remains', async () => {
    const blog = await timeline.createBlog(blogRecord('pins'));
    const first = makeUpdate('pins', { pinned: true });
    expect((await timeline.createUpdate(first)).events.map((e) => e.type)).toEqual(['update.created']);
    expect((await timeline.pinnedUpdate('pins'))?.id).toBe(first.id);
    const second = makeUpdate('pins', { pinned: true });
    const pinSecond = await timeline.createUpdate(second);
    // The unpin is logged first, so that no reader ever sees two pinned updates.
    expect(pinSecond.events.map((e) => [e.type, e.update?.id, e.update?.pinned])).toEqual([
      ['update.edited', first.id, false],
      ['update.created', second.id, true],
    ]);
    expect(pinSecond.events[1].prev).toBe(pinSecond.events[0].cursor);
    expect(await timeline.getUpdate('pins', first.id)).toMatchObject({ pinned: false, version: 2 });
    expect((await timeline.listVersions('pins', first.id)).map((u) => u.pinned)).toEqual([true, false]);
    const third = makeUpdate('pins');
    await timeline.createUpdate(third);
    const pinThird = await timeline.changeUpdate('pins', third.id, (current) => ({
      ...current,
      pinned: true,
      version: current.version + 1,
    }));
    expect(pinThird.events.map((e) => [e.type, e.update?.id, e.update?.pinned])).toEqual([
      ['update.edited', second.id, false],
      ['update.edited', third.id, true],
    ]);
    const again = await timeline.changeUpdate('pins', third.id, (current) => ({
      ...current,
      body: 'still pinned',
      version: current.version + 1,
    }));
    expect(again.events).toHaveLength(1);
    expect((await timeline.pinnedUpdate('pins'))?.id).toBe(third.id);
    await timeline.changeUpdate('pins', third.id, () => null);
    expect(await timeline.pinnedUpdate('pins')).toBeNull();
    expect((await timeline.createUpdate(makeUpdate('pins', { pinned: true }))).events).toHaveLength(1);
    // The log holds every one of these events, in order, each after the one before.
    const log = await timeline.eventsAfter('pins', blog.cursor, 100);
    expect(log.events.map((e) => e.prev)).toEqual([blog.cursor, ...log.events.slice(0, -1).map((e) => e.cursor)]);
    const pinnedNow = (await timeline.listUpdates('pins', { limit: 10 })).updates.filter((u) => u.pinned);
    expect(pinnedNow).toHaveLength(1);
  });

  it('pins from many writers at once and still has one pinned update', async () => {
    await timeline.createBlog(blogRecord('pin-race'));
    const updates = Array.from({ length: 6 }, () => makeUpdate('pin-race', { pinned: true }));
    await Promise.all(updates.map((update) => timeline.createUpdate(update)));
    const pinned = (await timeline.listUpdates('pin-race', { limit: 10 })).updates.filter((u) => u.pinned);
    expect(pinned).toHaveLength(1);
    expect((await timeline.pinnedUpdate('pin-race'))?.id).toBe(pinned[0].id);
  });

  it('lists the key events alone, newest first, following edits and deletes', async () => {
    await timeline.createBlog(blogRecord('keys'));
    const a = makeUpdate('keys', { keyEvent: true, publishedAt: '2025-01-11T10:00:00.000Z' });
    const b = makeUpdate('keys', { publishedAt: '2025-01-11T11:00:00.000Z' });
    const c = makeUpdate('keys', { keyEvent: true, publishedAt: '2025-01-11T12:00:00.000Z' });
    for (const update of [a, b, c]) await timeline.createUpdate(update);
    expect((await timeline.listKeyEvents('keys', { limit: 10 })).updates.map((u) => u.id)).toEqual([c.id, a.id]);
    await timeline.changeUpdate('keys', b.id, (current) => ({ ...current, keyEvent: true, version: current.version + 1 }));
    await timeline.changeUpdate('keys', c.id, (current) => ({ ...current, keyEvent: false, version: current.version + 1 }));
    await timeline.changeUpdate('keys', a.id, (current) => ({
      ...current,
      publishedAt: '2025-01-11T13:00:00.000Z',
      version: current.version + 1,
    }));
    expect((await timeline.listKeyEvents('keys', { limit: 10 })).updates.map((u) => u.id)).toEqual([a.id, b.id]);
    await timeline.changeUpdate('keys', a.id, () => null);
    expect((await timeline.listKeyEvents('keys', { limit: 10 })).updates.map((u) => u.id)).toEqual([b.id]);
  });

  // The audit trail, appended by the same write as the change it records.
  const olena: Actor = { kind: 'person', id: 'p1', name: 'Olena' };
  const stamp = (at = '2025-01-11T12:00:00.000Z', actor = olena): AuditStamp => ({ actor, at });
  const trail = async (blogId: string, updateId?: string): Promise<AuditEntry[]> =>
    (await audit.list({ blogId }, { limit: 200, ...(updateId ? { updateId } : {}) })).entries;
  const actions = (entries: AuditEntry[]) => entries.map((entry) => [entry.action, entry.updateId ?? null]);

  it('records every write of a blog with actor, time, before and after, newest first, and keeps it after the update is gone', async () => {
    await timeline.createBlog(blogRecord('audit'), stamp('2025-01-11T10:00:00.000Z'));
    await timeline.changeBlog('audit', (current) => ({ ...current, title: 'Renamed' }), stamp());
    const update = makeUpdate('audit', { body: 'first text' });
    await timeline.createUpdate(update, undefined, stamp());
    await timeline.changeUpdate('audit', update.id, (current) => ({ ...current, body: 'second text', version: 2 }), stamp());
    await timeline.changeUpdate('audit', update.id, (current) => ({ ...current, pinned: true, version: 3 }), stamp());
    await timeline.changeUpdate('audit', update.id, (current) => ({ ...current, pinned: false, version: 4 }), stamp());
    await timeline.changeUpdate('audit', update.id, () => null, stamp('2025-01-11T13:00:00.000Z'));
    const entries = await trail('audit');
    expect(actions(entries)).toEqual([
      ['update.deleted', update.id],
      ['update.unpinned', update.id],
      ['update.pinned', update.id],
      ['update.edited', update.id],
      ['update.created', update.id],
      ['blog.changed', null],
      ['blog.created', null],
    ]);
    const [deleted, , , edited, created, blogChanged, blogCreated] = entries;
    expect(deleted).toMatchObject({
      at: '2025-01-11T13:00:00.000Z',
      actor: olena,
      blogId: 'audit',
      before: { body: 'second text', version: 4 },
    });
    expect(deleted.after).toBeUndefined();
    expect(edited).toMatchObject({ before: { body: 'first text', version: 1 }, after: { body: 'second text', version: 2 } });
    expect(created).toMatchObject({ after: update });
    expect(blogChanged).toMatchObject({ before: { title: 'Blog audit' }, after: { title: 'Renamed' } });
    expect(blogChanged.before).not.toHaveProperty('cursor');
    expect(blogCreated).toMatchObject({ at: '2025-01-11T10:00:00.000Z', after: { id: 'audit', title: 'Blog audit' } });
    // ids are the page tokens: newest first, strictly
    const ids = entries.map((entry) => entry.id);
    expect(new Set(ids).size).toBe(ids.length);
    // paging: limit, next, before — each entry once
    const seen: string[] = [];
    let before: string | undefined;
    do {
      const page = await audit.list({ blogId: 'audit' }, { limit: 3, ...(before ? { before } : {}) });
      seen.push(...page.entries.map((entry) => entry.id));
      before = page.next;
    } while (before);
    expect(seen).toEqual(ids);
    // one update's entries, after it is gone
    expect(actions(await trail('audit', update.id))).toHaveLength(5);
    // another blog's trail is its own
    await timeline.createBlog(blogRecord('audit-other'));
    expect(actions(await trail('audit-other'))).toEqual([['blog.created', null]]);
    expect((await trail('audit-other'))[0].actor).toMatchObject({ kind: 'admin-token' });
  });

  it('records the automatic unpin of the update pinned before, and nothing for an idempotent replay', async () => {
    await timeline.createBlog(blogRecord('audit-pins'));
    const first = makeUpdate('audit-pins', { pinned: true });
    const second = makeUpdate('audit-pins', { pinned: true });
    const third = makeUpdate('audit-pins');
    await timeline.createUpdate(first, undefined, stamp());
    await timeline.createUpdate(second, { key: 'k', fingerprint: 'f' }, stamp());
    await timeline.createUpdate(third, undefined, stamp());
    await timeline.changeUpdate('audit-pins', third.id, (current) => ({ ...current, pinned: true, version: 2 }), stamp());
    const before = await trail('audit-pins');
    expect(actions(before)).toEqual([
      ['update.pinned', third.id],
      ['update.unpinned', second.id],
      ['update.created', third.id],
      ['update.created', second.id],
      ['update.unpinned', first.id],
      ['update.created', first.id],
      ['blog.created', null],
    ]);
    expect(before[4]).toMatchObject({
      before: { id: first.id, pinned: true, version: 1 },
      after: { id: first.id, pinned: false, version: 2 },
    });
    const replay = await timeline.createUpdate(makeUpdate('audit-pins', { pinned: true }), { key: 'k', fingerprint: 'f' }, stamp());
    expect(replay.events).toEqual([]);
    expect(await trail('audit-pins')).toEqual(before);
  });

  it('records, under concurrent edits, the state each write really replaced', async () => {
    await timeline.createBlog(blogRecord('audit-race'));
    const update = makeUpdate('audit-race');
    await timeline.createUpdate(update);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        timeline.changeUpdate(
          'audit-race',
          update.id,
          (current) => ({ ...current, body: `${current.body}+${i}`, version: current.version + 1 }),
          stamp(),
        ),
      ),
    );
    const edits = (await trail('audit-race', update.id)).filter((entry) => entry.action === 'update.edited').reverse();
    expect(edits).toHaveLength(5);
    edits.forEach((entry, i) => {
      expect((entry.before as Update).version).toBe(i + 1);
      expect((entry.after as Update).version).toBe(i + 2);
      if (i > 0) expect(entry.before).toEqual(edits[i - 1].after);
    });
  });

  // The approval queue.
  const pendingEntry = (blogId: string, fields: Partial<PendingUpdate> = {}): PendingUpdate => ({
    ...makeUpdate(blogId),
    status: 'pending',
    submittedBy: { id: 'c1', name: 'Taras' },
    submittedAt: '2025-01-11T12:00:00.000Z',
    ...fields,
  });
  const publishOf = ({ status: _s, submittedBy: _b, submittedAt: _a, rejection: _r, ...update }: PendingUpdate): Update => ({
    ...update,
    version: 1,
  });

  it('queues a pending entry apart from the updates, the log and the key events, and edits it', async () => {
    const blog = await timeline.createBlog(blogRecord('queue'));
    const entry = pendingEntry('queue', { keyEvent: true });
    expect(await timeline.submitPending(entry, stamp())).toEqual({ entry, created: true });
    expect((await timeline.listUpdates('queue', { limit: 10 })).updates).toEqual([]);
    expect((await timeline.listKeyEvents('queue', { limit: 10 })).updates).toEqual([]);
    expect((await timeline.eventsAfter('queue', blog.cursor, 10)).events).toEqual([]);
    expect((await timeline.recentEvents('queue', 10)).events).toEqual([]);
    expect(await timeline.getUpdate('queue', entry.id)).toBeNull();
    expect(await timeline.listAround('queue', entry.id, 5)).toBeNull();
    expect((await timeline.getBlog('queue'))!.cursor).toBe(blog.cursor);
    expect(await timeline.listPending('queue')).toEqual([entry]);
    const edited = await timeline.changePending('queue', entry.id, (current) => ({ ...current, body: 'edited', version: 2 }), stamp());
    expect(await timeline.getPending('queue', entry.id)).toEqual(edited);
    await expectKind(timeline.submitPending(entry), 'conflict');
    await expectKind(timeline.submitPending(pendingEntry('nope')), 'blog_not_found');
    await expectKind(
      timeline.changePending('queue', 'unknown', (current) => current),
      'update_not_found',
    );
    await expectKind(timeline.listPending('nope'), 'blog_not_found');
    expect(actions(await trail('queue'))).toEqual([
      ['update.edited', entry.id],
      ['update.submitted', entry.id],
      ['blog.created', null],
    ]);
    expect((await trail('queue'))[0]).toMatchObject({ before: { body: entry.body, status: 'pending' }, after: { body: 'edited' } });
  });

  it('replays a submission by its idempotency key: the entry as it is now, or the update it became; never a second entry', async () => {
    await timeline.createBlog(blogRecord('queue-idem'));
    const key = { key: 'person:c1:retry', fingerprint: 'f1' };
    const first = pendingEntry('queue-idem');
    const attempts = await Promise.all(
      Array.from({ length: 4 }, () => timeline.submitPending({ ...pendingEntry('queue-idem'), id: first.id }, stamp(), key)),
    );
    expect(attempts.filter((attempt) => attempt.created)).toHaveLength(1);
    const retry = await timeline.submitPending(pendingEntry('queue-idem'), stamp(), key);
    expect(retry).toMatchObject({ entry: { id: first.id, status: 'pending' }, created: false });
    expect(await timeline.listPending('queue-idem')).toHaveLength(1);
    await expectKind(timeline.submitPending(pendingEntry('queue-idem'), stamp(), { ...key, fingerprint: 'f2' }), 'conflict');
    await timeline.approvePending('queue-idem', first.id, publishOf);
    expect(await timeline.submitPending(pendingEntry('queue-idem'), stamp(), key)).toEqual({
      update: publishOf({ ...first, ...retry.entry! }),
      created: false,
    });
    await timeline.changeUpdate('queue-idem', first.id, () => null);
    await expectKind(timeline.submitPending(pendingEntry('queue-idem'), stamp(), key), 'conflict');
    expect(actions(await trail('queue-idem')).filter(([action]) => action === 'update.submitted')).toHaveLength(1);
  });

  it('approves once, however many approve at once, with update.created, and records it with the submitter', async () => {
    const blog = await timeline.createBlog(blogRecord('approve'));
    const entry = pendingEntry('approve', { keyEvent: true });
    await timeline.submitPending(entry, stamp());
    const results = await Promise.all(Array.from({ length: 5 }, () => timeline.approvePending('approve', entry.id, publishOf, stamp())));
    expect(results.filter((result) => result.events.length)).toHaveLength(1);
    for (const result of results) expect(result.update).toEqual(publishOf(entry));
    const log = await timeline.eventsAfter('approve', blog.cursor, 10);
    expect(log.events.map((event) => [event.type, event.update?.id])).toEqual([['update.created', entry.id]]);
    expect((await timeline.listUpdates('approve', { limit: 10 })).updates.map((u) => u.id)).toEqual([entry.id]);
    expect((await timeline.listKeyEvents('approve', { limit: 10 })).updates.map((u) => u.id)).toEqual([entry.id]);
    expect(await timeline.listPending('approve')).toEqual([]);
    const approved = (await trail('approve')).filter((e) => e.action === 'update.approved');
    expect(approved).toHaveLength(1);
    expect(approved[0]).toMatchObject({ actor: olena, before: { submittedBy: { name: 'Taras' } }, after: publishOf(entry) });
    // Once published, it is an update like any other; a rejection now is too late.
    await expectKind(
      timeline.rejectPending('approve', entry.id, (current) => current),
      'conflict',
    );
    await expectKind(
      timeline.changePending('approve', entry.id, (current) => current),
      'conflict',
    );
    await expectKind(timeline.approvePending('approve', 'unknown', publishOf), 'update_not_found');
    await expectKind(timeline.approvePending('nope', entry.id, publishOf), 'blog_not_found');
  });

  it('lets exactly one of an approval and a rejection racing win', async () => {
    await timeline.createBlog(blogRecord('race-decide'));
    for (let i = 0; i < 4; i++) {
      const entry = pendingEntry('race-decide');
      await timeline.submitPending(entry);
      const rejecting = (current: PendingUpdate): PendingUpdate => ({
        ...current,
        status: 'rejected',
        rejection: { reason: 'no', by: 'Olena', at: new Date().toISOString() },
      });
      const outcomes = await Promise.allSettled(
        i % 2
          ? [timeline.approvePending('race-decide', entry.id, publishOf), timeline.rejectPending('race-decide', entry.id, rejecting)]
          : [timeline.rejectPending('race-decide', entry.id, rejecting), timeline.approvePending('race-decide', entry.id, publishOf)],
      );
      const won = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(won).toHaveLength(1);
      const lost = outcomes.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
      expect(lost.reason).toMatchObject({ kind: 'conflict' });
      const published = await timeline.getUpdate('race-decide', entry.id);
      const queued = await timeline.getPending('race-decide', entry.id);
      expect(!!published).toBe(!queued);
      if (queued) expect(queued.status).toBe('rejected');
    }
  });

  it('keeps a rejected entry with its reason for its contributor, refuses to decide it again, and drops it after a week', async () => {
    await timeline.createBlog(blogRecord('reject'));
    const entry = pendingEntry('reject');
    const old = pendingEntry('reject');
    await timeline.submitPending(entry, stamp());
    await timeline.submitPending(old, stamp());
    const rejection = { reason: 'Unconfirmed', by: 'Olena', at: new Date().toISOString() };
    const rejected = await timeline.rejectPending(
      'reject',
      entry.id,
      (current) => ({ ...current, status: 'rejected', rejection }),
      stamp(),
    );
    expect(rejected).toMatchObject({ status: 'rejected', rejection });
    const weekAgo = new Date(Date.now() - 7 * 24 * 3600_000 - 1000).toISOString();
    await timeline.rejectPending('reject', old.id, (current) => ({
      ...current,
      status: 'rejected',
      rejection: { ...rejection, at: weekAgo },
    }));
    expect(await timeline.listPending('reject')).toEqual([rejected]);
    expect(await timeline.getPending('reject', old.id)).toBeNull();
    await expectKind(timeline.approvePending('reject', entry.id, publishOf), 'conflict');
    await expectKind(
      timeline.rejectPending('reject', entry.id, (current) => current),
      'conflict',
    );
    expect(await timeline.getUpdate('reject', entry.id)).toBeNull();
    const [last] = await trail('reject');
    expect(last).toMatchObject({
      action: 'update.rejected',
      reason: 'Unconfirmed',
      before: { status: 'pending' },
      after: { status: 'rejected' },
    });
  });

  const from = (id: string) => ({ submittedBy: { id, name: id } });
  const rejectAt =
    (at: string) =>
    (current: PendingUpdate): PendingUpdate => ({ ...current, status: 'rejected', rejection: { reason: 'spam', by: 'Olena', at } });
  async function expectRefused(promise: Promise<unknown>, message: string): Promise<void> {
    await expect(promise).rejects.toMatchObject({ kind: 'conflict', message });
  }

  it('caps the entries one contributor has waiting; another still submits; rejecting them reopens it', async () => {
    await timeline.createBlog(blogRecord('flood'));
    const flood = Array.from({ length: PENDING_PER_CONTRIBUTOR }, () => pendingEntry('flood', from('flooder')));
    for (const entry of flood) await timeline.submitPending(entry, stamp());
    // At once, as a script would: none of them gets past the cap.
    const extra = await Promise.allSettled(Array.from({ length: 5 }, () => timeline.submitPending(pendingEntry('flood', from('flooder')))));
    expect(extra.map((outcome) => outcome.status)).toEqual(Array(5).fill('rejected'));
    await expectRefused(timeline.submitPending(pendingEntry('flood', from('flooder'))), PENDING_CONTRIBUTOR_FULL);
    expect(await timeline.listPending('flood')).toHaveLength(PENDING_PER_CONTRIBUTOR);
    const honest = pendingEntry('flood', from('honest'));
    expect(await timeline.submitPending(honest)).toEqual({ entry: honest, created: true });
    // Approving one frees a place, and so does rejecting: rejected entries are not waiting.
    await timeline.approvePending('flood', flood[0].id, publishOf);
    await timeline.submitPending(pendingEntry('flood', from('flooder')));
    await expectRefused(timeline.submitPending(pendingEntry('flood', from('flooder'))), PENDING_CONTRIBUTOR_FULL);
    const waiting = (await timeline.listPending('flood')).filter((entry) => entry.submittedBy.id === 'flooder');
    for (const entry of waiting) await timeline.rejectPending('flood', entry.id, rejectAt(new Date().toISOString()), stamp());
    const again = pendingEntry('flood', from('flooder'));
    expect(await timeline.submitPending(again)).toEqual({ entry: again, created: true });
    expect((await timeline.listPending('flood')).filter((entry) => entry.status === 'pending').map((entry) => entry.id)).toEqual([
      honest.id,
      again.id,
    ]);
    expect(actions(await trail('flood')).filter(([action]) => action === 'update.rejected')).toHaveLength(PENDING_PER_CONTRIBUTOR);
  });

  it('counts only waiting entries against the cap of a blog: rejecting makes room at once', async () => {
    await timeline.createBlog(blogRecord('full'));
    const contributors = Math.ceil(PENDING_MAX / PENDING_PER_CONTRIBUTOR);
    for (let c = 0; c < contributors; c++) {
      await Promise.all(Array.from({ length: PENDING_PER_CONTRIBUTOR }, () => timeline.submitPending(pendingEntry('full', from(`c${c}`)))));
    }
    expect(await timeline.listPending('full')).toHaveLength(PENDING_MAX);
    await expectRefused(timeline.submitPending(pendingEntry('full', from('late'))), PENDING_FULL);
    const [first, second] = await timeline.listPending('full');
    await timeline.rejectPending('full', first.id, rejectAt(new Date().toISOString()));
    const late = pendingEntry('full', from('late'));
    expect(await timeline.submitPending(late)).toEqual({ entry: late, created: true });
    await expectRefused(timeline.submitPending(pendingEntry('full', from('later'))), PENDING_FULL);
    await timeline.approvePending('full', second.id, publishOf);
    await timeline.submitPending(pendingEntry('full', from('later')));
    const queue = await timeline.listPending('full');
    expect(queue.filter((entry) => entry.status === 'pending')).toHaveLength(PENDING_MAX);
    expect(queue.filter((entry) => entry.status === 'rejected').map((entry) => entry.id)).toEqual([first.id]);
  });

  it('keeps a contributor at most REJECTED_PER_CONTRIBUTOR rejected entries, dropping their oldest first', async () => {
    await timeline.createBlog(blogRecord('rejected-cap'));
    const other = pendingEntry('rejected-cap', from('other'));
    await timeline.submitPending(other);
    const base = Date.now() - 3600_000;
    await timeline.rejectPending('rejected-cap', other.id, rejectAt(new Date(base - 60_000).toISOString()));
    const total = REJECTED_PER_CONTRIBUTOR + 5;
    const ids: string[] = [];
    for (let n = 0; n < total; n++) {
      const entry = pendingEntry('rejected-cap', from('spammer'));
      ids.push(entry.id);
      await timeline.submitPending(entry);
      // Rejected a second apart, each pair in the other order than submitted: the rejection's time decides.
      await timeline.rejectPending('rejected-cap', entry.id, rejectAt(new Date(base + (n % 2 ? n - 1 : n + 1) * 1000).toISOString()));
    }
    const dropped = [0, 1, 2, 3, 5].map((n) => ids[n]);
    const queue = await timeline.listPending('rejected-cap');
    const spam = queue.filter((entry) => entry.submittedBy.id === 'spammer');
    expect(spam).toHaveLength(REJECTED_PER_CONTRIBUTOR);
    expect(new Set(spam.map((entry) => entry.id))).toEqual(new Set(ids.filter((id) => !dropped.includes(id))));
    for (const id of dropped) expect(await timeline.getPending('rejected-cap', id)).toBeNull();
    // Another contributor's rejected entry, however old, is theirs to keep.
    expect(queue.map((entry) => entry.id)).toContain(other.id);
    // Those dropped leave the index too: the next rejection drops exactly one more.
    const next = pendingEntry('rejected-cap', from('spammer'));
    await timeline.submitPending(next);
    await timeline.rejectPending('rejected-cap', next.id, rejectAt(new Date().toISOString()));
    const after = (await timeline.listPending('rejected-cap')).filter((entry) => entry.submittedBy.id === 'spammer');
    expect(after).toHaveLength(REJECTED_PER_CONTRIBUTOR);
    expect(await timeline.getPending('rejected-cap', ids[4])).toBeNull();
    expect(await timeline.getPending('rejected-cap', next.id)).toMatchObject({ status: 'rejected' });
  });

  it('refuses entries to an ended blog, and approvals into it', async () => {
    await timeline.createBlog(blogRecord('queue-ended'));
    const entry = pendingEntry('queue-ended');
    await timeline.submitPending(entry);
    await timeline.changeBlog('queue-ended', (current) => ({ ...current, status: 'ended' }));
    await expectKind(timeline.submitPending(pendingEntry('queue-ended')), 'blog_ended');
    await expectKind(timeline.approvePending('queue-ended', entry.id, publishOf), 'blog_ended');
    expect(await timeline.listPending('queue-ended')).toEqual([entry]);
  });

  it('refuses, once a picture is marked taken down, every write that shows it or names it in a form a takedown removes, and stores nothing', async () => {
    const blog = await timeline.createBlog(blogRecord('pictures'));
    const [gone, kept] = ['a'.repeat(20), 'b'.repeat(20)];
    // As the renderer makes it (media/markup.ts): only a picture rendered from its record has this link.
    const shown = (mediaId: string) =>
      `<figure class="lb-figure"><a class="lb-picture" href="/media/pictures/${mediaId}/full-0123456789abcdef.jpg" target="_blank" rel="noopener">` +
      `<picture><img src="/media/pictures/${mediaId}/960-0123456789abcdef.jpg" alt="Zebra"></picture></a><figcaption>Quokka caption</figcaption></figure>`;
    const figure = (mediaId: string) => ({ body: `![Zebra](/media/pictures/${mediaId} "Quokka caption")`, html: shown(mediaId) });
    const update = makeUpdate('pictures', figure(gone));
    await timeline.createUpdate(update);
    const entry = pendingEntry('pictures', figure(gone));
    await timeline.submitPending(entry);
    // Another blog's picture of the same id is not this one.
    await timeline.createBlog(blogRecord('elsewhere'));
    await timeline.markTakenDown('pictures', gone);
    expect(await timeline.takenDown('pictures', [gone, kept])).toEqual(new Set([gone]));
    expect(await timeline.takenDown('elsewhere', [gone])).toEqual(new Set());
    const before = await timeline.recentEvents('pictures', 10);

    const refused = async (write: Promise<unknown>) => {
      await expect(write).rejects.toBeInstanceOf(PictureTakenDown);
      await expect(write).rejects.toMatchObject({ kind: 'conflict' });
    };
    await refused(timeline.createUpdate(makeUpdate('pictures', figure(gone))));
    await refused(timeline.createUpdate(makeUpdate('pictures', { body: 'Its text is gone', html: shown(gone) })));
    await refused(timeline.createUpdate(makeUpdate('pictures', { body: `Raw <img alt="Zebra" src="/media/pictures/${gone}">` })));
    await refused(
      timeline.changeUpdate('pictures', update.id, (current) => ({
        ...current,
        body: `${current.body} (edited)`,
        version: current.version + 1,
      })),
    );
    await refused(timeline.submitPending(pendingEntry('pictures', figure(gone))));
    await refused(
      timeline.changePending('pictures', entry.id, (current) => ({ ...current, title: 'Edited', version: current.version + 1 })),
    );
    await refused(timeline.approvePending('pictures', entry.id, publishOf));
    expect(await timeline.recentEvents('pictures', 10)).toEqual(before);
    expect(await timeline.getUpdate('pictures', update.id)).toEqual(update);
    expect(await timeline.listPending('pictures')).toEqual([entry]);

    // Without it, every one of them is written; and a delete, or another picture, is never refused.
    const stripped = (current: Update) => ({ ...current, ...figure(kept), version: current.version + 1 });
    await timeline.changeUpdate('pictures', update.id, stripped);
    await timeline.changePending('pictures', entry.id, (current) => ({ ...current, ...figure(kept), version: current.version + 1 }));
    await timeline.approvePending('pictures', entry.id, publishOf);
    await timeline.createUpdate(makeUpdate('pictures', figure(kept)));
    await timeline.createUpdate(makeUpdate('elsewhere', { ...figure(gone), blogId: 'elsewhere' }));
    // A form the takedown cannot take out of a body (it renders as "Picture not available."): never refused,
    // or the takedown's own sweep could never write.
    await timeline.createUpdate(
      makeUpdate('pictures', {
        body: `![Zebra][ref]\n\n[ref]: /media/pictures/${gone}`,
        html: '<p><small class="lb-image-refused">Picture not available.</small></p>',
      }),
    );
    await timeline.changeUpdate('pictures', update.id, () => null);
    expect(parseCursor((await timeline.recentEvents('pictures', 10)).cursor)!.seq).toBe(parseCursor(blog.cursor)!.seq + 6);
  });
});
