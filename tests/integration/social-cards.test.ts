/**
 * Social cards as the server sends them: the card in the reader's page, the iframe page and the API; the
 * link (not the card's button) in the feed and the structured data; the pages' CSP naming exactly the
 * providers' frames; the Mastodon relay page, which frames one instance and nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { CARD_FRAME_ORIGINS, MASTODON_RELAY_PATH } from '../../shared/cards';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('cards');
const cleaner = prefixCleaner(prefix);
let server: TestServer;

const VIDEO = 'https://www.youtube.com/watch?v=dQw4w9WgXcQ';
const TOOT = 'https://mastodon.social/@Gargron/109274245498032934';
const CARD =
  '<div class="lb-card" data-provider="youtube"><p class="lb-card__provider">YouTube</p>' +
  `<p class="lb-card__link"><a href="${VIDEO}" rel="nofollow noopener noreferrer" target="_blank">${VIDEO}</a></p>` +
  '<button type="button" class="lb-card__load">Load content from YouTube</button></div>';

beforeAll(async () => {
  server = await startServer({ prefix });
  await createBlog(server.url, 'cards');
  await publish(server.url, 'cards', { body: `The brigade's video:\n\n${VIDEO}\n\nand https://example.com/story` });
});

afterAll(async () => {
  await server?.stop();
  await cleaner.cleanup();
});

function frameSources(csp: string): string[] {
  return (/(?:^|; )frame-src ([^;]*)/.exec(csp)?.[1] ?? '').split(' ');
}

describe('a social post’s address alone in its paragraph', () => {
  it('is a card in the reader’s page, the iframe page and the API; other links stay links', async () => {
    for (const path of ['/blogs/cards', '/embed/cards']) {
      const html = (await request<string>(server.url, 'GET', path, { token: null })).body;
      expect(html).toContain(CARD);
      expect(html).toContain(
        '<a href="https://example.com/story" rel="nofollow noopener noreferrer" target="_blank">https://example.com/story</a>',
      );
      // nothing on the page loads from a provider
      expect(html).not.toMatch(/<(iframe|script)[^>]*(youtube|vimeo|twitter|t\.me|instagram|tiktok|bsky|facebook)/);
    }
    const view = await request<{ updates: { html: string }[] }>(server.url, 'GET', '/api/blogs/cards/view', { token: null });
    expect(view.body.updates[0].html).toContain(CARD);
  });

  it('is the link in the Atom feed and the structured data', async () => {
    const feed = (await request<string>(server.url, 'GET', '/blogs/cards/feed.atom', { token: null })).body;
    expect(feed).toContain(
      `&lt;p&gt;&lt;a href=&quot;${VIDEO}&quot; rel=&quot;nofollow noopener noreferrer&quot; target=&quot;_blank&quot;&gt;${VIDEO}&lt;/a&gt;&lt;/p&gt;`,
    );
    expect(feed).not.toContain('button');
    const page = (await request<string>(server.url, 'GET', '/blogs/cards', { token: null })).body;
    const jsonLd = JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/.exec(page)![1]) as {
      liveBlogUpdate: { articleBody: string }[];
    };
    expect(jsonLd.liveBlogUpdate[0].articleBody).toContain(VIDEO);
  });
});

describe('the pages’ Content-Security-Policy', () => {
  it('lets the reader’s page and the iframe page frame exactly the providers’ embeds, and load no script of theirs', async () => {
    for (const path of ['/blogs/cards', '/embed/cards']) {
      const csp = (await request(server.url, 'GET', path, { token: null })).headers.get('content-security-policy') ?? '';
      expect(frameSources(csp).sort()).toEqual(["'self'", ...CARD_FRAME_ORIGINS].sort());
      expect(csp).toMatch(/script-src 'self'(;|$)/);
      expect(csp).toContain("connect-src 'self' https://public.api.bsky.app;");
    }
    expect(CARD_FRAME_ORIGINS).toContain('https://www.youtube-nocookie.com');
    expect(CARD_FRAME_ORIGINS).not.toContain('https://www.youtube.com');
  });

  it('leaves every other page without them', async () => {
    for (const path of ['/', '/editor', '/no-such-page']) {
      const csp = (await request(server.url, 'GET', path, { token: null })).headers.get('content-security-policy') ?? '';
      expect(csp).not.toContain('frame-src');
      expect(csp).not.toContain('youtube');
    }
  });
});

describe('the Mastodon relay page', () => {
  it('frames the instance’s own embed of the post, and may frame that instance only', async () => {
    const response = await request<string>(server.url, 'GET', `${MASTODON_RELAY_PATH}?url=${encodeURIComponent(TOOT)}`, { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toContain(`<iframe class="lb-relay" src="${TOOT}/embed"`);
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(frameSources(csp)).toEqual(['https://mastodon.social']);
    expect(csp).toContain("script-src 'none'");
    expect(csp).toContain('frame-ancestors *');
  });

  it('is only a frame: a browser opening it in a tab gets a 404', async () => {
    const path = `${MASTODON_RELAY_PATH}?url=${encodeURIComponent(TOOT)}`;
    const framed = await request<string>(server.url, 'GET', path, { token: null, headers: { 'sec-fetch-dest': 'iframe' } });
    expect(framed.status).toBe(200);
    const opened = await request<string>(server.url, 'GET', path, { token: null, headers: { 'sec-fetch-dest': 'document' } });
    expect(opened.status).toBe(404);
    expect(opened.body).not.toContain('<iframe');
  });

  it.each([
    'https://example.com/story',
    'http://mastodon.social/@Gargron/109274245498032934',
    'https://www.youtube.com/@someone/123456789',
    'javascript:alert(1)//@a/123456789',
    'https://evil.test/@a/123456"><script>alert(1)</script>',
  ])('refuses %s', async (address) => {
    const response = await request<string>(server.url, 'GET', `${MASTODON_RELAY_PATH}?url=${encodeURIComponent(address)}`, { token: null });
    expect(response.status).toBe(404);
    expect(response.body).not.toContain('<iframe');
  });
});
