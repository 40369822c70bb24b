/**
 * What search engines, feed readers, CDNs and embedding sites get: the Atom feed (read by a real feed
 * parser), the JSON-LD, the social tags, the page cache with its ETag, and CORS.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import { SaxesParser } from 'saxes';
import { HOSTILE_MARKDOWN } from '../fixtures/xss-markdown';
import { parseFeed } from '@rowanmanning/feed-parser';
import { io } from 'socket.io-client';
import type { Update } from '../../shared/schemas';
import type { Timeline } from '../../server/store/timeline';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('readers');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let url: string;
const published: Update[] = [];

beforeAll(async () => {
  server = await startServer({ prefix });
  url = server.url;
  await request(url, 'POST', '/api/blogs', {
    body: { id: 'kursk', title: 'Kursk & the prisoners', description: 'Two soldiers <captured>' },
  });
  for (let i = 0; i < 55; i++) {
    published.push(
      await publish(url, 'kursk', {
        body: `Entry **${i}** & more`,
        title: i % 10 === 0 ? `Headline ${i}` : undefined,
        publishedAt: new Date(Date.UTC(2025, 0, 11, 8, i)).toISOString(),
        keyEvent: i === 50,
      }),
    );
  }
});

afterAll(async () => {
  await server.stop();
  await cleaner.cleanup();
});

describe('the Atom feed', () => {
  it('is valid Atom with the latest 50 updates, newest first', async () => {
    const response = await request<string>(url, 'GET', '/blogs/kursk/feed.atom', { token: null });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/atom\+xml/);
    const feed = parseFeed(response.body);
    expect(feed.meta.type).toBe('atom');
    expect(feed.title).toBe('Kursk & the prisoners');
    expect(feed.url).toBe(`${url}/blogs/kursk`);
    expect(feed.items).toHaveLength(50);
    const newest = published.at(-1)!;
    expect(feed.items[0].id).toBe(`${url}/blogs/kursk#update-${newest.id}`);
    expect(feed.items[0].content).toContain('Entry <strong>54</strong>');
    expect(feed.items[0].published?.toISOString()).toBe(newest.publishedAt);
    expect(feed.items.find((item) => item.title === 'Headline 50')).toBeDefined();
    const times = feed.items.map((item) => item.published!.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
  });

  it('answers 404 for an unknown blog', async () => {
    expect((await request(url, 'GET', '/blogs/nope/feed.atom', { token: null })).status).toBe(404);
  });

  it('stays well-formed XML, read by a strict parser, with hostile text in every field', async () => {
    const blog = await createBlog(url, 'hostile-feed', ']]><x>&amp; "quoted" \'single\' ☃ 🙂');
    await request(url, 'PATCH', `/api/blogs/${blog.id}`, { body: { description: '<!-- -->\n<![CDATA[ x ]]>\t&#0; &bogus;' } });
    // eslint-disable-next-line no-control-regex -- the control characters the API refuses
    const accepted = HOSTILE_MARKDOWN.filter((body) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(body)).slice(0, 40);
    for (const [i, body] of accepted.entries()) {
      await publish(url, blog.id, { body, title: `]]> <title> & ${i}`, author: '"><\u2028\u2029' });
    }
    // What XML forbids never gets in.
    for (const bad of ['\u0008', '\u000b', '\ufffe', '\uffff']) {
      expect((await request(url, 'POST', `/api/blogs/${blog.id}/updates`, { body: { body: `x${bad}y` } })).status).toBe(400);
      expect(
        (await request(url, 'POST', `/api/blogs/${blog.id}/updates`, { body: { body: 'x', title: `x${bad}y`, author: `x${bad}` } })).status,
      ).toBe(400);
      expect((await request(url, 'PATCH', `/api/blogs/${blog.id}`, { body: { description: `x${bad}y` } })).status).toBe(400);
    }
    const feed = await request<string>(url, 'GET', `/blogs/${blog.id}/feed.atom`, { token: null });
    const errors: string[] = [];
    const parser = new SaxesParser({ xmlns: true });
    let entries = 0;
    parser.on('error', (error) => errors.push(error.message));
    parser.on('opentag', (tag) => {
      if (tag.name === 'entry') entries += 1;
    });
    parser.write(feed.body).close();
    expect(errors).toEqual([]);
    expect(entries).toBe(accepted.length);
  });
});

describe('the reader’s page for search engines and sharing', () => {
  it('carries LiveBlogPosting JSON-LD, a canonical link and Open Graph and Twitter tags', async () => {
    const blog = await createBlog(url, 'structured', 'Structured story');
    const first = await publish(url, blog.id, { body: 'Plain text entry' });
    const second = await publish(url, blog.id, { body: 'Second', title: 'With a headline' });
    await request(url, 'PATCH', `/api/blogs/${blog.id}/updates/${first.id}`, { body: { body: 'Plain text entry, corrected' } });
    await request(url, 'PATCH', `/api/blogs/${blog.id}`, { body: { status: 'ended' } });
    const html = (await request<string>(url, 'GET', `/blogs/${blog.id}`, { token: null })).body;
    const json = /<script type="application\/ld\+json">(.*?)<\/script>/s.exec(html)![1];
    const data = JSON.parse(json);
    expect(data).toMatchObject({
      '@context': 'https://schema.org',
      '@type': 'LiveBlogPosting',
      headline: 'Structured story',
      url: `${url}/blogs/${blog.id}`,
      coverageStartTime: blog.createdAt,
      coverageEndTime: expect.any(String),
    });
    expect(data.liveBlogUpdate).toHaveLength(2);
    expect(data.liveBlogUpdate[0]).toMatchObject({
      '@type': 'BlogPosting',
      headline: 'With a headline',
      datePublished: second.publishedAt,
      dateModified: second.publishedAt,
    });
    expect(data.liveBlogUpdate[1]).toMatchObject({ articleBody: 'Plain text entry, corrected', datePublished: first.publishedAt });
    expect(Date.parse(data.liveBlogUpdate[1].dateModified)).toBeGreaterThan(Date.parse(first.publishedAt) - 1);
    expect(html).toContain(`<link rel="canonical" href="${url}/blogs/${blog.id}">`);
    expect(html).toContain('<meta property="og:title" content="Structured story">');
    expect(html).toContain('<meta name="twitter:card" content="summary">');
  });

  it('never lets an update close the JSON-LD script', async () => {
    const blog = await createBlog(url, 'breakout');
    await publish(url, blog.id, { body: '</script><script>alert(1)</script>', title: '</script><img src=x onerror=alert(1)>' });
    const html = (await request<string>(url, 'GET', `/blogs/${blog.id}`, { token: null })).body;
    const scripts = html.match(/<script[\s>]/g) ?? [];
    expect(scripts).toHaveLength(2); // the JSON-LD and the reader bundle
    expect(JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(html)![1]).liveBlogUpdate[0].headline).toBe(
      '</script><img src=x onerror=alert(1)>',
    );
  });
});

describe('the page cache', () => {
  /** Counts the reads that reach the store. */
  function countReads(timeline: Timeline): { reads: () => number; restore: () => void } {
    const original = timeline.listUpdates.bind(timeline);
    let reads = 0;
    timeline.listUpdates = (...args) => {
      reads += 1;
      return original(...args);
    };
    return { reads: () => reads, restore: () => (timeline.listUpdates = original) };
  }

  it('names itself from its settings, never from Host or X-Forwarded-Proto, and a flood of them costs one render', async () => {
    const blog = await createBlog(url, 'host-flood');
    await publish(url, blog.id, { body: 'first' });
    const counter = countReads(server.timeline);
    const rss = process.memoryUsage().rss;
    try {
      for (let i = 0; i < 400; i += 50) {
        const pages = await Promise.all(
          Array.from({ length: 50 }, (_, j) =>
            rawGet(url, `/blogs/${blog.id}`, {
              host: `evil-${i + j}.example`,
              'x-forwarded-proto': 'gopher',
              'x-forwarded-host': 'evil.example',
            }),
          ),
        );
        for (const page of pages) {
          expect(page.status).toBe(200);
          expect(page.body).not.toMatch(/evil|gopher/);
          expect(page.body).toContain(`<link rel="canonical" href="${url}/blogs/${blog.id}">`);
        }
      }
      const feed = await rawGet(url, `/blogs/${blog.id}/feed.atom`, { host: 'evil.example' });
      expect(feed.body).not.toContain('evil');
      expect(counter.reads()).toBeLessThanOrEqual(2);
      expect(process.memoryUsage().rss - rss).toBeLessThan(50 * 1024 * 1024);
    } finally {
      counter.restore();
    }
  });

  it('serves a spike of page loads from one read, until an event makes it stale', async () => {
    const blog = await createBlog(url, 'cached');
    await publish(url, blog.id, { body: 'first' });
    const counter = countReads(server.timeline);
    try {
      const loads = await Promise.all(Array.from({ length: 30 }, () => request<string>(url, 'GET', `/blogs/${blog.id}`, { token: null })));
      expect(loads.every((load) => load.status === 200 && load.body.includes('first'))).toBe(true);
      expect(counter.reads()).toBe(1);
      const etag = loads[0].headers.get('etag')!;
      expect(loads[0].headers.get('cache-control')).toMatch(/s-maxage=5/);
      const revalidated = await request(url, 'GET', `/blogs/${blog.id}`, { token: null, headers: { 'if-none-match': etag } });
      expect(revalidated.status).toBe(304);

      await publish(url, blog.id, { body: 'second' });
      const fresh = await request<string>(url, 'GET', `/blogs/${blog.id}`, { token: null, headers: { 'if-none-match': etag } });
      expect(fresh.status).toBe(200);
      expect(fresh.body).toContain('second');
      expect(fresh.headers.get('etag')).not.toBe(etag);
      expect(counter.reads()).toBe(2);
      const feed = await request<string>(url, 'GET', `/blogs/${blog.id}/feed.atom`, { token: null });
      expect(feed.body).toContain('second');
    } finally {
      counter.restore();
    }
  });

  it('shows a new blog on the index at once', async () => {
    await request(url, 'GET', '/', { token: null });
    await createBlog(url, 'brand-new', 'Brand new blog');
    expect((await request<string>(url, 'GET', '/', { token: null })).body).toContain('Brand new blog');
  });
});

