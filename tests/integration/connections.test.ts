/**
 * What one client may hold open: a cap on concurrent connections per address, and timeouts for
 * requests that trickle in (headers, or a body that never ends), refused or closed in bounded time; a
 * picture's upload gets longer once its sender is authorised, and only then.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { TEMP_PREFIX } from '../../server/http/media';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { richJpeg } from '../helpers/pictures';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('connections');
const cleaner = prefixCleaner(prefix);
const CAP = 20;
const REQUEST_TIMEOUT_MS = 2_000;
const UPLOAD_TIMEOUT_MS = 5_000;
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    prefix,
    // Loopback is not a trusted proxy here, so the test's own connections are capped like a client's.
    trustProxy: '10.0.0.0/8',
    ipMaxConnections: CAP,
    connectionLimits: { headersTimeoutMs: 1_000, requestTimeoutMs: REQUEST_TIMEOUT_MS, uploadTimeoutMs: UPLOAD_TIMEOUT_MS },
  });
  // On a connection of its own, closed after (a keep-alive one would count against the cap).
  await new Promise<void>((resolve, reject) => {
    const req = http.request(`${server.url}/api/blogs`, {
      method: 'POST',
      agent: false,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', connection: 'close' },
    });
    req.on('response', (res) => (res.statusCode === 201 ? resolve() : reject(new Error(`create blog: ${res.statusCode}`))));
    req.on('error', reject);
    req.end(JSON.stringify({ id: 'slow-uplink', title: 'Slow uplink' }));
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

describe('a picture’s upload over a slow uplink', () => {
  const BOUNDARY = 'slowuplinkboundary';
  let picture: Buffer;
  let body: Buffer;

  beforeAll(async () => {
    picture = await richJpeg(480, 360);
    body = Buffer.concat([
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="alt"\r\n\r\nFrom the field\r\n` +
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
      ),
      picture,
      Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
    ]);
  });

  /** Temporary upload files this process (the app runs in the test's process) has. */
  const temps = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith(`${TEMP_PREFIX}${process.pid}-`));

  /** Starts an upload by hand on a raw connection: its headers, then the body as `send` decides. */
  async function startUpload(authorised: boolean) {
    const h = await openSocket();
    h.socket.write(
      `POST /api/blogs/slow-uplink/media HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n` +
        (authorised ? `Authorization: Bearer ${ADMIN_TOKEN}\r\n` : '') +
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    return h;
  }

  /** Sends `bytes` of the body in 40 pieces over `ms`. */
  async function trickle(h: Awaited<ReturnType<typeof openSocket>>, bytes: Buffer, ms: number) {
    const pieces = 40;
    const size = Math.ceil(bytes.length / pieces);
    for (let i = 0; i < pieces && !h.closed(); i++) {
      h.socket.write(bytes.subarray(i * size, (i + 1) * size));
      await new Promise((resolve) => setTimeout(resolve, ms / pieces));
    }
  }

  it('an authorised one trickled in for longer than the request timeout is stored (201)', async () => {
    const started = Date.now();
    const h = await startUpload(true);
    try {
      await trickle(h, body, REQUEST_TIMEOUT_MS + 1_500);
      // The picture is processed once it is all there (AVIF encoding is slow on a loaded machine).
      await waitFor(() => h.closed(), 'the answer', 15_000);
    } finally {
      h.socket.destroy();
    }
    expect(h.received()).toMatch(/^HTTP\/1\.1 201 /);
    expect(Date.now() - started).toBeGreaterThan(REQUEST_TIMEOUT_MS + 1_000);
    const answer = JSON.parse(h.received().slice(h.received().indexOf('\r\n\r\n') + 4)) as { id: string; alt: string };
    expect(answer.alt).toBe('From the field');
    expect((await fetch(`${server.url}/media/slow-uplink/${answer.id}`, { redirect: 'manual' })).status).toBe(302);
  });

  it('an unauthorised one is answered 401 and closed within the request timeout, never given the upload’s', async () => {
    const started = Date.now();
    const h = await startUpload(false);
    const sending = trickle(h, body, UPLOAD_TIMEOUT_MS);
    try {
      await waitFor(() => h.closed(), 'the server to close the connection', UPLOAD_TIMEOUT_MS);
    } finally {
      h.socket.destroy();
      await sending;
    }
    expect(Date.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
    expect(h.received()).toMatch(/^HTTP\/1\.1 401 /);
  });

  it('an authorised one that stalls is closed at the upload timeout with a 408 in the contract’s shape, leaving no temporary file', async () => {
    const started = Date.now();
    const h = await startUpload(true);
    try {
      h.socket.write(body.subarray(0, body.length >> 1));
      await waitFor(async () => (await temps()).length > 0, 'the upload under way');
      await waitFor(() => h.closed(), 'the server to close the connection', UPLOAD_TIMEOUT_MS + 3_000);
    } finally {
      h.socket.destroy();
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(UPLOAD_TIMEOUT_MS - 500);
    expect(elapsed).toBeLessThan(UPLOAD_TIMEOUT_MS + 2_500);
    const received = h.received();
    expect(received).toMatch(/^HTTP\/1\.1 408 /);
    expect(received).toMatch(/\r\ncontent-type: application\/json/i);
    expect(JSON.parse(received.slice(received.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'request_timeout', message: expect.any(String) },
    });
    await waitFor(async () => (await temps()).length === 0, 'the temporary file removed');
    const records = (await server.media.list('slow-uplink/')).filter((key) => key.endsWith('meta.json'));
    // The first test's picture only.
    expect(records).toHaveLength(1);
  }, 15_000);
});
