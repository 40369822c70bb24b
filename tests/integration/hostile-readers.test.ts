/**
 * Readers that attack the process itself, against the real entry point: slow readers that never read
 * what they asked for, on a blog of long updates, must not grow the process's memory without bound,
 * and answers are bounded in bytes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';
import type { BlogEvent } from '../../shared/schemas';
import { LIMITS } from '../../shared/limits';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner } from '../helpers/app';
import { killAll, serviceEnv, startProcess, type ServerProcess } from '../helpers/process';
import { connectReader } from '../helpers/reader';
import { TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('hostile-readers');
const cleaner = prefixCleaner(prefix);
let server: ServerProcess;
let start: string;

/** The process's resident memory, in MB. */
function rssMB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  return kb / 1024;
}

beforeAll(async () => {
  server = await startProcess(serviceEnv(TEST_REDIS_URL, prefix, undefined, { LOG_LEVEL: 'error' }));
  const blog = await createBlog(server.url, 'big');
  start = blog.cursor;
  // 400 updates of 3,500 characters: a long, busy blog.
  const body = 'Paratroopers report heavy fighting near the border. '.repeat(70).slice(0, 3500);
  for (let i = 0; i < 400; i += 20)
    await Promise.all(Array.from({ length: 20 }, (_, j) => publish(server.url, 'big', { body: `${i + j}. ${body}` })));
}, 60_000);

afterAll(async () => {
  server?.kill('SIGKILL');
  await server?.exit;
  killAll();
  await cleaner.cleanup();
});

/** A Socket.IO client on the raw wire that asks for the whole blog again and again and never reads the answers. */
function slowReader(url: string, cursor: string): { close(): void } {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  let timer: ReturnType<typeof setInterval> | undefined;
  ws.on('error', () => undefined); // dropped by the server: expected
  ws.on('message', (data) => {
    if (String(data).startsWith('40')) {
      // Connected: from now on, read nothing (the kernel buffers fill, then the server's would).
      (ws as unknown as { _socket: { pause(): void } })._socket.pause();
      timer = setInterval(() => {
        if (ws.readyState === WebSocket.OPEN) ws.send(`42${JSON.stringify(['blog:subscribe', { blogId: 'big', cursor }])}`);
      }, 100);
    }
  });
  ws.on('open', () => ws.send('40'));
  return {
    close: () => {
      clearInterval(timer);
      ws.terminate();
    },
  };
}

describe('slow and hostile readers', () => {
  it('answer /events and catch-up in pieces of about 256 KB, however long the blog', async () => {
    const response = await fetch(`${server.url}/api/blogs/big/events?after=${encodeURIComponent(start)}`);
    const text = await response.text();
    const page = JSON.parse(text) as { events: BlogEvent[]; more?: boolean };
    expect(page.more).toBe(true);
    expect(text.length).toBeLessThan(LIMITS.catchUpBytes * 1.5);
    expect(page.events.length).toBeGreaterThan(10);
    const r = await connectReader(server.url);
    const ack = await r.subscribe('big', start);
    if (!ack.ok) throw new Error(ack.error.message);
    expect(ack.more).toBe(true);
    expect(JSON.stringify(ack).length).toBeLessThan(LIMITS.catchUpBytes * 1.5);
    r.close();
  });

  it('cannot grow the process by never reading: they are dropped, and readers are served meanwhile', async () => {
    const pid = server.child.pid!;
    const before = rssMB(pid);
    const attackers = Array.from({ length: 8 }, () => slowReader(server.url, start));
    let peak = before;
    const deadline = Date.now() + 10_000;
    const reader = await connectReader(server.url);
    expect((await reader.subscribe('big')).ok).toBe(true);
    while (Date.now() < deadline) {
      peak = Math.max(peak, rssMB(pid));
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // A legitimate reader is still served at once.
    const update = await publish(server.url, 'big', { body: 'still live' });
    await waitFor(() => reader.events.some((event) => event.update?.id === update.id), 'the update to reach the reader', 5_000);
    for (const attacker of attackers) attacker.close();
    reader.close();
    console.log(`slow readers: RSS ${before.toFixed(0)} MB before, peak ${peak.toFixed(0)} MB during 10 s of 8 never-reading readers`);
    // Measured growth: 62 MB before pictures (237ac34), 68–81 MB since (issue 14: to be found, filed as
    // work). Unbounded growth — the blog's 5000 events buffered for each of 8 readers — is far beyond.
    expect(peak - before).toBeLessThan(100);
    expect((await request(server.url, 'GET', '/healthz', { token: null })).status).toBe(200);
  }, 30_000);
});
