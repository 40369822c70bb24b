/**
 * The widget as a producer writes its tag and as a reader's network behaves, in a real Chromium:
 * `data-limit` and `data-theme` as people type them, and a reader who goes offline and comes back.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import { createBlog, publish } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('e2e-widget-network');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;

beforeAll(async () => {
  [server, browser, host] = await Promise.all([startServer({ prefix }), launchBrowser(), startHostSite()]);
  await createBlog(server.url, 'widget-net', 'Widget on the move');
  for (let i = 0; i < 12; i++) await publish(server.url, 'widget-net', { body: `Entry ${i}` });
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

function widgetPage(path: string, attributes: string): string {
  const html = `<!doctype html><div data-liveblog="widget-net" id="w" ${attributes}></div><script src="${server.url}/embed.js" async></script>`;
  host.pages.set(path, html);
  return `${host.url}${path}`;
}

describe('the widget’s options as people type them', () => {
  it.each([
    ['2.5', 2],
    ['3.9', 3],
    ['0', 10],
    ['-4', 1],
    ['999', 12],
    ['many', 10],
    [' 4 ', 4],
  ])('data-limit="%s" shows %i updates, never a failed widget', async (limit, shown) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(widgetPage(`/limit-${encodeURIComponent(limit)}`, `data-limit="${limit}"`));
    await page.locator('#w .lb-blog[data-connection="live"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#w .lb-updates > article').count()).toBe(shown);
    await page.context().close();
  });

  it.each([
    ['DARK', 'dark'],
    [' Light ', 'light'],
    ['Auto', 'auto'],
    ['purple', 'auto'],
  ])('data-theme="%s" is %s', async (theme, used) => {
    const page = await (await browser.newContext()).newPage();
    await page.goto(widgetPage(`/theme-${encodeURIComponent(theme)}`, `data-theme="${theme}"`));
    await page.locator('#w .lb-blog').waitFor();
    expect(await page.locator('#w .lb-widget').getAttribute('data-theme')).toBe(used);
    await page.context().close();
  });
});

describe('a reader who goes offline', () => {
  it('the widget says "Reconnecting…" at once, and catches up at once when back online', async () => {
    const context = await browser.newContext();
    let failedAttempts = 0;
    context.on('requestfailed', (request) => {
      if (request.url().includes('/socket.io/')) failedAttempts++;
    });
    const page = await context.newPage();
    page.on('websocket', (ws) => ws.on('socketerror', () => failedAttempts++));
    await page.goto(widgetPage('/offline', ''));
    await page.locator('#w .lb-blog[data-connection="live"]').waitFor();
    await context.setOffline(true);
    await page.locator('#w .lb-blog[data-connection="reconnecting"]').waitFor({ timeout: 2_000 });
    expect(await page.locator('#w .lb-connection').textContent()).toBe('Reconnecting…');
    const missed = await publish(server.url, 'widget-net', { body: 'Published while the reader was offline' });
    // Several attempts failed: the back-off before the next has grown past the wait below.
    await waitFor(() => failedAttempts >= 4, 'four failed reconnection attempts', 20_000);
    await context.setOffline(false);
    await page.locator(`#w #update-${missed.id}`).waitFor({ timeout: 1_500 });
    await page.locator('#w .lb-blog[data-connection="live"]').waitFor({ timeout: 1_000 });
    await context.close();
  }, 40_000);
});