describe('other sites', () => {
  it('may read the public routes and connect from any origin by default', async () => {
    const response = await request(url, 'GET', '/api/blogs/kursk/view?limit=5', {
      token: null,
      headers: { origin: 'https://news.example' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const view = response.body as unknown as { updates: Update[]; keyEvents: Update[]; cursor: string; next: string };
    expect(view.updates).toHaveLength(5);
    expect(view.keyEvents.map((u) => u.title)).toEqual(['Headline 50']);
    expect(view.next).toEqual(expect.any(String));
  });

  it('are limited to LIVEBLOG_EMBED_ORIGINS when it is set, over HTTP, Socket.IO and framing', async () => {
    const restricted = await startServer({ prefix, embedOrigins: ['https://allowed.example'] });
    try {
      const allowed = await request(restricted.url, 'GET', '/api/blogs/kursk', {
        token: null,
        headers: { origin: 'https://allowed.example' },
      });
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
      const refused = await request(restricted.url, 'GET', '/api/blogs/kursk', {
        token: null,
        headers: { origin: 'https://evil.example' },
      });
      expect(refused.headers.get('access-control-allow-origin')).toBeNull();
      const frame = await request(restricted.url, 'GET', '/embed/kursk', { token: null });
      expect(frame.headers.get('content-security-policy')).toContain("frame-ancestors 'self' https://allowed.example");

      const connect = (origin: string) =>
        new Promise<string>((resolve) => {
          const socket = io(restricted.url, { transports: ['websocket'], extraHeaders: { origin }, reconnection: false, forceNew: true });
          socket.on('connect', () => (socket.disconnect(), resolve('connected')));
          socket.on('connect_error', () => (socket.disconnect(), resolve('refused')));
        });
      expect(await connect('https://allowed.example')).toBe('connected');
      expect(await connect('https://evil.example')).toBe('refused');
    } finally {
      await restricted.stop();
    }
  });

  it('frame the iframe page from anywhere by default, but never the editors’ desk', async () => {
    const frame = await request(url, 'GET', '/embed/kursk', { token: null });
    expect(frame.headers.get('content-security-policy')).toContain('frame-ancestors *');
    expect(frame.headers.get('x-frame-options')).toBeNull();
    const desk = await request(url, 'GET', '/editor', { token: null });
    expect(desk.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });
});

/** A GET with headers fetch() will not send (Host). */
function rawGet(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}
