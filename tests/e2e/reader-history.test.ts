/**
 * Where a reader's page goes, in a real Chromium: Back after following a key event stays on the blog;
 * key events far back lead somewhere with scripts off (`?around=`); an empty older page says so; the
 * ways back to the latest leave the blog's header wholly in view.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-reader-history');
const cleaner = prefixCleaner(prefix);
const BLOG = 'history';
/** Enough for the first key event to be two pages back. */
const COUNT = 50;
let server: TestServer;
let browser: Browser;
let updates: Update[];
/** An early key event, far below the first page. */
let deep: Update;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
  await createBlog(server.url, BLOG, 'A day of talks');
  updates = [];
  for (let i = 0; i < COUNT; i++) {
    updates.push(
      await publish(server.url, BLOG, {
        body: `Entry ${i}. The negotiators met again and both sides described the talks as constructive.`,
        ...(i === 3 ? { title: 'Talks collapse', keyEvent: true } : {}),
        publishedAt: new Date(Date.UTC(2025, 0, 11, 6, i)).toISOString(),
      }),
    );
  }
  deep = updates[3];
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleaner.cleanup();
});

async function open(path: string, options: { width?: number; javaScriptEnabled?: boolean } = {}): Promise<Page> {
  const context = await browser.newContext({
    viewport: { width: options.width ?? 1280, height: 800 },
    javaScriptEnabled: options.javaScriptEnabled,
  });
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
  if (options.javaScriptEnabled !== false) await page.locator('.lb-blog[data-connection="live"]').waitFor();
  return page;
}

const newestId = () => updates.at(-1)!.id;

describe('Back after following a key event', () => {
  it('returns to the latest updates, still on the blog', async () => {
    // The list of blogs first: leaving the blog would be going back to it.
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    await page.goto(`${server.url}/`);
    await page.goto(`${server.url}/blogs/${BLOG}`);
    await page.locator('.lb-blog[data-connection="live"]').waitFor();
    await page.evaluate(() => ((window as unknown as { sameDocument: boolean }).sameDocument = true));
    await page.locator('.lb-key-events a', { hasText: 'Talks collapse' }).click();
    await page.locator(`#update-${deep.id}.lb-target`).waitFor();
    expect(new URL(page.url()).hash).toBe(`#update-${deep.id}`);
    // opened in place, with scripts: no page load
    expect(await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument)).toBe(true);
    await page.goBack();
    expect(page.url()).toBe(`${server.url}/blogs/${BLOG}`);
    await page.locator(`.lb-updates > article#update-${newestId()}`).waitFor({ timeout: 5_000 });
    expect(await page.locator('.lb-blog[data-slice]').count()).toBe(0);
    expect(await page.locator(`#update-${deep.id}`).count()).toBe(0);
    // and Forward opens the key event again
    await page.goForward();
    await page.locator(`#update-${deep.id}.lb-target`).waitFor({ timeout: 5_000 });
    await page.context().close();
  });

  it('from one permalink to another, Back returns to the first', async () => {
    const page = await open(`/blogs/${BLOG}`);
    const second = updates[30];
    await page.locator(`#update-${second.id} .lb-permalink`).click();
    await page.locator(`#update-${second.id}.lb-target`).waitFor();
    await page.locator('.lb-key-events a', { hasText: 'Talks collapse' }).click();
    await page.locator(`#update-${deep.id}.lb-target`).waitFor();
    await page.goBack();
    expect(new URL(page.url()).hash).toBe(`#update-${second.id}`);
    await page.locator(`#update-${second.id}.lb-target`).waitFor({ timeout: 5_000 });
    await page.context().close();
  });
});

describe('with scripts off', () => {
  it('a key event far back leads to its update, among its neighbours, with the way back to the latest', async () => {
    const page = await open(`/blogs/${BLOG}`, { javaScriptEnabled: false });
    expect(await page.locator(`#update-${deep.id}`).count()).toBe(0);
    await page.locator('.lb-key-events a', { hasText: 'Talks collapse' }).click();
    await page.waitForLoadState();
    const url = new URL(page.url());
    expect(url.searchParams.get('around')).toBe(deep.id);
    expect(url.hash).toBe(`#update-${deep.id}`);
    expect(await page.locator(`#update-${deep.id}`).count()).toBe(1);
    expect(await page.locator(`#update-${updates[2].id}`).count()).toBe(1); // an older neighbour
    expect(await page.locator(`#update-${newestId()}`).count()).toBe(0);
    await page.getByRole('link', { name: 'Back to the latest updates' }).first().click();
    await page.waitForLoadState();
    expect(page.url()).toBe(`${server.url}/blogs/${BLOG}`);
    expect(await page.locator(`#update-${newestId()}`).count()).toBe(1);
    await page.context().close();
  });

  it('a page opened at an ?around= permalink is not indexed and marks its list as an earlier part', async () => {
    const response = await request<string>(server.url, 'GET', `/blogs/${BLOG}?around=${deep.id}`, { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toContain('<meta name="robots" content="noindex, follow">');
    expect(response.body).toMatch(/<div class="lb-blog"[^>]* data-older/);
  });

  it('an ?around= update that is gone shows the latest, with a word', async () => {
    const response = await request<string>(server.url, 'GET', `/blogs/${BLOG}?around=nosuchupdate`, { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toContain('This update is no longer available');
    expect(response.body).toContain(`id="update-${newestId()}"`);
  });
});

describe('an empty older page', () => {
  it('says "No older updates." with the way back, not "No updates yet."', async () => {
    const response = await request<string>(server.url, 'GET', `/blogs/${BLOG}?before=000000000000000%3A0`, { token: null });
    expect(response.status).toBe(200);
    expect(response.body).toContain('No older updates.');
    expect(response.body).not.toContain('No updates yet.');
    expect(response.body).toMatch(/<a [^>]*href="\/blogs\/history"[^>]*>Back to the latest updates/);
  });
});

describe('the ways back to the latest', () => {
  /** The blog's box wholly in view, its top edge and the page's margin above it included (scrolled to the page's top). */
  async function headerInView(page: Page): Promise<void> {
    await page.waitForFunction(
      () => {
        const blog = document.querySelector('.lb-blog')!.getBoundingClientRect();
        const title = document.querySelector('.lb-title')!.getBoundingClientRect();
        return blog.top > 0 && title.bottom < innerHeight;
      },
      undefined,
      { timeout: 3_000 },
    );
  }

  it.each([1280, 390])('"N new updates" at %i px', async (width) => {
    const page = await open(`/blogs/${BLOG}`, { width });
    await page.locator(`#update-${updates[COUNT - 12].id}`).scrollIntoViewIfNeeded();
    const update = await publish(server.url, BLOG, { body: `New at ${width} px` });
    updates.push(update);
    await page.locator('.lb-notice').click();
    await page.locator(`#update-${update.id}`).waitFor();
    await headerInView(page);
    await page.context().close();
  });

  it.each([1280, 390])('"Back to the latest" from a permalink’s page at %i px', async (width) => {
    const page = await open(`/blogs/${BLOG}#update-${deep.id}`, { width });
    await page.locator(`#update-${deep.id}.lb-target`).waitFor();
    await page.locator('.lb-slice button').click();
    await page.locator(`#update-${newestId()}`).waitFor();
    await headerInView(page);
    await page.context().close();
  });
});
