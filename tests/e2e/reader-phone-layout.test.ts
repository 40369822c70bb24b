/**
 * A 390 px phone, in a real Chromium: long URLs, words, titles and code never make the page, the
 * iframe page or the widget wider than the screen.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-phone');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;
const BLOG = 'long-words';
const PHONE = { width: 390, height: 844 };

beforeAll(async () => {
  [server, browser, host] = await Promise.all([startServer({ prefix }), launchBrowser(), startHostSite()]);
  await createBlog(server.url, BLOG, `Antidisestablishmentarianism${'X'.repeat(80)} live`);
  await request(server.url, 'PATCH', `/api/blogs/${BLOG}`, { body: { description: `https://example.com/${'d'.repeat(150)}` } });
  const url = `https://example.com/news/2025/01/11/${'a-very-long-slug-'.repeat(20)}?utm_source=${'x'.repeat(80)}`;
  await publish(server.url, BLOG, { body: `Source: ${url}`, title: `Supercalifragilistic${'expialidocious'.repeat(8)}`, keyEvent: true });
  await publish(server.url, BLOG, { body: `A [link with a long text](${url}) and ${'Donaudampfschifffahrtsgesellschaft'.repeat(5)}.` });
  await publish(server.url, BLOG, {
    body: `Inline \`${'code'.repeat(60)}\`\n\n\`\`\`\n${'const x = 1; '.repeat(40)}\n\`\`\``,
    author: 'N'.repeat(100),
  });
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

async function phone(url: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true })).newPage();
  await page.goto(url);
  return page;
}

const pageWidth = (page: Page) => page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));

describe('at 390 px', () => {
  it('the reader page is no wider than the screen', async () => {
    const page = await phone(`${server.url}/blogs/${BLOG}`);
    await page.waitForSelector('.lb-blog[data-connection="live"]');
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.context().close();
  });

  it('the iframe page is no wider than its frame', async () => {
    const page = await phone(`${server.url}/embed/${BLOG}`);
    await page.waitForSelector('.lb-blog[data-connection="live"]');
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    await page.context().close();
  });

  it('the widget keeps the host page within the screen', async () => {
    host.pages.set(
      '/phone',
      `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><body style="margin:0"><p>Host</p>` +
        `<div data-liveblog="${BLOG}"></div><script src="${server.url}/embed.js" async></script></body>`,
    );
    const page = await phone(`${host.url}/phone`);
    await page.locator('[data-liveblog] .lb-blog[data-connection="live"]').waitFor();
    expect(await pageWidth(page)).toBeLessThanOrEqual(PHONE.width);
    const widgetWidth = await page.locator('[data-liveblog] .lb-widget').evaluate((element) => element.scrollWidth);
    expect(widgetWidth).toBeLessThanOrEqual(PHONE.width);
    await page.context().close();
  });
});
