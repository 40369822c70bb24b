/**
 * Pages for people, over HTTP: an unknown blog is an HTML 404 page with a way back (never raw JSON),
 * the favicon is served, the no-script older page leads back to the latest.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-pages');
const cleaner = prefixCleaner(prefix);
let server: TestServer;

beforeAll(async () => {
  server = await startServer({ prefix });
});

afterAll(async () => {
  await server?.stop();
  await cleaner.cleanup();
});

describe('a mistyped address', () => {
  it.each([
    '/blogs/no-such-blog',
    '/blogs/Not_A_Valid_Id',
    '/blogs/no-such-blog/extra',
    '/embed/no-such-blog',
    '/blogs/no-such-blog/feed.atom',
  ])('%s is an HTML 404 page with a way back', async (path) => {
    const response = await request<string>(server.url, 'GET', path, { token: null, headers: { accept: 'text/html' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.body).toMatch(/<h1[^>]*>[^<]*not found/i);
    expect(response.body).toMatch(/<a [^>]*href="\/"[^>]*>All live blogs<\/a>/);
    expect(response.body).not.toContain('"error"');
  });

  it('the iframe 404 page may be framed by other sites, like the iframe page', async () => {
    const response = await request<string>(server.url, 'GET', '/embed/no-such-blog', { token: null });
    expect(response.headers.get('content-security-policy')).toContain('frame-ancestors *');
  });

  it('the API still answers JSON', async () => {
    const response = await request(server.url, 'GET', '/api/blogs/no-such-blog', { token: null });
    expect(response.status).toBe(404);
    expect(response.body).toMatchObject({ error: { code: 'not_found' } });
  });
});

describe('other pages', () => {
  it('serves a favicon', async () => {
    const response = await fetch(`${server.url}/favicon.ico`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\//);
  });

  it('the no-script older page links back to the latest', async () => {
    await createBlog(server.url, 'paged');
    for (let i = 0; i < 25; i++) await publish(server.url, 'paged', { body: `Entry ${i}` });
    const first = await request<string>(server.url, 'GET', '/blogs/paged', { token: null });
    const older = /href="(\/blogs\/paged\?before=[^"]+)"/.exec(first.body)![1].replace(/&amp;/g, '&');
    const page = await request<string>(server.url, 'GET', older, { token: null });
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<a [^>]*href="\/blogs\/paged"[^>]*>[^<]*latest updates/i);
  });
});
