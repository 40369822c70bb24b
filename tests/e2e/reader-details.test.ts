/**
 * The small things a reader notices, in a real Chromium: relative times that stay after a live change,
 * the headline in view after the notice, a compact Key events box, long updates collapsed, pictures
 * with captions, refused pictures explained, zone names, a favicon, a permalink that looks like one.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-details');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
const TEXT = 'Officials said the count would continue through the night and into the morning. ';

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleaner.cleanup();
});

async function seed(
  blogId: string,
  count: number,
  fields: (i: number) => Record<string, unknown> = () => ({}),
  title?: string,
): Promise<Update[]> {
  await createBlog(server.url, blogId, title ?? `Story ${blogId}`);
  const updates: Update[] = [];
  for (let i = 0; i < count; i++) {
    updates.push(
      await publish(server.url, blogId, {
        body: `Entry ${i}. ${TEXT.repeat(4)}`,
        publishedAt: new Date(Date.now() - (count - i) * 60_000).toISOString(),
        ...fields(i),
      }),
    );
  }
  return updates;
}

async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options })).newPage();
  await page.goto(`${server.url}${path}`);
  await page.waitForSelector('.lb-blog[data-connection="live"]');
  return page;
}

describe('live changes', () => {
  it('keep the relative time of an update edited, pinned or marked a key event', async () => {
    const [update] = await seed('relative', 2);
    const page = await open('/blogs/relative');
    const ago = () => page.textContent(`#update-${update.id} .lb-ago`);
    expect(await ago()).toMatch(/ago/);
    for (const change of [{ body: 'Corrected' }, { pinned: true }, { keyEvent: true }]) {
      const version = await page.getAttribute(`#update-${update.id}`, 'data-version');
      await request(server.url, 'PATCH', `/api/blogs/relative/updates/${update.id}`, { body: change });
      await page.waitForFunction(
        ([id, v]) => document.querySelector(`#update-${id}`)?.getAttribute('data-version') !== v,
        [update.id, version],
      );
      expect(await ago()).toMatch(/ago/);
    }
    await page.context().close();
  });

  it('the notice brings the headline back into view, and announces "1 new update above" in the singular', async () => {
    await seed('headline', 15);
    const page = await open('/blogs/headline');
    await page.evaluate(() => window.scrollTo(0, 2500));
    await publish(server.url, 'headline', { body: 'News while scrolled' });
    const notice = page.getByRole('button', { name: '1 new update' });
    await notice.waitFor();
    await page.waitForFunction(() => document.querySelector('.lb-announcer')?.textContent === '1 new update above');
    await notice.click();
    await page.waitForFunction(() => {
      const rect = document.querySelector('h1')!.getBoundingClientRect();
      return rect.top >= 0 && rect.bottom <= window.innerHeight;
    });
    await page.context().close();
  });
});

describe('forced colours (Windows high contrast)', () => {
  it('keep an edge on the floating notice and the buttons, whose fills and shadows are dropped', async () => {
    await seed('forced', 15);
    const page = await open('/blogs/forced', { forcedColors: 'active' });
    await page.evaluate(() => window.scrollTo(0, 2500));
    await publish(server.url, 'forced', { body: 'News in high contrast' });
    await page.getByRole('button', { name: '1 new update' }).waitFor();
    const edges = await page.$$eval('.lb-notice, .lb-older', (buttons) =>
      buttons.map((button) => {
        const style = getComputedStyle(button);
        return `${button.className}: ${style.borderTopStyle} ${style.borderTopWidth}`;
      }),
    );
    expect(edges.length).toBeGreaterThanOrEqual(2);
    for (const edge of edges) expect(edge).toMatch(/: solid [1-9]/);
    await page.context().close();
  });
});

describe('an older page (?before=) opened with scripts', () => {
  it('does not put new updates above its older ones: it counts them, and leads back to the latest', async () => {
    const updates = await seed('older-page', 25);
    const context = await browser.newContext();
    const first = await context.newPage();
    await first.goto(`${server.url}/blogs/older-page`);
    const next = await first.getAttribute('.lb-blog', 'data-next');
    await first.close();
    const page = await open(`/blogs/older-page?before=${encodeURIComponent(next!)}`);
    expect(await page.locator('.lb-updates > article').count()).toBe(5);
    const fresh = await publish(server.url, 'older-page', { body: 'Newest of all' });
    await page.getByRole('button', { name: '1 new update' }).waitFor();
    expect(await page.$(`#update-${fresh.id}`)).toBeNull();
    await page.getByRole('button', { name: 'Back to the latest' }).click();
    await page.waitForSelector(`#update-${fresh.id}`);
    expect(await page.$(`#update-${updates[0].id}`)).toBeNull();
    expect(page.url()).toBe(`${server.url}/blogs/older-page`);
    await page.context().close();
    await context.close();
  });
});

describe('the Key events box', () => {
  it('on a phone, ten key events take little room: short excerpts with a clean ellipsis, five shown and "show all"', async () => {
    const body = (i: number) => `${'Turnout in the region stood at 40.0%. '.repeat(3)}Entry ${i}. ${TEXT}`;
    await createBlog(server.url, 'key-phone');
    for (let i = 0; i < 10; i++) await publish(server.url, 'key-phone', { body: body(i), keyEvent: true });
    const page = await open('/blogs/key-phone', { viewport: { width: 390, height: 844 }, isMobile: true });
    const box = page.locator('.lb-key-events');
    const links = box.getByRole('link');
    expect(await links.count()).toBe(5);
    for (const text of await links.allTextContents()) {
      expect(text).not.toMatch(/[.,;:]…$/);
      expect(text.length).toBeLessThan(100);
    }
    expect((await box.boundingBox())!.height).toBeLessThan(844 / 2);
    const toggle = box.getByRole('button', { name: 'Show all 10 key events' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await links.count()).toBe(10);
    expect(await box.getByRole('button', { name: 'Show fewer key events' }).getAttribute('aria-expanded')).toBe('true');
    await page.context().close();
  });
});

describe('updates', () => {
  it('a 20,000-character update is collapsed with an accessible "Read more" toggle', async () => {
    await createBlog(server.url, 'long-update');
    const long = await publish(server.url, 'long-update', {
      body: `Start of a very long update. ${'Word after word, the record of the day. '.repeat(480)}`.slice(0, 20_000),
    });
    const short = await publish(server.url, 'long-update', { body: 'A short one.' });
    const page = await open('/blogs/long-update');
    const article = page.locator(`#update-${long.id}`);
    expect((await article.boundingBox())!.height).toBeLessThan(800);
    const toggle = article.getByRole('button', { name: 'Read more' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect((await article.boundingBox())!.height).toBeGreaterThan(2000);
    expect(await article.getByRole('button', { name: 'Show less' }).getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator(`#update-${short.id} button`).count()).toBe(0);
    await page.context().close();
  });

  it('a picture with a title has a caption; an http: picture says why it is not shown', async () => {
    await createBlog(server.url, 'pictures');
    const figure = await publish(server.url, 'pictures', {
      body: '![Soldiers at the border](https://example.com/a.jpg "The border at dawn, 11 January")',
    });
    const plain = await publish(server.url, 'pictures', { body: 'Before ![Map](http://example.com/map.png) after' });
    expect(figure.html).toContain('<figure');
    expect(figure.html).toMatch(/<figcaption>The border at dawn, 11 January<\/figcaption>/);
    const page = await open('/blogs/pictures');
    expect(await page.locator(`#update-${figure.id} figure img[alt="Soldiers at the border"]`).count()).toBe(1);
    expect(await page.locator(`#update-${figure.id} figure figcaption`).textContent()).toBe('The border at dawn, 11 January');
    const note = page.locator(`#update-${plain.id} .lb-image-refused`);
    expect(await note.textContent()).toMatch(/image not shown: not https/i);
    expect(await note.locator('a').getAttribute('href')).toBe('http://example.com/map.png');
    // the desk's preview is the server's render: it says the same
    const preview = await request<{ html: string }>(server.url, 'POST', '/api/preview', {
      body: { body: '![Map](http://example.com/map.png)' },
    });
    expect(preview.body.html).toMatch(/image not shown: not https/i);
    await page.context().close();
  });
});

describe('times, title, favicon, permalinks', () => {
  it('a New York reader sees the zone named, not "GMT-5"', async () => {
    await createBlog(server.url, 'new-york');
    const update = await publish(server.url, 'new-york', { body: 'Winter', publishedAt: '2025-01-11T17:45:00Z' });
    const page = await open('/blogs/new-york', { timezoneId: 'America/New_York' });
    expect(await page.textContent(`#update-${update.id} .lb-time`)).toBe('11 Jan 2025, 12:45 EST');
    await page.context().close();
  });

  it('the tab title says "live" once; the page has a favicon and no request fails', async () => {
    await createBlog(server.url, 'title-live', 'Kursk offensive: live');
    const context = await browser.newContext();
    const page = await context.newPage();
    const failed: string[] = [];
    page.on('response', (response) => response.status() >= 400 && failed.push(`${response.status()} ${response.url()}`));
    await page.goto(`${server.url}/blogs/title-live`);
    await page.waitForSelector('.lb-blog[data-connection="live"]');
    expect(await page.title()).toBe('Kursk offensive: live');
    expect(await page.locator('link[rel="icon"]').count()).toBe(1);
    const favicon = await request(server.url, 'GET', '/favicon.ico', { token: null });
    expect(favicon.status).toBe(200);
    expect(failed).toEqual([]);
    await context.close();
  });

  it('the permalink time is underlined like a link', async () => {
    const [update] = await seed('permalink-look', 1);
    const page = await open('/blogs/permalink-look');
    const decoration = await page.$eval(`#update-${update.id} .lb-permalink`, (link) => getComputedStyle(link).textDecorationLine);
    expect(decoration).toContain('underline');
    await page.context().close();
  });
});
