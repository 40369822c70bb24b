/**
 * Uploads being received at once are bounded: a sender may have two in flight (each up to 20 MB in a
 * temporary file, for up to 10 minutes), and while the picture queue is full a new upload is refused
 * before a byte of its body is read — `503 busy`, `Retry-After`, the connection closed — so that nobody,
 * however authorised, can fill the disk or hold the slots.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, watch } from 'node:fs';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { TEMP_PREFIX, UPLOADS_IN_FLIGHT } from '../../server/http/media';
import { createBlog } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { uploadPicture } from '../helpers/media';
import { editorToken } from '../helpers/newsroom';
import { richJpeg } from '../helpers/pictures';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('media-in-flight');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let busyServer: TestServer;

beforeAll(async () => {
  server = await startServer({ prefix });
  busyServer = await startServer({ prefix: `${prefix}-busy`, pictureProcessor: { concurrency: 1, maxWaiting: 0 } });
  await createBlog(server.url, 'flight');
  await createBlog(busyServer.url, 'flight');
});

afterAll(async () => {
  await server.stop();
  await busyServer.stop();
  await cleaner.cleanup();
});

/** This process's temporary upload files (the apps run in the test's process). */
const temps = async () => (await readdir(os.tmpdir())).filter((name) => name.startsWith(`${TEMP_PREFIX}${process.pid}-`));

/**
 * An upload whose body stops after the start of its file: the socket, and what came back on it. The
 * form promises a 1 MB file and sends 1 KB of it.
 */
function heldUpload(url: string, token: string): Promise<{ socket: net.Socket; received: () => string }> {
  const { port } = new URL(url);
  const boundary = 'heldboundary';
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="alt"\r\n\r\nA picture\r\n` +
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`;
  const length = head.length + 1_000_000;
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = net.connect(Number(port), '127.0.0.1', () => {
      socket.write(
        `POST /api/blogs/flight/media HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${length}\r\n\r\n${head}${'x'.repeat(1_000)}`,
      );
      resolve({ socket, received: () => received });
    });
    socket.on('data', (chunk) => (received += String(chunk)));
    socket.on('error', () => undefined); // the server closing a refused one is expected
    socket.once('error', reject);
  });
}

describe('uploads in flight', () => {
  it(`are at most ${UPLOADS_IN_FLIGHT.perSender} from one sender: one more is 503 busy at once; another sender still uploads`, async () => {
    const held = [await heldUpload(server.url, ADMIN_TOKEN), await heldUpload(server.url, ADMIN_TOKEN)];
    try {
      await waitFor(async () => (await temps()).length === 2, 'both held uploads to be receiving');
      const third = await uploadPicture(server.url, 'flight', await richJpeg(320, 240));
      expect(third.status).toBe(503);
      expect(third.body.error.code).toBe('busy');
      expect(third.headers.get('retry-after')).toBe('5');
      const other = await editorToken(server.url, 'Other sender', ['flight']);
      expect((await uploadPicture(server.url, 'flight', await richJpeg(320, 240), { token: other.token })).status).toBe(201);
    } finally {
      for (const { socket } of held) socket.destroy();
    }
    await waitFor(async () => (await temps()).length === 0, 'the held uploads to be dropped');
    expect((await uploadPicture(server.url, 'flight', await richJpeg(320, 240))).status).toBe(201);
  });

  it('while the queue is full, are refused before their body is read, and the connection closed', async () => {
    // A large picture keeps the one slot busy for a while; no one may wait (maxWaiting 0).
    // Its temporary file is removed once read, just before processing starts: watched for, not polled
    // (it lives a few milliseconds).
    const processing = new Promise<void>((resolve) => {
      const watcher = watch(os.tmpdir(), (_event, name) => {
        if (!name?.startsWith(`${TEMP_PREFIX}${process.pid}-`) || existsSync(path.join(os.tmpdir(), name))) return;
        watcher.close();
        resolve();
      });
    });
    const first = uploadPicture(busyServer.url, 'flight', await richJpeg(4000, 3000));
    await processing;
    const held = await heldUpload(busyServer.url, ADMIN_TOKEN);
    try {
      await waitFor(() => held.received().startsWith('HTTP/1.1 503'), 'a 503 before the rest of the body', 1_000);
      expect(held.received()).toMatch(/retry-after: 5/i);
      expect(held.received()).toMatch(/connection: close/i);
      expect(held.received()).toContain('"busy"');
    } finally {
      held.socket.destroy();
    }
    expect((await first).status).toBe(201);
  });
});
