/**
 * What a reader downloads: every script, stylesheet, page, feed and JSON answer is sent compressed to a
 * client that takes brotli or gzip, and whole to one that takes neither. Raw HTTP (node:http), so that
 * the bytes on the wire are what is measured, not what a client decompressed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { PUBLIC_DIR } from '../../server/assets';
import { createBlog, publish } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('compression');
const cleaner = prefixCleaner(prefix);
let server: TestServer;

interface Raw {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** The bytes as they came over the wire. */
  wire: Buffer;
  /** The same, decoded. */
  body: Buffer;
}

function get(pathname: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    http
      .get(`${server.url}${pathname}`, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const wire = Buffer.concat(chunks);
          const encoding = res.headers['content-encoding'];
          const body = encoding === 'br' ? brotliDecompressSync(wire) : encoding === 'gzip' ? gunzipSync(wire) : wire;
          resolve({ status: res.statusCode!, headers: res.headers, wire, body });
        });
      })
      .on('error', reject);
  });
}

beforeAll(async () => {
  server = await startServer({ prefix });
  await createBlog(server.url, 'squeezed', 'A blog worth compressing');
  for (let i = 0; i < 30; i++)
    await publish(server.url, 'squeezed', { body: `Update ${i}: troops crossed the border near the town, officials said.` });
});

afterAll(async () => {
  await server?.stop();
  await cleaner.cleanup();
});

describe('compressed answers', () => {
  it('sends the widget and the bundles as the build compressed them, by what the client accepts', async () => {
    const reader = (await get('/blogs/squeezed')).body.toString().match(/\/assets\/reader\.js\?v=[0-9a-f]+/)![0];
    for (const [pathname, file] of [
      ['/embed.js', 'embed.js'],
      [reader, 'reader.js'],
    ]) {
      const whole = readFileSync(path.join(PUBLIC_DIR, file));
      const br = await get(pathname, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers.vary).toMatch(/Accept-Encoding/i);
      expect(br.wire.equals(readFileSync(path.join(PUBLIC_DIR, `${file}.br`)))).toBe(true);
      expect(br.body.equals(whole)).toBe(true);
      const gzip = await get(pathname, { 'accept-encoding': 'gzip' });
      expect(gzip.headers['content-encoding']).toBe('gzip');
      expect(gzip.body.equals(whole)).toBe(true);
      const plain = await get(pathname, { 'accept-encoding': 'identity' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.wire.equals(whole)).toBe(true);
      // what the README quotes: a fifth of the bytes, or less
      expect(br.wire.length).toBeLessThan(whole.length / 3);
    }
    expect((await get('/embed.js')).headers['cache-control']).toBe('public, max-age=300');
    expect((await get(reader)).headers['cache-control']).toContain('immutable');
  });

  it('compresses cached pages once per encoding, each with its own ETag, and answers 304 to each', async () => {
    const plain = await get('/blogs/squeezed');
    const br = await get('/blogs/squeezed', { 'accept-encoding': 'br' });
    const gzip = await get('/blogs/squeezed', { 'accept-encoding': 'gzip' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(br.headers['content-encoding']).toBe('br');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(br.body.equals(plain.body)).toBe(true);
    expect(gzip.body.equals(plain.body)).toBe(true);
    expect(br.wire.length).toBeLessThan(plain.wire.length / 3);
    expect(new Set([plain.headers.etag, br.headers.etag, gzip.headers.etag]).size).toBe(3);
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect((await get('/blogs/squeezed', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag! })).status).toBe(304);
    // the ETag of one encoding does not validate another
    expect((await get('/blogs/squeezed', { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag! })).status).toBe(200);
  });

  it('compresses every page, feed and JSON answer, small ones too, and sends them whole to a client that takes neither', async () => {
    for (const pathname of [
      '/blogs/squeezed/feed.atom',
      '/api/blogs/squeezed/view',
      '/api/blogs/squeezed/updates?limit=30',
      '/embed/squeezed',
      '/',
      '/api/blogs',
      '/api/blogs/squeezed',
      '/api/blogs/no-such-blog',
      '/blogs/no-such-blog',
    ]) {
      for (const [accept, encoding] of [
        ['gzip, deflate, br', 'br'],
        ['gzip', 'gzip'],
        ['identity', undefined],
      ] as const) {
        const answer = await get(pathname, { 'accept-encoding': accept });
        expect({ pathname, accept, encoding: answer.headers['content-encoding'] }).toEqual({ pathname, accept, encoding });
        expect(answer.headers.vary).toMatch(/Accept-Encoding/i);
        expect(answer.body.length).toBeGreaterThan(0);
      }
    }
  });
});
