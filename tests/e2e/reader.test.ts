/** The reader's page in a real Chromium: the story rendered by the server, then live without reloads. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { testPrefix } from '../helpers/redis';
import { formatCursor, ORIGIN_TAG, parseCursor } from '../../shared/cursor';
import type { BlogEvent } from '../../shared/schemas';
import { loseLastWrite } from '../helpers/lose-write';

/** The cursor before a blog's first event. */
const zeroCursor = (cursor: string) => formatCursor(parseCursor(cursor)!.epoch, 0, ORIGIN_TAG);

const prefix = testPrefix('e2e-reader');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleaner.cleanup();
});

/** The update ids in the order the page shows them. */
function shownIds(page: Page): Promise<string[]> {
  return page.$$eval('.lb-updates article', (articles) => articles.map((a) => a.id.replace('update-', '')));
}

async function openReader(blogId: string): Promise<Page> {
  const context = await browser.newContext({ timezoneId: 'Europe/Kyiv' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${server.url}/blogs/${blogId}`);
  // A marker that a reload would wipe: the tests below check it survives every live change.
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await page.waitForSelector('.lb-blog[data-connection="live"]');
  (page as Page & { errors?: string[] }).errors = errors;
  return page;
}

const notReloaded = (page: Page) => page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);

describe('reader page', () => {
  it('renders the story on the server, readable with scripts off', async () => {
    const blog = await createBlog(server.url, 'no-script', 'Kursk <live>');
    await publish(server.url, blog.id, { body: 'Two soldiers **captured**', title: 'Captured', publishedAt: '2025-01-11T12:05:00+02:00' });
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(`${server.url}/blogs/${blog.id}`);
    expect(await page.textContent('h1')).toBe('Kursk <live>');
    expect(await page.textContent('.lb-update__title')).toBe('Captured');
    expect(await page.innerHTML('.lb-update__body')).toBe('<p>Two soldiers <strong>captured</strong></p>');
    expect(await page.textContent('.lb-time')).toBe('11 Jan 2025, 10:05 UTC');
    await context.close();
  });

  it('shows a new update above the older ones, a back-dated one in its place, then an edit and a delete, without reload', async () => {
    const blog = await createBlog(server.url, 'live-page');
    const noon = await publish(server.url, blog.id, { body: 'At noon', publishedAt: '2025-01-11T12:00:00+02:00' });
    const one = await publish(server.url, blog.id, { body: 'At one', publishedAt: '2025-01-11T13:00:00+02:00' });
    const page = await openReader(blog.id);
    expect(await shownIds(page)).toEqual([one.id, noon.id]);
    // times are shown in the reader's zone, named
    expect(await page.textContent(`#update-${noon.id} .lb-time`)).toBe('11 Jan 2025, 12:00 EET');

    const fresh = await publish(server.url, blog.id, { body: 'Just in: **video released**', title: 'Updated at 17.45' });
    await page.waitForSelector(`#update-${fresh.id}`);
    expect(await shownIds(page)).toEqual([fresh.id, one.id, noon.id]);
    expect(await page.textContent(`#update-${fresh.id} .lb-update__title`)).toBe('Updated at 17.45');
    expect(await page.innerHTML(`#update-${fresh.id} .lb-update__body`)).toBe('<p>Just in: <strong>video released</strong></p>');

    const backDated = await publish(server.url, blog.id, { body: 'Filed late', publishedAt: '2025-01-11T12:30:00+02:00' });
    await page.waitForSelector(`#update-${backDated.id}`);
    expect(await shownIds(page)).toEqual([fresh.id, one.id, backDated.id, noon.id]);

    await request(server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${one.id}`, { body: { body: 'At one, *corrected*' } });
    await page.waitForFunction(
      (id) => document.querySelector(`#update-${id} .lb-update__body`)?.textContent === 'At one, corrected',
      one.id,
    );
    expect(await page.isVisible(`#update-${one.id} .lb-edited`)).toBe(true);
    expect(await shownIds(page)).toEqual([fresh.id, one.id, backDated.id, noon.id]);

    await request(server.url, 'DELETE', `/api/blogs/${blog.id}/updates/${noon.id}`);
    await page.waitForSelector(`#update-${noon.id}`, { state: 'detached' });
    expect(await shownIds(page)).toEqual([fresh.id, one.id, backDated.id]);
    expect(await notReloaded(page)).toBe(true);
    expect((page as Page & { errors?: string[] }).errors).toEqual([]);
    await page.context().close();
  });

  it('catches up after the server restarts, with nothing missed and nothing twice', async () => {
    const blog = await createBlog(server.url, 'reconnect');
    const first = await publish(server.url, blog.id, { body: 'Before the restart' });
    const page = await openReader(blog.id);
    const live = await publish(server.url, blog.id, { body: 'Seen live' });
    await page.waitForSelector(`#update-${live.id}`);

    const port = server.port;
    await server.stop();
    await page.waitForSelector('[data-connection="reconnecting"]');
    server = await startServer({ prefix, port });
    // Published while the page is still reconnecting: it must arrive by catch-up.
    const missed = [await publish(server.url, blog.id, { body: 'Missed one' }), await publish(server.url, blog.id, { body: 'Missed two' })];
    await page.waitForSelector(`#update-${missed[1].id}`, { timeout: 15_000 });
    await page.waitForSelector('[data-connection="live"]');
    const after = await publish(server.url, blog.id, { body: 'Live again' });
    await page.waitForSelector(`#update-${after.id}`);
    expect(await shownIds(page)).toEqual([after.id, missed[1].id, missed[0].id, live.id, first.id]);
    expect(await notReloaded(page)).toBe(true);
    await page.context().close();
  });

  it('drops an update the store lost in a failover and shows the one that took its place, without reload', async () => {
    const blog = await createBlog(server.url, 'failover');
    const kept = await publish(server.url, blog.id, { body: 'Kept through the failover' });
    const page = await openReader(blog.id);
    const lost = await publish(server.url, blog.id, { body: 'Acknowledged, then lost' });
    await page.waitForSelector(`#update-${lost.id}`);
    const { events } = (
      await request<{ events: BlogEvent[] }>(
        server.url,
        'GET',
        `/api/blogs/${blog.id}/events?after=${encodeURIComponent(zeroCursor(blog.cursor))}`,
        { token: null },
      )
    ).body;
    await loseLastWrite(cleaner.redis, prefix, events[1], lost);
    const replacement = await publish(server.url, blog.id, { body: 'Published after the failover' });
    await page.waitForSelector(`#update-${replacement.id}`);
    await page.waitForSelector(`#update-${lost.id}`, { state: 'detached' });
    expect(await shownIds(page)).toEqual([replacement.id, kept.id]);
    expect(await notReloaded(page)).toBe(true);
    await page.context().close();
  });

  it('shows the end of coverage when the blog ends', async () => {
    const blog = await createBlog(server.url, 'ending');
    const page = await openReader(blog.id);
    await request(server.url, 'PATCH', `/api/blogs/${blog.id}`, { body: { status: 'ended' } });
    await page.waitForFunction(() => document.querySelector('.lb-flag')?.textContent === 'Ended');
    expect(await page.isVisible('.lb-ended')).toBe(true);
    expect(await page.textContent('.lb-ended')).toBe('This live blog has ended.');
    await page.context().close();
  });
});

describe('index page', () => {
  it('lists the blogs, linked to their pages', async () => {
    await createBlog(server.url, 'listed', 'Listed blog');
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.click('text=Listed blog');
    await page.waitForURL(`${server.url}/blogs/listed`);
    expect(await page.textContent('h1')).toBe('Listed blog');
    await page.close();
  });
});
