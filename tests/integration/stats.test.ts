/**
 * Figures for editors across two app processes on one Redis prefix: readers connecting through both
 * (some from a host site's page, some from an iframe) are counted together, by site, per minute and at
 * the peak, with one Redis call per blog per flush whatever the readers do, and nothing about a reader
 * is kept. The route is the blog's editors' alone.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../shared/events';
import type { BlogStats } from '../../shared/schemas';
import type { SharedRedis } from '../../server/store/open';
import { RedisFigures } from '../../server/stats/redis-figures';
import { MINUTE_MS, minuteOf } from '../../server/stats/types';
import { createBlog, request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { editorToken, person } from '../helpers/newsroom';
import { keysUnder, TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const FLUSH_MS = 200;
const DAY_MS = 86_400_000;
const prefix = testPrefix('stats');
const cleaner = prefixCleaner(prefix);
let a: TestServer;
let b: TestServer;
const open: Socket[] = [];

type Visitor = Socket<ServerToClientEvents, ClientToServerEvents>;

/** A reader's connection, as a browser on `origin` (or the service's own page without one) makes it. */
async function visit(
  url: string,
  blogId: string,
  options: { origin?: string; referer?: string; site?: string; token?: string } = {},
): Promise<Visitor> {
  const headers: Record<string, string> = {};
  if (options.origin) headers.origin = options.origin;
  if (options.referer) headers.referer = options.referer;
  const auth: Record<string, string> = {};
  if (options.site !== undefined) auth.site = options.site;
  if (options.token) auth.token = options.token;
  const socket: Visitor = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers, auth });
  open.push(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', reject);
  });
  expect(await socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId })).toMatchObject({ ok: true });
  return socket;
}

async function stats(server: TestServer, blogId: string, query = ''): Promise<BlogStats> {
  const response = await request<BlogStats>(server.url, 'GET', `/api/blogs/${blogId}/stats${query}`);
  expect(response.status).toBe(200);
  return response.body;
}

async function statsWhen(server: TestServer, blogId: string, check: (figures: BlogStats) => boolean, what: string): Promise<BlogStats> {
  let last: BlogStats | undefined;
  return waitFor(
    async () => {
      last = await stats(server, blogId);
      return check(last) ? last : null;
    },
    `${what} (last: ${JSON.stringify(last)})`,
    10_000,
  );
}

beforeAll(async () => {
  [a, b] = await Promise.all([
    startServer({ prefix, reach: { statsFlushMs: FLUSH_MS } }),
    startServer({ prefix, reach: { statsFlushMs: FLUSH_MS } }),
  ]);
});

afterAll(async () => {
  for (const socket of open) socket.disconnect();
  await Promise.all([a?.stop(), b?.stop()]);
  await cleaner.cleanup();
});

