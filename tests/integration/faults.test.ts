/**
 * Faults, with the real entry point as separate processes and a Redis of the test's own (with an
 * append-only file, as production should run it): Redis going away and coming back, a process killed
 * with SIGKILL mid-stream, SIGTERM with a request in flight, history flushed under a reader.
 * Readers here are the browser client's own LiveFeed, over the real socket.io-client.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { Redis } from 'ioredis';
import { io } from 'socket.io-client';
import { LiveFeed, type ClientSocket } from '../../client/lib/live-feed';
import type { BlogEvent, UpdatePage } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { ADMIN_TOKEN } from '../helpers/app';
import { killAll, startProcess, type ServerProcess } from '../helpers/process';
import { startRedisServer, type RedisServer } from '../helpers/redis-server';
import { waitFor } from '../helpers/wait';

const redises: RedisServer[] = [];
const sockets: ClientSocket[] = [];

afterAll(async () => {
  for (const socket of sockets) socket.disconnect();
  killAll();
  for (const redis of redises) await redis.stop();
});

async function ownRedis(): Promise<RedisServer> {
  const redis = await startRedisServer({ persistent: true });
  redises.push(redis);
  return redis;
}

function serve(redis: RedisServer, port?: number): Promise<ServerProcess> {
  return startProcess({ REDIS_URL: redis.url, LIVEBLOG_ADMIN_TOKEN: ADMIN_TOKEN, LIVEBLOG_DEMO: '0', LOG_LEVEL: 'warn' }, { port });
}

/** A reader as the browser has it: the LiveFeed, resubscribing with its cursor on every reconnect. */
function follow(url: string, blogId: string, cursor: string): { socket: ClientSocket; events: BlogEvent[]; disconnects: string[] } {
  const socket: ClientSocket = io(url, { transports: ['websocket'], reconnectionDelay: 100, reconnectionDelayMax: 500 });
  sockets.push(socket);
  const events: BlogEvent[] = [];
  const disconnects: string[] = [];
  socket.on('disconnect', (reason) => disconnects.push(reason));
  new LiveFeed(socket, blogId, cursor, { onEvents: (batch) => events.push(...batch) });
  return { socket, events, disconnects };
}

