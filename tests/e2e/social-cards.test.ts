/**
 * Social cards in a real Chromium, on the reader's page, the iframe page and the widget on another site:
 * every request the browser makes is recorded, and none goes to a provider before the reader presses
 * the card's button; after it, the provider's own embed is asked for, from the right host. There is no
 * internet here: every request off the test machine is answered by a local stub (`context.route`), and
 * its address is what the test checks. The pages' real CSP applies, so a provider it left out fails too.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createBlog, publish } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('e2e-cards');
const BLUESKY_DID = 'did:plc:z72i7hdynmk6r22z27h6tvur';
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;

/** Each provider's post, and the start of the embed's address the click must ask for. */
const POSTS: { provider: string; address: string; embed: string; lookup?: string }[] = [
  {
    provider: 'YouTube',
    address: 'https://www.youtube.com/watch?v=dQw4w9WgXcQ',
    embed: 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ',
  },
  { provider: 'Vimeo', address: 'https://vimeo.com/76979871', embed: 'https://player.vimeo.com/video/76979871?' },
  { provider: 'X', address: 'https://x.com/jack/status/20', embed: 'https://platform.twitter.com/embed/Tweet.html?id=20&' },
  { provider: 'Telegram', address: 'https://t.me/durov/123', embed: 'https://t.me/durov/123?embed=1' },
  { provider: 'Instagram', address: 'https://www.instagram.com/p/C1a2B3c4D5e/', embed: 'https://www.instagram.com/p/C1a2B3c4D5e/embed/' },
  {
    provider: 'TikTok',
    address: 'https://www.tiktok.com/@scout2015/video/6718335390845095173',
    embed: 'https://www.tiktok.com/player/v1/6718335390845095173',
  },
  // A handle: its DID is asked of Bluesky's API after the click (the stub answers BLUESKY_DID).
  {
    provider: 'Bluesky',
    address: 'https://bsky.app/profile/bsky.app/post/3l6oveex3ii2l',
    embed: 'https://embed.bsky.app/embed/did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3l6oveex3ii2l',
    lookup: 'https://public.api.bsky.app/xrpc/com.atproto.identity.resolveHandle?handle=bsky.app',
  },
  // Through the service's relay page, whose own CSP names the one instance.
  {
    provider: 'Mastodon',
    address: 'https://mastodon.social/@Gargron/109274245498032934',
    embed: 'https://mastodon.social/@Gargron/109274245498032934/embed',
  },
  {
    provider: 'Facebook',
    address: 'https://www.facebook.com/nasa/posts/pfbid02abcDEF123',
    embed: 'https://www.facebook.com/plugins/post.php?href=',
  },
];

beforeAll(async () => {
  [server, browser, host] = await Promise.all([startServer({ prefix }), launchBrowser(), startHostSite()]);
  await createBlog(server.url, 'cards', 'Cards');
  for (const post of POSTS) await publish(server.url, 'cards', { body: `From ${post.provider}:\n\n${post.address}` });
  await publish(server.url, 'cards', { body: 'https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ' });
  host.pages.set(
    '/',
    `<!doctype html><div data-liveblog="cards" data-limit="20"></div><script src="${server.url}/embed.js" async></script>`,
  );
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

/** A browser whose every request is recorded, and whose requests off this machine get a stub page. */
async function recorded(): Promise<{ context: BrowserContext; page: Page; requests: string[] }> {
  const context = await browser.newContext();
  const requests: string[] = [];
  context.on('request', (request) => requests.push(request.url()));
  const local = (url: URL) => url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  await context.route(
    (url) => !local(url),
    (route) =>
      route.request().url().includes('/xrpc/com.atproto.identity.resolveHandle')
        ? route.fulfill({
            status: 200,
            contentType: 'application/json',
            headers: { 'access-control-allow-origin': '*' },
            body: JSON.stringify({ did: BLUESKY_DID }),
          })
        : route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>stub</title><p>A provider’s embed</p>' }),
  );
  const page = await context.newPage();
  return { context, page, requests };
}

const offMachine = (requests: string[]) =>
  requests.filter((url) => !['127.0.0.1', 'localhost'].includes(new URL(url).hostname) && !url.startsWith('data:'));

/** On the surface `root` (a CSS prefix: '' or the widget's host element), checks every card. */
async function checkCards(page: Page, requests: string[], root: string): Promise<void> {
  await page.locator(`${root} .lb-blog[data-connection="live"]`).waitFor({ timeout: 10_000 });
  await expect(page.locator(`${root} .lb-card`).count()).resolves.toBe(POSTS.length);
  // the look-alike stays a link
  await expect(page.locator(`${root} a[href="https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ"]`).count()).resolves.toBe(1);
  // Nothing from any provider until a click: not a frame, a script, a picture or a prefetch.
  await page.waitForLoadState('networkidle');
  expect(offMachine(requests)).toEqual([]);

  for (const post of POSTS) {
    const card = page.locator(`${root} .lb-card`, { hasText: post.address });
    const button = card.getByRole('button', { name: `Load content from ${post.provider}` });
    const before = requests.length;
    // Chromium hit-tests frames from other sites (the embeds already loaded) with the compositor's data,
    // which lags a scroll by a frame or two: a click at once could land in the frame that was there.
    await button.scrollIntoViewIfNeeded();
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    await button.click();
    await card.locator('iframe').waitFor({ timeout: 5_000 });
    const asked = await waitFor(
      () => requests.slice(before).find((url) => url.startsWith(post.embed)),
      `the ${post.provider} embed (${post.embed}) to be asked for, not only ${requests.slice(before).join(' ')}`,
    );
    expect(asked.startsWith(post.embed)).toBe(true);
    // and only from that provider: one click loads one provider's embed
    const hosts = new Set(offMachine(requests.slice(before)).map((url) => new URL(url).host));
    expect([...hosts].sort()).toEqual([...(post.lookup ? [new URL(post.lookup).host] : []), new URL(post.embed).host].sort());
    if (post.lookup) expect(requests.slice(before)).toContain(post.lookup);
    await expect(button.count()).resolves.toBe(0);
  }
}

describe('social cards load nothing from a provider before the click, and its own embed after', () => {
  it('on the reader’s page', async () => {
    const { context, page, requests } = await recorded();
    await page.goto(`${server.url}/blogs/cards`);
    await checkCards(page, requests, '');
    await context.close();
  }, 30_000);

  it('on the iframe page', async () => {
    const { context, page, requests } = await recorded();
    await page.goto(`${server.url}/embed/cards`);
    await checkCards(page, requests, '');
    await context.close();
  }, 30_000);

  it('in the widget, inside its shadow root on another site', async () => {
    const { context, page, requests } = await recorded();
    await page.goto(`${host.url}/`);
    await checkCards(page, requests, '[data-liveblog]');
    await context.close();
  }, 30_000);

  it('for a card that arrives live', async () => {
    const { context, page, requests } = await recorded();
    await page.goto(`${server.url}/blogs/cards`);
    await page.locator('.lb-blog[data-connection="live"]').waitFor();
    const update = await publish(server.url, 'cards', { body: 'https://youtu.be/aaaaaaaaaaa' });
    const card = page.locator(`#update-${update.id} .lb-card`);
    await card.waitFor();
    expect(offMachine(requests)).toEqual([]);
    await card.getByRole('button', { name: 'Load content from YouTube' }).click();
    await waitFor(() => requests.includes('https://www.youtube-nocookie.com/embed/aaaaaaaaaaa'), 'the live card’s embed');
    await context.close();
  });
});