describe('figures across two processes', () => {
  it('count readers on both, by site, per minute and at the peak; the peak stays when they leave', async () => {
    const blog = await createBlog(a.url, 'counted');
    // The newsroom is never counted: an editor following the blog on each process.
    await visit(a.url, blog.id, { token: ADMIN_TOKEN });
    await visit(b.url, blog.id, { token: ADMIN_TOKEN });
    const own = await Promise.all([visit(a.url, blog.id), visit(a.url, blog.id), visit(b.url, blog.id)]);
    const widget = await Promise.all([
      visit(b.url, blog.id, { origin: 'https://news.example' }),
      visit(a.url, blog.id, { origin: 'https://news.example' }),
      visit(b.url, blog.id, { origin: 'https://other.example:8443' }),
    ]);
    // The iframe page is same-origin and says so: its host site is what it says (as an origin), else `frame`.
    const frame = await Promise.all([
      visit(b.url, blog.id, { referer: `${b.url}/embed/${blog.id}`, site: 'https://frame-host.example/politics/article?reader=42' }),
      visit(a.url, blog.id, { referer: `${a.url}/embed/${blog.id}`, site: '' }),
    ]);
    const before = Date.now();
    const figures = await statsWhen(a, blog.id, (f) => f.readersNow === 8, 'eight readers on A');
    expect(figures.peakReaders).toBe(8);
    expect(Date.parse(figures.peakAt!)).toBeGreaterThan(before - 60_000);
    expect(figures.embeds).toEqual([
      { origin: 'self', readers: 3 },
      { origin: 'https://news.example', readers: 2 },
      { origin: 'frame', readers: 1 },
      { origin: 'https://frame-host.example', readers: 1 },
      { origin: 'https://other.example:8443', readers: 1 },
    ]);
    const minute = new Date(Math.floor(Date.parse(figures.peakAt!) / 60_000) * 60_000).toISOString();
    expect(figures.series.find((point) => point.at === minute)?.readers).toBe(8);
    // The same figures from the other process.
    expect(await statsWhen(b, blog.id, (f) => f.readersNow === 8, 'eight readers on B')).toMatchObject({ peakReaders: 8 });
    expect(figures).toMatchObject({ subscribers: 0, pushesSent: 0 });

    for (const socket of [...own, ...widget.slice(0, 2), frame[0]!]) socket.disconnect();
    const after = await statsWhen(a, blog.id, (f) => f.readersNow === 2, 'two readers left');
    expect(after.peakReaders).toBe(8);
    expect(after.peakAt).toBe(figures.peakAt);
    expect(after.embeds).toEqual([
      { origin: 'frame', readers: 1 },
      { origin: 'https://other.example:8443', readers: 1 },
    ]);
    expect(after.series.find((point) => point.at === minute)?.readers).toBe(8);
    // `since` after the peak's minute leaves it out.
    const later = new Date(Date.parse(minute) + 60_000).toISOString();
    expect((await stats(a, blog.id, `?since=${later}`)).series.every((point) => point.at >= later)).toBe(true);
    expect((await stats(a, blog.id, `?since=${later}`)).series.some((point) => point.at === minute)).toBe(false);
  });

  it('write one script call per blog per flush while 200 readers come, not one per reader', async () => {
    const blog = await createBlog(a.url, 'crowd');
    const statsKeys = `${prefix}blog:{${blog.id}}:stats`;
    // Every command either process sends on its Redis connections, as they are sent (MONITOR would see
    // them too, but ioredis's monitor mode breaks under the other test files' traffic).
    const commands: string[][] = [];
    const restore: (() => void)[] = [];
    for (const server of [a, b]) {
      for (const client of [server.stores.redis!.client, server.stores.redis!.writer]) {
        const send = client.sendCommand.bind(client);
        client.sendCommand = ((command: { name: string; args: unknown[] }, ...rest: unknown[]) => {
          const args = [command.name, ...command.args.map(String)];
          if (args.some((arg) => arg.startsWith(statsKeys))) commands.push(args);
          return (send as (...all: unknown[]) => unknown)(command, ...rest);
        }) as typeof client.sendCommand;
        restore.push(() => (client.sendCommand = send));
      }
    }
    const started = Date.now();
    const crowd: Visitor[] = [];
    for (let i = 0; i < 200; i += 20) {
      crowd.push(...(await Promise.all(Array.from({ length: 20 }, (_, j) => visit((i + j) % 2 ? a.url : b.url, blog.id)))));
    }
    await statsWhen(a, blog.id, (f) => f.readersNow === 200, '200 readers');
    for (const socket of crowd) socket.disconnect();
    await statsWhen(a, blog.id, (f) => f.readersNow === 0, 'no readers left');
    const elapsed = Date.now() - started;
    for (const undo of restore) undo();
    const flushes = 2 * (elapsed / FLUSH_MS + 2);
    const writes = commands.filter(([command]) => /^(evalsha|eval)$/i.test(command!));
    console.log(`stats: ${writes.length} flush calls for 200 readers in ${elapsed} ms (at most ${Math.round(flushes)} flushes)`);
    // Only flushes wrote (the route's reads are HGETALL and GET) …
    expect(commands.filter(([command]) => !/^(evalsha|eval|hgetall|get)$/i.test(command!))).toEqual([]);
    // … at most one per process per flush, far fewer than the 400 reader events.
    expect(writes.length).toBeLessThanOrEqual(flushes);
    expect(writes.length).toBeLessThan(100);
  });

  it('keep no socket id, address or page of a reader, only counts and origins', async () => {
    const blog = await createBlog(a.url, 'private');
    const sockets = [
      await visit(a.url, blog.id, { origin: 'https://news.example' }),
      await visit(b.url, blog.id, { referer: `${b.url}/embed/${blog.id}`, site: 'https://host.example/story/123?user=alice#top' }),
    ];
    await statsWhen(a, blog.id, (f) => f.readersNow === 2, 'two readers');
    const keys = await keysUnder(cleaner.redis, `${prefix}blog:{${blog.id}}:stats`);
    expect(keys.length).toBeGreaterThan(0);
    let contents = '';
    for (const key of keys) {
      const type = await cleaner.redis.type(key);
      contents +=
        type === 'hash' ? JSON.stringify(await cleaner.redis.hgetall(key)) : (await cleaner.redis.getBuffer(key))!.toString('latin1');
    }
    expect(contents).toContain('https://host.example');
    for (const secret of [...sockets.map((socket) => socket.id!), '127.0.0.1', 'story', 'alice', 'user=', '/embed/'])
      expect(contents).not.toContain(secret);
  });

  it('count the first 50 sites of a blog and the rest as other', async () => {
    const blog = await createBlog(a.url, 'many-sites');
    await Promise.all(Array.from({ length: 55 }, (_, i) => visit(a.url, blog.id, { origin: `https://site${i}.example` })));
    const figures = await statsWhen(a, blog.id, (f) => f.readersNow === 55, '55 readers');
    expect(figures.embeds).toHaveLength(51);
    expect(figures.embeds.at(-1)).toEqual({ origin: 'other', readers: 5 });
  });

  it('keep the largest 50 sites, not the first seen: fifty made-up origins do not hide the real one', async () => {
    const blog = await createBlog(a.url, 'crowded-sites');
    await Promise.all(Array.from({ length: 50 }, (_, i) => visit(a.url, blog.id, { origin: `https://junk${i}.example` })));
    await Promise.all(Array.from({ length: 10 }, () => visit(a.url, blog.id, { origin: 'https://real-newspaper.example' })));
    const figures = await statsWhen(a, blog.id, (f) => f.readersNow === 60, '60 readers');
    expect(figures.embeds[0]).toEqual({ origin: 'https://real-newspaper.example', readers: 10 });
    expect(figures.embeds).toHaveLength(51);
    expect(figures.embeds.at(-1)).toEqual({ origin: 'other', readers: 1 });
  });

  it('forget a process that stops at once: its readers, reconnecting elsewhere, are not counted twice nor as a peak', async () => {
    const leaving = await startServer({ prefix, reach: { statsFlushMs: FLUSH_MS } });
    const blog = await createBlog(a.url, 'rolling-deploy');
    const crowd = await Promise.all(Array.from({ length: 6 }, () => visit(leaving.url, blog.id)));
    await statsWhen(a, blog.id, (f) => f.readersNow === 6, 'six readers on the process about to stop');
    await leaving.stop();
    // Counted at once as gone, well before the entry would have aged out (STALE_FLUSHES flushes and a second).
    const gone = await stats(a, blog.id);
    expect(gone.readersNow).toBe(0);
    for (const socket of crowd) socket.disconnect();
    await Promise.all(Array.from({ length: 6 }, () => visit(b.url, blog.id)));
    const after = await statsWhen(a, blog.id, (f) => f.readersNow === 6, 'the six back on another process');
    expect(after.peakReaders).toBe(6);
    expect(Math.max(...after.series.map((point) => point.readers))).toBe(6);
  });
});

