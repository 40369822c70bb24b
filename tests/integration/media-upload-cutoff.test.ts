/**
 * A multipart body that ends inside the file part (no closing boundary), sent whole: busboy errors the
 * file's stream, and unhandled, that error ended the process. Run against the real entry point in a
 * child process, where an uncaught error is fatal as in production: the sender gets a 400, the service
 * goes on, and nothing is stored.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createBlog } from '../helpers/api';
import { ADMIN_TOKEN } from '../helpers/app';
import { killAll, startProcess, type ServerProcess } from '../helpers/process';

let server: ServerProcess;
let mediaDir: string;

beforeAll(async () => {
  mediaDir = await mkdtemp(path.join(os.tmpdir(), 'liveblog-cutoff-'));
  server = await startProcess({ REDIS_URL: 'memory', LIVEBLOG_ADMIN_TOKEN: ADMIN_TOKEN, LIVEBLOG_DEMO: '0', LIVEBLOG_MEDIA_DIR: mediaDir });
  await createBlog(server.url, 'cutoff', 'Cut off');
});

afterAll(async () => {
  killAll();
  await rm(mediaDir, { recursive: true, force: true });
});

function post(body: Buffer, boundary: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${server.url}/api/blogs/cutoff/media`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${ADMIN_TOKEN}`,
          'content-type': `multipart/form-data; boundary=${boundary}`,
          'content-length': body.length,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += String(chunk)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

it('a form that ends inside its file gets 400, stores nothing, and the service keeps answering', async () => {
  const boundary = 'cutoffboundary';
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="alt"\r\n\r\nA picture\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n` +
      'x'.repeat(1000),
  );
  const answer = await post(body, boundary).catch((error: Error) => ({ status: 0, text: error.message }));
  expect(answer.status).toBe(400);
  expect(JSON.parse(answer.text).error.code).toBe('invalid');
  const health = await fetch(`${server.url}/healthz`).then(
    (response) => response.status,
    (error: Error) => error.message,
  );
  expect(health).toBe(200);
  expect(server.child.exitCode).toBeNull();
  expect(await readdir(mediaDir)).toEqual([]);
});