describe('Redis going away', () => {
  it('answers writes 503 within 2 s, keeps serving cached pages and readers, and recovers by itself', async () => {
    const redis = await ownRedis();
    const server = await serve(redis);
    const blog = await createBlog(server.url, 'outage');
    const acknowledged = [
      await publish(server.url, blog.id, { body: 'before the outage 1' }),
      await publish(server.url, blog.id, { body: 'before the outage 2' }),
    ];
    expect(acknowledged.map((update) => update.body)).toEqual(['before the outage 1', 'before the outage 2']);
    expect((await request(server.url, 'GET', `/blogs/${blog.id}`, { token: null })).status).toBe(200);
    const reader = follow(
      server.url,
      blog.id,
      (await request<{ cursor: string }>(server.url, 'GET', `/api/blogs/${blog.id}`, { token: null })).body.cursor,
    );
    await waitFor(() => reader.socket.connected, 'the reader to connect');

    await redis.kill();
    const started = Date.now();
    const refused = await request(server.url, 'POST', `/api/blogs/${blog.id}/updates`, { body: { body: 'during the outage' } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(refused.status).toBe(503);
    expect(refused.body).toMatchObject({ error: { code: 'store_unavailable', message: expect.any(String) } });
    const page = await request<string>(server.url, 'GET', `/blogs/${blog.id}`, { token: null });
    expect(page.status).toBe(200);
    expect(page.body).toContain('before the outage 2');
    expect((await request(server.url, 'GET', '/readyz', { token: null })).status).toBe(503);
    expect((await request(server.url, 'GET', '/healthz', { token: null })).status).toBe(200);

    await redis.restart();
    await waitFor(
      async () => (await request(server.url, 'GET', '/readyz', { token: null })).status === 200,
      'readiness after Redis returns',
      10_000,
    );
    const after = await publish(server.url, blog.id, { body: 'after the outage' });
    await waitFor(
      () => reader.events.some((event) => event.update?.id === after.id),
      'the reader to get the update published after the outage',
    );
    expect(reader.disconnects).toEqual([]);
    const stored = await request<UpdatePage>(server.url, 'GET', `/api/blogs/${blog.id}/updates`, { token: null });
    expect(stored.body.updates.map((update) => update.body)).toEqual(['after the outage', 'before the outage 2', 'before the outage 1']);
    server.kill();
    expect(await server.exit).toBe(0);
  });
});

describe('a process killed with SIGKILL mid-stream', () => {
  it('loses nothing acknowledged; its readers come back and catch up exactly once, in order', async () => {
    const redis = await ownRedis();
    const [a, b] = [await serve(redis), await serve(redis)];
    const blog = await createBlog(b.url, 'killed');
    const { cursor } = (await request<{ cursor: string }>(b.url, 'GET', `/api/blogs/${blog.id}`, { token: null })).body;
    const reader = follow(a.url, blog.id, cursor);
    await waitFor(() => reader.socket.connected, 'the reader to connect');

    const published: string[] = [];
    let restarted: ServerProcess | null = null;
    for (let i = 0; i < 24; i++) {
      published.push((await publish(b.url, blog.id, { body: `entry ${i}` })).id);
      if (i === 8) a.kill('SIGKILL');
      if (i === 16) restarted = await serve(redis, a.port);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor(() => reader.events.length >= 24, `all 24 updates (got ${reader.events.length})`, 15_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(reader.events.map((event) => event.update?.id)).toEqual(published);
    expect(reader.disconnects.length).toBeGreaterThan(0);
    const stored = await request<UpdatePage>(b.url, 'GET', `/api/blogs/${blog.id}/updates?limit=100`, { token: null });
    expect(stored.body.updates).toHaveLength(24);
    restarted?.kill();
    b.kill();
  });
});

describe('SIGTERM', () => {
  it('finishes the request in flight, lets readers go, and exits 0 within 5 s', async () => {
    const redis = await ownRedis();
    const server = await serve(redis);
    const blog = await createBlog(server.url, 'draining');
    const reader = follow(
      server.url,
      blog.id,
      (await request<{ cursor: string }>(server.url, 'GET', `/api/blogs/${blog.id}`, { token: null })).body.cursor,
    );
    await waitFor(() => reader.socket.connected, 'the reader to connect');

    // A publish whose body is still arriving when the signal comes.
    const body = JSON.stringify({ body: 'sent across the shutdown' });
    let stoppedAt = 0;
    const response = new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.url}/api/blogs/${blog.id}/updates`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => {
        stoppedAt = Date.now();
        server.kill('SIGTERM');
        setTimeout(() => req.end(body.slice(10)), 300);
      }, 200);
    });
    expect(await response).toBe(201);
    expect(await server.exit).toBe(0);
    expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    expect(reader.disconnects.length).toBeGreaterThan(0);

    const again = await serve(redis);
    const stored = await request<UpdatePage>(again.url, 'GET', `/api/blogs/${blog.id}/updates`, { token: null });
    expect(stored.body.updates.map((update) => update.body)).toEqual(['sent across the shutdown']);
    again.kill();
  });
});

describe('history flushed beneath a reader', () => {
  it('answers cursor_expired, never a silent gap', async () => {
    const redis = await ownRedis();
    const server = await serve(redis);
    const blog = await createBlog(server.url, 'flushed');
    const { cursor } = (await request<{ cursor: string }>(server.url, 'GET', `/api/blogs/${blog.id}`, { token: null })).body;
    await publish(server.url, blog.id, { body: 'one' });
    await publish(server.url, blog.id, { body: 'two' });
    const client = new Redis(redis.url);
    await client.del(`lb:blog:{${blog.id}}:events`);
    client.disconnect();
    const socket = io(server.url, { transports: ['websocket'], forceNew: true });
    sockets.push(socket);
    const ack = await socket.timeout(5_000).emitWithAck('blog:subscribe', { blogId: blog.id, cursor });
    expect(ack).toMatchObject({ ok: false, error: { code: 'cursor_expired' } });
    expect((await request(server.url, 'GET', `/api/blogs/${blog.id}/events?after=${cursor}`, { token: null })).status).toBe(410);
    server.kill();
  });
});