describe('GET /api/blogs/:blogId/stats', () => {
  it('answers the blog’s editors only: 401 anonymous, 403 a contributor or another blog’s editor, 404 an unknown blog', async () => {
    const blog = await createBlog(a.url, 'guarded');
    await createBlog(a.url, 'elsewhere');
    const path = `/api/blogs/${blog.id}/stats`;
    expect((await request(a.url, 'GET', path, { token: null })).status).toBe(401);
    const contributor = await person(a.url, 'Taras', 'contributor', [blog.id]);
    expect((await contributor.call('GET', path)).status).toBe(403);
    const other = await editorToken(a.url, 'Other desk', ['elsewhere']);
    expect((await request(a.url, 'GET', path, { token: other.token })).status).toBe(403);
    const editor = await person(a.url, 'Olena', 'editor', [blog.id]);
    const answer = await editor.call<BlogStats>('GET', path);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toEqual({
      readersNow: 0,
      peakReaders: 0,
      peakAt: null,
      series: [],
      stepMinutes: 1,
      embeds: [],
      subscribers: 0,
      pushesSent: 0,
    });
    expect((await request(a.url, 'GET', '/api/blogs/no-such-blog/stats')).status).toBe(404);
    const bad = await request(a.url, 'GET', `${path}?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid');
    const backwards = await request(a.url, 'GET', `${path}?since=2025-01-11T18:00:00Z&until=2025-01-11T17:00:00Z`);
    expect(backwards.status).toBe(400);
    expect(JSON.stringify(backwards.body.error)).toMatch(/until.*must not be before since/);
  });

  it('answers a year-long blog in a point a day, its peak kept, and any stretch asked for minute by minute', async () => {
    const blog = await createBlog(a.url, 'a-year-long');
    // A year of figures, written as a process writes them (its flush script), by one whose clock is set.
    const redis = new Redis(TEST_REDIS_URL);
    let clock = 0;
    const writer = new RedisFigures(
      { client: redis, writer: redis, prefix } as unknown as SharedRedis,
      'a-year-ago',
      FLUSH_MS,
      () => clock,
    );
    const flushAt = async (at: number, readers: number | null) => {
      clock = at;
      await writer.flush(blog.id, readers === null ? null : { readers, sites: { self: readers } });
    };
    const iso = (ms: number) => new Date(ms).toISOString();
    try {
      const dayOf = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS;
      const start = dayOf(Date.now() - 365 * DAY_MS) + 8 * 60 * MINUTE_MS; // 08:00 UTC a year ago
      const spike = dayOf(start) + 200 * DAY_MS + 13 * 60 * MINUTE_MS; // 13:00 UTC 200 days later
      await flushAt(start, 3);
      await flushAt(spike - MINUTE_MS, 40);
      await flushAt(spike, 900);
      await flushAt(spike + MINUTE_MS, 12);
      const recent = minuteOf(Date.now()) - 60 * MINUTE_MS;
      await flushAt(recent, 5);
      await flushAt(recent, null); // gone, as a stopped process's entry is

      const year = await stats(a, blog.id);
      expect(year).toMatchObject({ stepMinutes: 1_440, peakReaders: 900, peakAt: iso(spike), readersNow: 0 });
      expect(year.series.length).toBeLessThanOrEqual(1_440);
      expect(year.series).toEqual([
        { at: iso(dayOf(start)), readers: 3 },
        { at: iso(dayOf(spike)), readers: 900 },
        { at: iso(dayOf(recent)), readers: 5 },
      ]);

      const week = await stats(a, blog.id, `?since=${iso(spike - 3 * DAY_MS)}&until=${iso(spike + 3 * DAY_MS)}`);
      expect(week.stepMinutes).toBe(15);
      expect(week.series).toEqual([
        { at: iso(spike - 15 * MINUTE_MS), readers: 40 },
        { at: iso(spike), readers: 900 },
      ]);

      const hour = await stats(a, blog.id, `?since=${iso(spike - 30 * MINUTE_MS)}&until=${iso(spike + 30 * MINUTE_MS)}`);
      expect(hour.stepMinutes).toBe(1);
      expect(hour.series).toEqual([
        { at: iso(spike - MINUTE_MS), readers: 40 },
        { at: iso(spike), readers: 900 },
        { at: iso(spike + MINUTE_MS), readers: 12 },
      ]);
    } finally {
      redis.disconnect();
    }
  });

  it('works on the in-process store, with this process’s figures kept in memory', async () => {
    const solo = await startServer({ prefix: testPrefix('stats-memory'), store: 'memory', reach: { statsFlushMs: FLUSH_MS } });
    const sockets: Visitor[] = [];
    try {
      const blog = await createBlog(solo.url, 'alone');
      sockets.push(...(await Promise.all([visit(solo.url, blog.id), visit(solo.url, blog.id, { origin: 'https://news.example' })])));
      const figures = await statsWhen(solo, blog.id, (f) => f.readersNow === 2, 'two readers in memory');
      expect(figures).toMatchObject({
        peakReaders: 2,
        embeds: [
          { origin: 'https://news.example', readers: 1 },
          { origin: 'self', readers: 1 },
        ],
      });
      expect(figures.series.at(-1)?.readers).toBe(2);
      sockets[0]!.disconnect();
      expect(await statsWhen(solo, blog.id, (f) => f.readersNow === 1, 'one reader left')).toMatchObject({ peakReaders: 2 });
    } finally {
      for (const socket of sockets) socket.disconnect();
      await solo.stop();
    }
  });
});
