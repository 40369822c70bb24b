/**
 * What one client may hold open: a cap on concurrent connections per address, and timeouts for
 * requests that trickle in (headers, or a body that never ends), refused or closed in bounded time.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import net from 'node:net';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('connections');
const cleaner = prefixCleaner(prefix);
const CAP = 20;
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    prefix,
    // Loopback is not a trusted proxy here, so the test's own connections are capped like a client's.
    trustProxy: '10.0.0.0/8',
    ipMaxConnections: CAP,
    connectionLimits: { headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 },
  });
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

/** A raw TCP connection that records when the server closed it. */
function openSocket(): Promise<{ socket: net.Socket; closed: () => boolean; received: () => string }> {
  return new Promise((resolve, reject) => {
    let closed = false;
    let received = '';
    const socket = net.connect(server.port, '127.0.0.1', () => resolve({ socket, closed: () => closed, received: () => received }));
    socket.on('data', (chunk) => (received += String(chunk)));
    socket.on('close', () => (closed = true));
    socket.on('error', () => undefined); // a reset by the server is what some tests expect
    socket.once('error', reject);
  });
}

/** GET /healthz on a fresh connection, with a deadline: 0 when refused or unanswered. */
function healthStatus(): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(`${server.url}/healthz`, { agent: false, timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

describe('connections from one address', () => {
  it('are capped: beyond the cap new ones are closed at once, and accepted again once some close', async () => {
    const held: Awaited<ReturnType<typeof openSocket>>[] = [];
    for (let i = 0; i < CAP + 5; i++) held.push(await openSocket());
    await waitFor(() => held.filter((h) => h.closed()).length >= 5, 'the connections beyond the cap to be closed', 2_000);
    expect(held.slice(0, CAP).every((h) => !h.closed())).toBe(true);
    for (const h of held) h.socket.destroy();
    await waitFor(async () => (await healthStatus()) === 200, 'a request to be accepted again', 3_000);
  });

  it('close a request whose headers trickle in, after the headers timeout', async () => {
    const started = Date.now();
    const h = await openSocket();
    h.socket.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    const trickle = setInterval(() => h.socket.write('a'), 100);
    try {
      await waitFor(() => h.closed() || h.received().includes('408'), 'the server to give up on the headers', 5_000);
    } finally {
      clearInterval(trickle);
      h.socket.destroy();
    }
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('close a request whose body never ends, after the request timeout, even one refused without reading it', async () => {
    for (const auth of ['Authorization: Bearer test-admin-token-0123456789abcdef\r\n', '']) {
      const started = Date.now();
      const h = await openSocket();
      h.socket.write(
        `POST /api/blogs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${auth}Content-Length: 100000\r\n\r\n{"id":`,
      );
      const trickle = setInterval(() => h.socket.write(' '), 100);
      try {
        await waitFor(() => h.closed(), 'the server to close the connection', 6_000);
      } finally {
        clearInterval(trickle);
        h.socket.destroy();
      }
      expect(Date.now() - started).toBeLessThan(5_000);
    }
  });
});
