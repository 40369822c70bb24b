/**
 * Handshakes from anywhere, against the real entry point with embed origins set: every Origin — `null`
 * (sandboxed frames, file:// pages), garbage, huge — is answered at once, allowed or refused, and
 * leaves no socket open behind it.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdirSync } from 'node:fs';
import WebSocket from 'ws';
import { prefixCleaner } from '../helpers/app';
import { killAll, serviceEnv, startProcess, type ServerProcess } from '../helpers/process';
import { TEST_REDIS_URL, testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('handshakes');
const cleaner = prefixCleaner(prefix);
const EMBEDDER = 'https://news.example';
let server: ServerProcess;

const openDescriptors = (pid: number) => readdirSync(`/proc/${pid}/fd`).length;

beforeAll(async () => {
  server = await startProcess(serviceEnv(TEST_REDIS_URL, prefix, undefined, { LOG_LEVEL: 'error', LIVEBLOG_EMBED_ORIGINS: EMBEDDER }));
});

afterAll(async () => {
  server?.kill('SIGKILL');
  await server?.exit;
  killAll();
  await cleaner.cleanup();
});

/** A WebSocket handshake with this Origin: resolves with the HTTP status it was refused with, or 101. */
function webSocketHandshake(origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`, {
      origin,
      handshakeTimeout: 3_000,
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', (error) => reject(error));
  });
}

describe('handshakes with any Origin', () => {
  const hostile = ['null', 'garbage', 'https://evil.example', `https://${'x'.repeat(6_000)}.example`, 'http://[::1', 'file://', '%00'];

  it('are answered at once, refused unless allowed, and leak no descriptor', async () => {
    const pid = server.child.pid!;
    // Warm up (lazy modules, the first connections), then count.
    await webSocketHandshake(EMBEDDER);
    const before = openDescriptors(pid);
    for (let round = 0; round < 25; round++) {
      for (const origin of hostile) {
        const started = Date.now();
        // engine.io refuses every aborted WebSocket upgrade with 400 (and a polling request with 403).
        expect({ origin: origin.slice(0, 20), status: await webSocketHandshake(origin) }).toEqual({
          origin: origin.slice(0, 20),
          status: 400,
        });
        expect(Date.now() - started).toBeLessThan(1_000);
        const polling = await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
        expect(polling.status).toBe(403);
        await polling.text();
      }
    }
    expect(await webSocketHandshake(EMBEDDER)).toBe(101);
    // 350 refused handshakes later, the process holds what it held before (a few in flight may still close).
    await waitFor(() => openDescriptors(pid) <= before + 5, `descriptors back to about ${before} (now ${openDescriptors(pid)})`, 5_000);
  }, 60_000);

  it('vary public answers by Origin, allowed or not, so that a shared cache keeps them apart', async () => {
    const refused = await fetch(`${server.url}/api/blogs`, { headers: { origin: 'https://evil.example' } });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    expect(refused.headers.get('vary')).toMatch(/Origin/);
    const allowed = await fetch(`${server.url}/api/blogs`, { headers: { origin: EMBEDDER } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe(EMBEDDER);
    expect(allowed.headers.get('vary')).toMatch(/Origin/);
  });

  it('still stop within 5 s on SIGTERM afterwards', async () => {
    const started = Date.now();
    server.kill('SIGTERM');
    expect(await server.exit).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
