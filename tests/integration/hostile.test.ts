/**
 * A corpus of hostile and malformed input over HTTP and Socket.IO (tests/fixtures/hostile-requests.ts):
 * each gets the contract's status and error shape, nothing is stored, and the process stays up.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { HOSTILE_REQUESTS, HOSTILE_SUBSCRIBES } from '../fixtures/hostile-requests';
import { connectReader, type TestReader } from '../helpers/reader';
import { dataKeysUnder, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('hostile');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let updateId: string;
let before: Record<string, unknown>;

/** Every stored key and its content, but the counters that requests are meant to move. */
async function snapshot(redis: Redis): Promise<Record<string, unknown>> {
  const state: Record<string, unknown> = {};
  for (const key of await dataKeysUnder(redis, prefix)) {
    if (key.endsWith('socket.io')) continue;
    const type = await redis.type(key);
    state[key] =
      type === 'hash'
        ? await redis.hgetall(key)
        : type === 'zset'
          ? await redis.zrange(key, 0, -1)
          : type === 'stream'
            ? await redis.xlen(key)
            : type === 'string'
              ? await redis.get(key)
              : type;
  }
  return state;
}

beforeAll(async () => {
  server = await startServer({ prefix });
  await createBlog(server.url, 'target');
  updateId = (await publish(server.url, 'target', { body: 'the one update' })).id;
  before = await snapshot(cleaner.redis);
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

describe('hostile HTTP requests', () => {
  it.each(HOSTILE_REQUESTS.map((hostile) => [hostile.name, hostile] as const))('%s', async (_name, hostile) => {
    const path = hostile.path.replace('UPDATE', updateId);
    const response = await request(server.url, hostile.method, path, {
      token: hostile.token,
      headers: hostile.headers,
      ...(hostile.json !== undefined ? { body: hostile.json } : { rawBody: hostile.raw }),
    });
    expect({ status: response.status, code: response.body?.error?.code }).toEqual({ status: hostile.status, code: hostile.code });
    expect(typeof response.body.error.message).toBe('string');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  });

  it('stored nothing, and the process still answers', async () => {
    expect(await snapshot(cleaner.redis)).toEqual(before);
    expect((await request(server.url, 'GET', '/healthz', { token: null })).status).toBe(200);
    expect((await request(server.url, 'GET', '/api/blogs/target/updates', { token: null })).status).toBe(200);
  });
});

describe('hostile Socket.IO payloads', () => {
  let reader: TestReader;
  beforeAll(async () => {
    reader = await connectReader(server.url);
  });
  afterAll(() => reader.close());

  it.each(HOSTILE_SUBSCRIBES)('blog:subscribe with %s gets an error ack', async (_name, payload, code) => {
    const ack = await reader.socket.timeout(5_000).emitWithAck('blog:subscribe', payload as never);
    expect(ack).toMatchObject({ ok: false, error: { code, message: expect.any(String) } });
  });

  it('survives garbage without an ack, unknown events and bad unsubscribes, and still serves', async () => {
    const socket = reader.socket as unknown as { emit: (event: string, ...args: unknown[]) => void };
    socket.emit('blog:subscribe', { blogId: 'target' }); // no ack: joins, answers nothing
    socket.emit('blog:subscribe', 'garbage', 'not a function');
    socket.emit('blog:unsubscribe', null);
    socket.emit('blog:unsubscribe', { blogId: 12 });
    socket.emit('no-such-event', { anything: true });
    socket.emit('__proto__', {});
    const ack = await reader.subscribe('target');
    expect(ack).toMatchObject({ ok: true });
    expect(await snapshot(cleaner.redis)).toEqual(before);
  });

  it('closes a connection that sends a message over 16 KB, and nothing else', async () => {
    const big = io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
    await new Promise<void>((resolve) => big.once('connect', () => resolve()));
    const closed = new Promise<string>((resolve) => big.once('disconnect', (reason) => resolve(reason)));
    big.emit('blog:subscribe', { blogId: 'target', padding: 'x'.repeat(20_000) });
    expect(await closed).toBe('transport close');
    expect(await reader.subscribe('target')).toMatchObject({ ok: true });
  });

  it('limits each connection to 20 blogs at once', async () => {
    const many = await connectReader(server.url);
    for (let i = 0; i < 21; i++) await createBlog(server.url, `many-${i}`);
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await many.subscribe(`many-${i}`));
    expect(answers.slice(0, 20).every((answer) => answer.ok)).toBe(true);
    expect(answers[20]).toMatchObject({ ok: false, error: { code: 'invalid' } });
    many.close();
  });

  it('limits each connection’s event rate, answering rate_limited', async () => {
    const noisy = await connectReader(server.url);
    const answers = await Promise.all(Array.from({ length: 60 }, () => noisy.subscribe('target')));
    const limited = answers.filter((answer) => !answer.ok && answer.error.code === 'rate_limited');
    expect(limited.length).toBeGreaterThan(20);
    expect(answers.filter((answer) => answer.ok).length).toBeGreaterThanOrEqual(30);
    noisy.close();
  });
});

describe('per-address limits', () => {
  // Each case counts under a prefix of its own: the counters are per address and per wall-clock minute, and
  // the other cases' requests from 127.0.0.1 in the same minute would count too, once a flush (500 ms) reads
  // the shared total back (a whole-suite load stretches the cases past it).
  const own = (name: string) => `${prefix}${name}:`;

  it('answer 429 past the requests a minute of one address, in the contract’s shape', async () => {
    const limited = await startServer({ prefix: own('requests'), ipRequestsPerMinute: 16 });
    try {
      await createBlog(limited.url, 'target'); // the first of the 16
      const statuses = [];
      for (let i = 0; i < 20; i++) statuses.push((await request(limited.url, 'GET', '/api/blogs/target', { token: null })).status);
      expect(statuses.slice(0, 15).every((status) => status === 200)).toBe(true);
      const refused = await request(limited.url, 'GET', '/api/blogs/target', { token: null });
      expect(refused.status).toBe(429);
      expect(refused.body).toMatchObject({ error: { code: 'rate_limited' } });
      expect((await request(limited.url, 'GET', '/healthz', { token: null })).status).toBe(200);
    } finally {
      await limited.stop();
    }
  });

  it('refuse new connections past the connections a minute of one address, counted across processes', async () => {
    const first = await startServer({ prefix: own('connections'), ipConnectionsPerMinute: 4 });
    const second = await startServer({ prefix: own('connections'), ipConnectionsPerMinute: 4 });
    const connect = (url: string) =>
      new Promise<boolean>((resolve) => {
        const socket = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
        socket.once('connect', () => (socket.disconnect(), resolve(true)));
        socket.once('connect_error', () => (socket.disconnect(), resolve(false)));
      });
    try {
      expect([await connect(first.url), await connect(first.url), await connect(first.url)]).toEqual([true, true, true]);
      // Each process adds its count to the shared counter, and reads the total back, every 500 ms.
      await waitFor(async () => (await cleaner.redis.keys(`${own('connections')}rate:ip:connections:*`)).length > 0, 'the shared counter');
      expect(await connect(second.url)).toBe(true); // the 4th: allowed
      await new Promise((resolve) => setTimeout(resolve, 700));
      expect(await connect(second.url)).toBe(false); // the 5th, on the other process: refused
    } finally {
      await first.stop();
      await second.stop();
    }
  });
});
