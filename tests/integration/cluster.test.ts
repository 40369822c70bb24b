/**
 * Two server processes (the real entry point, twice) on one real Redis act as one service: an update
 * published on either reaches readers on both, a reader that moves process catches up exactly, page
 * caches and reader counts hold across them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { io } from 'socket.io-client';
import type { ReaderCount } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner } from '../helpers/app';
import { killAll, startProcess, type ServerProcess } from '../helpers/process';
import { connectReader, type TestReader } from '../helpers/reader';
import { TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('cluster');
const cleaner = prefixCleaner(prefix);
let a: ServerProcess;
let b: ServerProcess;
const readers: TestReader[] = [];

beforeAll(async () => {
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    LIVEBLOG_REDIS_PREFIX: prefix,
    LIVEBLOG_ADMIN_TOKEN: ADMIN_TOKEN,
    LIVEBLOG_DEMO: '0',
    LOG_LEVEL: 'warn',
  };
  [a, b] = await Promise.all([startProcess(env), startProcess(env)]);
});

afterAll(async () => {
  for (const reader of readers) reader.close();
  a.kill();
  b.kill();
  await Promise.all([a.exit, b.exit]);
  killAll();
  await cleaner.cleanup();
});

async function reader(url: string): Promise<TestReader> {
  const r = await connectReader(url);
  readers.push(r);
  return r;
}

describe('two processes on one Redis', () => {
  it('deliver an update published on one to readers on both, once each, in order', async () => {
    const blog = await createBlog(a.url, 'across');
    const onA = await reader(a.url);
    const onB = await reader(b.url);
    await onA.subscribe(blog.id);
    await onB.subscribe(blog.id);
    const sent = [];
    for (let i = 0; i < 5; i++) sent.push(await publish(i % 2 ? b.url : a.url, blog.id, { body: `from ${i % 2 ? 'B' : 'A'} ${i}` }));
    for (const r of [onA, onB]) {
      const events = await r.waitForEvents(5);
      expect(events.map((e) => e.update?.id)).toEqual(sent.map((u) => u.id));
      await new Promise((resolve) => setTimeout(resolve, 200)); // room for a duplicate to show itself
      expect(r.events).toHaveLength(5);
    }
  });

  it('let a reader that moves process catch up exactly', async () => {
    const blog = await createBlog(a.url, 'moving');
    const first = await reader(a.url);
    await first.subscribe(blog.id);
    await publish(a.url, blog.id, { body: 'seen on A' });
    const [seen] = await first.waitForEvents(1);
    first.close();
    const missed = [];
    for (let i = 0; i < 4; i++) missed.push(await publish(i % 2 ? a.url : b.url, blog.id, { body: `missed ${i}` }));
    const moved = await reader(b.url);
    const ack = await moved.subscribe(blog.id, seen.cursor);
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.events.map((e) => e.update?.id)).toEqual(missed.map((u) => u.id));
    const live = await publish(a.url, blog.id, { body: 'live, published on A' });
    const [event] = await moved.waitForEvents(1);
    expect(event.update?.id).toBe(live.id);
    expect(event.prev).toBe(ack.cursor);
  });

  it('keep no stale page on the other process', async () => {
    const blog = await createBlog(a.url, 'cached-across');
    await publish(a.url, blog.id, { body: 'first version' });
    expect((await request<string>(b.url, 'GET', `/blogs/${blog.id}`, { token: null })).body).toContain('first version');
    await publish(a.url, blog.id, { body: 'second version' });
    await waitFor(
      async () => (await request<string>(b.url, 'GET', `/blogs/${blog.id}`, { token: null })).body.includes('second version'),
      'the page on B to show the update published on A',
      3_000,
    );
  });

  it('show a blog created on one in the other’s cached list of blogs', async () => {
    await request<string>(b.url, 'GET', '/', { token: null });
    await createBlog(a.url, 'new-on-a', 'Created on process A');
    await waitFor(
      async () => (await request<string>(b.url, 'GET', '/', { token: null })).body.includes('Created on process A'),
      'the index on B to list the blog created on A',
      3_000,
    );
  });

  it('count readers on every process for the blog’s editors', async () => {
    const blog = await createBlog(a.url, 'counted');
    const editor = io(a.url, { transports: ['websocket'], auth: { token: ADMIN_TOKEN }, forceNew: true });
    const counts: ReaderCount[] = [];
    editor.on('blog:readers', (count) => counts.push(count));
    await editor.timeout(5_000).emitWithAck('blog:subscribe', { blogId: blog.id });
    for (const url of [a.url, b.url, b.url]) await (await reader(url)).subscribe(blog.id);
    await waitFor(
      () => counts.at(-1)?.readers === 3,
      `a count of 3 across both processes (last: ${JSON.stringify(counts.at(-1))})`,
      10_000,
    );
    editor.disconnect();
  });

  it('refuse on one a token revoked on the other, at once', async () => {
    const created = await request<{ id: string; token: string }>(a.url, 'POST', '/api/tokens', { body: { name: 'Shift', blogs: ['*'] } });
    expect((await request(b.url, 'GET', '/api/me', { token: created.body.token })).status).toBe(200);
    expect((await request(a.url, 'DELETE', `/api/tokens/${created.body.id}`)).status).toBe(204);
    expect((await request(b.url, 'GET', '/api/me', { token: created.body.token })).status).toBe(401);
  });

  it('end a revoked token’s open connections at once, on the other process too', async () => {
    const blog = await createBlog(a.url, 'revoked-socket');
    const created = await request<{ id: string; token: string }>(a.url, 'POST', '/api/tokens', {
      body: { name: 'Night shift', blogs: [blog.id] },
    });
    const editor = io(b.url, { transports: ['websocket'], auth: { token: created.body.token }, forceNew: true, reconnection: false });
    const counts: ReaderCount[] = [];
    editor.on('blog:readers', (count) => counts.push(count));
    expect(await editor.timeout(5_000).emitWithAck('blog:subscribe', { blogId: blog.id })).toMatchObject({ ok: true });
    await waitFor(() => counts.length > 0, 'a reader count for the editor', 5_000);
    const disconnected = new Promise<string>((resolve) => editor.once('disconnect', (reason) => resolve(reason)));
    const revokedAt = Date.now();
    expect((await request(a.url, 'DELETE', `/api/tokens/${created.body.id}`)).status).toBe(204);
    expect(await disconnected).toBe('io server disconnect');
    expect(Date.now() - revokedAt).toBeLessThan(2_000);
    // And it cannot come back.
    const again = io(b.url, { transports: ['websocket'], auth: { token: created.body.token }, forceNew: true, reconnection: false });
    await expect(
      new Promise((resolve, reject) => (again.once('connect', () => resolve('connected')), again.once('connect_error', reject))),
    ).rejects.toThrow(/unknown or revoked/);
    again.close();
  });

  it('report their readers and events in /metrics, with the values they saw', async () => {
    // Series that merely exist prove nothing (a zero-valued one passes with the metric calls deleted):
    // each value is checked against what this test makes happen on process A.
    const blog = await createBlog(a.url, 'measured');
    const before = (await request<string>(a.url, 'GET', '/metrics', { token: null })).body;
    const watcher = await reader(a.url);
    const first = await watcher.subscribe(blog.id);
    if (!first.ok) throw new Error(first.error.message);
    for (let i = 0; i < 3; i++) await publish(a.url, blog.id, { body: `measured ${i}` });
    await watcher.waitForEvents(3);
    const catcher = await reader(a.url);
    await catcher.subscribe(blog.id, first.cursor);
    const after = (await request<string>(a.url, 'GET', '/metrics', { token: null })).body;
    const delta = (name: string) => metricValue(after, name) - metricValue(before, name);
    expect(delta('liveblog_events_published_total{type="update.created"}')).toBe(3);
    expect(delta('liveblog_publish_broadcast_seconds_count')).toBe(3);
    expect(delta('liveblog_catchup_events_count')).toBe(1);
    expect(delta('liveblog_catchup_events_sum')).toBe(3);
    expect(metricValue(after, `liveblog_readers{blog="${blog.id}"}`)).toBe(2);
    expect(metricValue(after, 'liveblog_connections')).toBeGreaterThanOrEqual(2);
    expect(after).toContain('liveblog_redis_errors_total');
    expect(metricValue(after, 'process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
  });
});

/** The value of one series in Prometheus text (0 when absent). */
function metricValue(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
