/**
 * The reader's page and the iframe page keep their connection where networks get in the way, in a real
 * Chromium: a proxy that accepts every WebSocket and drops it at once (long-polling takes over), and a
 * reader who goes offline and comes back (said at once, caught up at once).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Frame, Page } from 'playwright-core';
import { createBlog, publish } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('e2e-reader-connection');
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

/** A context whose every WebSocket is accepted and closed at once, as by a proxy that drops them; it counts them and the polls. */
async function droppingWebSockets(): Promise<{ context: BrowserContext; dropped: () => number; polls: string[] }> {
  const context = await browser.newContext();
  let dropped = 0;
  await context.routeWebSocket(/\/socket\.io\//, (ws) => {
    dropped++;
    ws.close();
  });
  const polls: string[] = [];
  context.on('request', (request) => {
    if (request.url().includes('transport=polling')) polls.push(request.method());
  });
  return { context, dropped: () => dropped, polls };
}

describe('a proxy that accepts every WebSocket and drops it at once', () => {
  it('the reader’s page long-polls instead, and a published update arrives', async () => {
    await createBlog(server.url, 'ws-dropped-page', 'Dropped sockets');
    const { context, dropped, polls } = await droppingWebSockets();
    const page = await context.newPage();
    await page.goto(`${server.url}/blogs/ws-dropped-page`);
    await page.locator('.lb-blog[data-connection="live"]').waitFor({ timeout: 10_000 });
    expect(dropped()).toBeGreaterThanOrEqual(2);
    expect(polls).toEqual(expect.arrayContaining(['GET', 'POST']));
    const update = await publish(server.url, 'ws-dropped-page', { body: 'Over long-polling' });
    await page.locator(`#update-${update.id}`).waitFor({ timeout: 5_000 });
    expect(await page.locator('.lb-connection').textContent()).toBe('');
    await context.close();
  }, 30_000);

  it('so does the iframe page, framed by another site', async () => {
    await createBlog(server.url, 'ws-dropped-frame', 'Dropped sockets, framed');
    host.pages.set(
      '/dropped',
      `<!doctype html><iframe id="lb" src="${server.url}/embed/ws-dropped-frame" style="width:100%;height:800px" title="Live blog"></iframe>`,
    );
    const { context, dropped, polls } = await droppingWebSockets();
    const page = await context.newPage();
    await page.goto(`${host.url}/dropped`);
    const frame = (await (await page.$('#lb'))!.contentFrame())!;
    await frame.locator('.lb-blog[data-connection="live"]').waitFor({ timeout: 10_000 });
    expect(dropped()).toBeGreaterThanOrEqual(2);
    expect(polls).toEqual(expect.arrayContaining(['GET', 'POST']));
    const update = await publish(server.url, 'ws-dropped-frame', { body: 'Over long-polling, in the frame' });
    await frame.locator(`#update-${update.id}`).waitFor({ timeout: 5_000 });
    await context.close();
  }, 30_000);
});

describe('a reader who goes offline', () => {
  async function offlineAndBack(page: Page | Frame, context: BrowserContext, blogId: string): Promise<void> {
    let failedPolls = 0;
    context.on('requestfailed', (request) => {
      if (request.url().includes('transport=polling')) failedPolls++;
    });
    await page.locator('.lb-blog[data-connection="live"]').waitFor();
    await context.setOffline(true);
    // said at once, not after the heartbeat's 45 s
    await page.locator('.lb-blog[data-connection="reconnecting"]').waitFor({ timeout: 2_000 });
    expect(await page.locator('.lb-connection').textContent()).toBe('Reconnecting…');
    const missed = await publish(server.url, blogId, { body: 'Published while the reader was offline' });
    // Four reconnection attempts failed: the back-off before the next is 4–5 s, longer than the wait below.
    await waitFor(() => failedPolls >= 4, 'four failed reconnection attempts', 15_000);
    await context.setOffline(false);
    await page.locator(`#update-${missed.id}`).waitFor({ timeout: 2_500 });
    await page.locator('.lb-blog[data-connection="live"]').waitFor({ timeout: 1_000 });
  }

  it('the reader’s page says "Reconnecting…" at once, and catches up at once when back online', async () => {
    await createBlog(server.url, 'offline-page', 'Offline reader');
    const context = await browser.newContext();
    const page = await context.newPage();
    // As `npm start` prints it: on "localhost", where engine.io-client does not listen for `offline` itself.
    await page.goto(`${server.url.replace('127.0.0.1', 'localhost')}/blogs/offline-page`);
    await offlineAndBack(page, context, 'offline-page');
    await context.close();
  }, 40_000);

  it('so does the iframe page', async () => {
    await createBlog(server.url, 'offline-frame', 'Offline reader, framed');
    host.pages.set(
      '/offline',
      `<!doctype html><iframe id="lb" src="${server.url}/embed/offline-frame" style="width:100%;height:800px" title="Live blog"></iframe>`,
    );
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${host.url}/offline`);
    const frame = (await (await page.$('#lb'))!.contentFrame())!;
    await offlineAndBack(frame, context, 'offline-frame');
    await context.close();
  }, 40_000);
});
