/**
 * A blog ended and reopened while readers have it open, in a real Chromium: the page shows it live
 * again and new updates arrive, whether it was live or already ended when the page was opened.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-reopen');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;

beforeAll(async () => {
  [server, browser, host] = await Promise.all([startServer({ prefix }), launchBrowser(), startHostSite()]);
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

const setStatus = (blogId: string, status: 'live' | 'ended') => request(server.url, 'PATCH', `/api/blogs/${blogId}`, { body: { status } });

async function expectLiveAgain(page: Page, blogId: string, scope = ''): Promise<void> {
  await page.waitForFunction((selector) => document.querySelector(selector)?.textContent === 'Live', `${scope}.lb-flag`.trim());
  expect(await page.locator(`${scope} .lb-ended`.trim()).isHidden()).toBe(true);
  const fresh = await publish(server.url, blogId, { body: 'Back on air' });
  await page.locator(`${scope} #update-${fresh.id}`.trim()).waitFor();
}

describe('a reopened blog', () => {
  it('goes live again on a page that saw it end', async () => {
    const blog = await createBlog(server.url, 'reopened-live', 'Talks, live');
    await publish(server.url, blog.id, { body: 'Talks begin' });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/blogs/${blog.id}`);
    await page.waitForSelector('.lb-blog[data-connection="live"]');
    await setStatus(blog.id, 'ended');
    await page.waitForFunction(() => document.querySelector('.lb-flag')?.textContent === 'Ended');
    await setStatus(blog.id, 'live');
    await page.waitForFunction(() => document.querySelector('.lb-announcer')?.textContent === 'This live blog is live again.');
    await expectLiveAgain(page, blog.id);
    await page.context().close();
  });

  it('goes live again on a page opened after it ended', async () => {
    const blog = await createBlog(server.url, 'reopened-ended', 'Count, live');
    await publish(server.url, blog.id, { body: 'Polls close' });
    await setStatus(blog.id, 'ended');
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}/blogs/${blog.id}`);
    expect(await page.textContent('.lb-flag')).toBe('Ended');
    await page.waitForSelector('.lb-blog[data-connection="live"]');
    await setStatus(blog.id, 'live');
    await expectLiveAgain(page, blog.id);
    await page.context().close();
  });

  it('goes live again in the widget and the iframe page', async () => {
    const blog = await createBlog(server.url, 'reopened-embed', 'Embedded, live');
    await publish(server.url, blog.id, { body: 'First' });
    host.pages.set(
      '/reopen',
      `<!doctype html><div data-liveblog="${blog.id}" id="w"></div><script src="${server.url}/embed.js" async></script>`,
    );
    const widgetPage = await (await browser.newContext()).newPage();
    await widgetPage.goto(`${host.url}/reopen`);
    await widgetPage.locator('#w .lb-blog[data-connection="live"]').waitFor();
    const framePage = await (await browser.newContext()).newPage();
    await framePage.goto(`${server.url}/embed/${blog.id}`);
    await framePage.waitForSelector('.lb-blog[data-connection="live"]');
    await setStatus(blog.id, 'ended');
    await widgetPage.locator('#w .lb-flag', { hasText: 'Ended' }).waitFor();
    await framePage.locator('.lb-flag', { hasText: 'Ended' }).waitFor();
    await setStatus(blog.id, 'live');
    await widgetPage.locator('#w .lb-flag', { hasText: 'Live' }).waitFor();
    await framePage.locator('.lb-flag', { hasText: 'Live' }).waitFor();
    const fresh = await publish(server.url, blog.id, { body: 'Second' });
    await widgetPage.locator(`#w #update-${fresh.id}`).waitFor();
    await framePage.locator(`#update-${fresh.id}`).waitFor();
    await widgetPage.context().close();
    await framePage.context().close();
  });
});
