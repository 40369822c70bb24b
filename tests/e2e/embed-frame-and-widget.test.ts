/**
 * Embedding, as a producer's reader sees it in a real Chromium: the iframe page holds new updates while
 * the reader is scrolled and keeps a bounded height with its own scrolling; the widget's permalinks
 * work on the host page; the widget adds no landmarks that duplicate the host's.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Frame, Page } from 'playwright-core';
import type { BlogStats, Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('e2e-embed-more');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;
const TEXT = 'Negotiators met again in the afternoon, and both sides described the talks as constructive. '.repeat(3);
/** The iframe never grows beyond this. */
const FRAME_MAX = 1000;

beforeAll(async () => {
  [server, browser, host] = await Promise.all([startServer({ prefix, reach: { statsFlushMs: 200 } }), launchBrowser(), startHostSite()]);
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

async function seed(blogId: string, count: number): Promise<Update[]> {
  await createBlog(server.url, blogId, `Story ${blogId}`);
  const updates: Update[] = [];
  for (let i = 0; i < count; i++) {
    updates.push(
      await publish(server.url, blogId, { body: `Entry ${i}. ${TEXT}`, publishedAt: new Date(Date.UTC(2025, 0, 11, 6, i)).toISOString() }),
    );
  }
  return updates;
}

/** A host article with the README's iframe snippet, long text before and after it. */
function framedArticle(blogId: string): string {
  const filler = '<p style="height:900px">The host article’s own text.</p>';
  return `<!doctype html><html><body style="margin:0">${filler}
    <iframe id="lb" src="${server.url}/embed/${blogId}" style="width:100%;border:0;display:block" title="Live blog"></iframe>
    ${filler}${filler}
    <script>
      window.addEventListener('message', (event) => {
        if (event.origin !== '${server.url}' || event.data?.type !== 'liveblog:height') return;
        document.getElementById('lb').style.height = event.data.height + 'px';
      });
    </script></body></html>`;
}

async function openFramed(blogId: string): Promise<{ page: Page; frame: Frame }> {
  host.pages.set(`/framed-${blogId}`, framedArticle(blogId));
  const page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
  await page.goto(`${host.url}/framed-${blogId}`);
  const frame = (await (await page.$('#lb'))!.contentFrame())!;
  await frame.waitForSelector('.lb-blog[data-connection="live"]');
  return { page, frame };
}

/** Where an update is on the reader's screen (the host page's viewport). */
async function screenTop(page: Page, frame: Frame, id: string): Promise<number> {
  const frameTop = await page.$eval('#lb', (element) => element.getBoundingClientRect().top);
  return Math.round(frameTop + (await frame.$eval(`#update-${id}`, (element) => element.getBoundingClientRect().top)));
}

describe('the iframe page', () => {
  it('tells the editors’ figures which site frames it (its origin only), and the widget is counted by its host too', async () => {
    await seed('frame-site', 2);
    const { page } = await openFramed('frame-site');
    const stats = await waitFor(async () => {
      const answer = await request<BlogStats>(server.url, 'GET', '/api/blogs/frame-site/stats');
      return answer.body.readersNow === 1 ? answer.body : null;
    }, 'the framed reader counted');
    expect(stats.embeds).toEqual([{ origin: host.url, readers: 1 }]);
    await page.context().close();
  });

  it('keeps a bounded height, scrolls within, and links to the full live blog', async () => {
    await seed('frame-long', 45);
    const { page, frame } = await openFramed('frame-long');
    await page.waitForFunction(() => document.getElementById('lb')!.getBoundingClientRect().height > 300);
    const height = () => page.$eval('#lb', (element) => element.getBoundingClientRect().height);
    expect(await height()).toBeLessThanOrEqual(FRAME_MAX);
    await frame.getByRole('button', { name: 'Load older updates' }).click();
    await frame.waitForFunction(() => document.querySelectorAll('.lb-updates > article').length === 40);
    await page.waitForTimeout(200);
    expect(await height()).toBeLessThanOrEqual(FRAME_MAX);
    const link = frame.getByRole('link', { name: 'Open the full live blog' });
    expect(await link.getAttribute('href')).toBe(`${server.url}/blogs/frame-long`);
    expect(await link.isVisible()).toBe(true);
    await page.context().close();
  });

  it('holds a new update behind the notice while the reader is scrolled past its top: nothing moves', async () => {
    const updates = await seed('frame-hold', 4);
    const { page, frame } = await openFramed('frame-hold');
    // the reader scrolls the article down so that the frame's top is above the screen
    await page.evaluate(() => window.scrollTo(0, 900 + 250));
    await page.waitForTimeout(200);
    const anchor = updates[1].id;
    const before = await screenTop(page, frame, anchor);
    const fresh = await publish(server.url, 'frame-hold', { body: `Arriving while scrolled. ${TEXT}` });
    await frame.getByRole('button', { name: '1 new update' }).waitFor({ state: 'attached' });
    expect(await screenTop(page, frame, anchor)).toBe(before);
    expect(await frame.$(`#update-${fresh.id}`)).toBeNull();
    // back at the frame's top, it shows
    await page.$eval('#lb', (element) => element.scrollIntoView({ block: 'start' }));
    await frame.waitForSelector(`#update-${fresh.id}`);
    await page.context().close();
  });

  it('holds a new update while the reader scrolled within the frame', async () => {
    const updates = await seed('frame-inner', 30);
    const { page, frame } = await openFramed('frame-inner');
    await page.$eval('#lb', (element) => element.scrollIntoView({ block: 'start' }));
    await frame.$eval(`#update-${updates[20].id}`, (element) => element.scrollIntoView({ block: 'start' }));
    const before = await screenTop(page, frame, updates[20].id);
    const fresh = await publish(server.url, 'frame-inner', { body: 'Inner scroll news' });
    await frame.getByRole('button', { name: '1 new update' }).waitFor();
    expect(await screenTop(page, frame, updates[20].id)).toBe(before);
    expect(await frame.$(`#update-${fresh.id}`)).toBeNull();
    await page.context().close();
  });
});

describe('the widget', () => {
  it('opens host-page#update-ID at that update, loading it if it is not shown', async () => {
    const updates = await seed('widget-permalink', 30);
    host.pages.set(
      '/widget-article',
      `<!doctype html><body><p style="height:1200px">Host text</p><div data-liveblog="widget-permalink" data-limit="5" id="w"></div>` +
        `<p style="height:3000px">More host text</p><script src="${server.url}/embed.js" async></script></body>`,
    );
    const deep = updates[3];
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
    await page.goto(`${host.url}/widget-article#update-${deep.id}`);
    await page.locator(`#w #update-${deep.id}`).waitFor();
    await page.waitForFunction((id) => {
      const rect = document.getElementById('w')!.shadowRoot!.getElementById(`update-${id}`)!.getBoundingClientRect();
      return rect.top >= 0 && rect.top < window.innerHeight / 2;
    }, deep.id);
    // its permalinks name the host page, and following one scrolls the widget to it
    expect(await page.locator(`#w #update-${deep.id} .lb-permalink`).getAttribute('href')).toBe(`#update-${deep.id}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.evaluate((id) => (location.hash = `#update-${id}`), updates[28].id);
    await page.waitForFunction((id) => {
      const rect = document.getElementById('w')!.shadowRoot!.getElementById(`update-${id}`)?.getBoundingClientRect();
      return rect !== undefined && rect.top >= 0 && rect.top < window.innerHeight / 2;
    }, updates[28].id);
    await page.context().close();
  });

  it("follows its permalinks on a host page whose <base href> points elsewhere, keeping the host's own address", async () => {
    const updates = await seed('widget-base', 12);
    host.pages.set(
      '/based/article?x=1',
      `<!doctype html><head><base href="https://elsewhere.example/path/"></head><body><div data-liveblog="widget-base" data-limit="5" id="w"></div>` +
        `<p style="height:3000px">More host text</p><script src="${server.url}/embed.js" async></script></body>`,
    );
    const page = await (await browser.newContext({ viewport: { width: 1000, height: 800 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${host.url}/based/article?x=1`);
    await page.locator('#w .lb-blog[data-connection="live"]').waitFor();
    const target = updates[9];
    await page.locator(`#w #update-${target.id} .lb-permalink`).click();
    await page.waitForFunction((id) => location.hash === `#update-${id}`, target.id);
    expect(page.url()).toBe(`${host.url}/based/article?x=1#update-${target.id}`);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('reconnects by itself after the server restarts, and catches up with nothing missed or twice', async () => {
    const blog = await createBlog(server.url, 'widget-restart');
    const first = await publish(server.url, blog.id, { body: 'Before the restart' });
    host.pages.set(
      '/restart',
      `<!doctype html><div data-liveblog="${blog.id}" id="w"></div><script src="${server.url}/embed.js" async></script>`,
    );
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${host.url}/restart`);
    await page.locator('#w .lb-blog[data-connection="live"]').waitFor();
    const port = server.port;
    await server.stop();
    await page.locator('#w .lb-blog[data-connection="reconnecting"]').waitFor();
    server = await startServer({ prefix, port });
    const missed = await publish(server.url, blog.id, { body: 'Published while the widget was away' });
    await page.locator(`#w #update-${missed.id}`).waitFor({ timeout: 20_000 });
    await page.locator('#w .lb-blog[data-connection="live"]').waitFor();
    const after = await publish(server.url, blog.id, { body: 'Live again' });
    await page.locator(`#w #update-${after.id}`).waitFor();
    const ids = await page.locator('#w .lb-updates > article').evaluateAll((articles) => articles.map((a) => a.id.replace('update-', '')));
    expect(ids).toEqual([after.id, missed.id, first.id]);
    await page.context().close();
  }, 45_000);

  it('goes live over long-polling where WebSocket is blocked, and stays exact through a restart', async () => {
    const blog = await createBlog(server.url, 'widget-no-websocket');
    const first = await publish(server.url, blog.id, { body: 'Before the widget' });
    host.pages.set(
      '/no-websocket',
      `<!doctype html><div data-liveblog="${blog.id}" id="w"></div><script src="${server.url}/embed.js" async></script>`,
    );
    const page = await (await browser.newContext()).newPage();
    // A proxy that refuses every WebSocket: each one is closed before the server sees it.
    let refused = 0;
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      refused++;
      ws.close();
    });
    const polls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('transport=polling')) polls.push(request.method());
    });
    await page.goto(`${host.url}/no-websocket`);
    await page.locator('#w .lb-blog[data-connection="live"]').waitFor({ timeout: 15_000 });
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(polls).toEqual(expect.arrayContaining(['GET', 'POST']));
    const live = await publish(server.url, blog.id, { body: 'Over long-polling' });
    await page.locator(`#w #update-${live.id}`).waitFor();
    const port = server.port;
    await server.stop();
    await page.locator('#w .lb-blog[data-connection="reconnecting"]').waitFor();
    server = await startServer({ prefix, port });
    const missed = await publish(server.url, blog.id, { body: 'Published while the widget was away' });
    await page.locator(`#w #update-${missed.id}`).waitFor({ timeout: 20_000 });
    const after = await publish(server.url, blog.id, { body: 'Live again, still polling' });
    await page.locator(`#w #update-${after.id}`).waitFor();
    const ids = await page.locator('#w .lb-updates > article').evaluateAll((articles) => articles.map((a) => a.id.replace('update-', '')));
    expect(ids).toEqual([after.id, missed.id, live.id, first.id]);
    await page.context().close();
  }, 60_000);

  it('adds no banner or navigation landmark to the host page, with two widgets', async () => {
    const blog = await seed('widget-landmarks', 3);
    await publish(server.url, 'widget-landmarks', { body: 'Key', keyEvent: true, title: 'A key event' });
    host.pages.set(
      '/landmarks',
      `<!doctype html><html lang="en"><head><title>Host</title></head><body><header>Host masthead</header><nav aria-label="Sections"><a href="/">Home</a></nav>` +
        `<main><h1>Article</h1><div data-liveblog="widget-landmarks" id="w1"></div><div data-liveblog="widget-landmarks" id="w2"></div></main>` +
        `<script src="${server.url}/embed.js" async></script></body></html>`,
    );
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${host.url}/landmarks`);
    await page.locator('#w1 .lb-blog[data-connection="live"]').waitFor();
    await page.locator('#w2 .lb-blog[data-connection="live"]').waitFor();
    expect(blog).toHaveLength(3);
    expect(await page.getByRole('banner').count()).toBe(1);
    expect(await page.getByRole('navigation').count()).toBe(1);
    expect(await page.getByRole('main').count()).toBe(1);
    // the key events and updates are still there, as headings and lists
    expect(await page.locator('#w1').getByRole('heading', { name: 'Key events' }).count()).toBe(1);
    await page.context().close();
  });
});
