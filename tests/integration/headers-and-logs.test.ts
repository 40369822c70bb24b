/** Every page's security headers, and logs that never hold a secret. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createApp } from '../../server/app';
import { createLogger } from '../../server/logger';
import { redisStores } from '../../server/store/open';
import { parseRedisUrl } from '../../server/store/redis/connection';
import { createBlog, publish, request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner } from '../helpers/app';
import { TEST_REDIS_URL, testPrefix } from '../helpers/redis';

const prefix = testPrefix('headers');
const cleaner = prefixCleaner(prefix);
const logLines: string[] = [];
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  // The app's real logger, writing into memory, at the most talkative level.
  const logger = createLogger('trace', new Writable({ write: (chunk, _encoding, done) => (logLines.push(String(chunk)), done()) }));
  const stores = await redisStores(parseRedisUrl(TEST_REDIS_URL), logger, { prefix, historyLength: 100, minReplicas: 0 });
  const app = createApp(
    {
      adminToken: ADMIN_TOKEN,
      editorWritesPerMinute: 1000,
      embedOrigins: null,
      trustProxy: 'loopback',
      ipRequestsPerMinute: 100_000,
      ipConnectionsPerMinute: 100_000,
    },
    { stores, logger },
  );
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  close = async () => {
    await app.close();
    await stores.close();
  };
  await createBlog(url, 'headers');
  await publish(url, 'headers', { body: 'x' });
});

afterAll(async () => {
  await close();
  await cleaner.cleanup();
});

describe('security headers', () => {
  it.each(['/', '/blogs/headers', '/editor', '/embed/headers', '/blogs/headers/feed.atom', '/api/blogs/headers', '/no-such-page'])(
    '%s',
    async (path) => {
      const response = await request(url, 'GET', path, { token: null });
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("object-src 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('referrer-policy')).toBe('strict-origin-when-cross-origin');
      if (path === '/editor') expect(csp).toContain("frame-ancestors 'none'");
    },
  );

  it('pages carry no inline script (JSON-LD data aside)', async () => {
    for (const path of ['/', '/blogs/headers', '/editor', '/embed/headers']) {
      const html = (await request<string>(url, 'GET', path, { token: null })).body;
      const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((match) => match[1]);
      expect(inline.every((attributes) => attributes.includes('application/ld+json'))).toBe(true);
      expect(html).not.toMatch(/\son[a-z]+="/i);
    }
  });
});

describe('logs', () => {
  it('hold no token: not the admin’s, not an editor’s, not in a header, a body or a failed attempt', async () => {
    const created = await request<{ token: string }>(url, 'POST', '/api/tokens', { body: { name: 'Desk', blogs: ['*'] } });
    const editorToken = created.body.token;
    await request(url, 'POST', '/api/blogs/headers/updates', { token: editorToken, body: { body: 'by the editor' } });
    await request(url, 'POST', '/api/blogs/headers/updates', { token: `${editorToken}x`, body: { body: 'wrong token' } });
    await request(url, 'GET', '/api/tokens');
    await request(url, 'GET', '/api/me', { token: editorToken, headers: { cookie: 'session=secret-cookie' } });
    const output = logLines.join('');
    expect(logLines.length).toBeGreaterThan(5);
    expect(output).toContain('"authorization":"[redacted]"');
    for (const secret of [ADMIN_TOKEN, editorToken, 'secret-cookie']) expect(output).not.toContain(secret);
    // they are JSON, with context
    const line = JSON.parse(logLines.find((entry) => entry.includes('"url":"/api/blogs/headers/updates"'))!);
    expect(line).toMatchObject({ level: 30, service: 'liveblog', req: { method: 'POST' }, res: { statusCode: 201 } });
  });
});
