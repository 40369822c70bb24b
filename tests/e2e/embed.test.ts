/**
 * The widget on another site, in a real Chromium: a host page served from another origin (another
 * port) whose CSS is hostile, two widgets sharing one connection, and the iframe page's height messages.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-embed');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;

/** Styles a careless (or hostile) host site might have: none may reach into the widget. */
const HOSTILE_CSS = `
  * { color: rgb(255, 0, 0) !important; font-family: "Comic Sans MS", cursive !important; letter-spacing: 3px !important; }
  html { font-size: 40px !important; }
  div, p, section, article { background: rgb(0, 255, 0) !important; display: inline !important; }
  .lb-update, .lb-title, .lb-blog, article { display: none !important; }
  button { visibility: hidden !important; }
`;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
  host = await startHostSite();
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

/** Opens a host page; `sockets` collects the WebSocket connections it opens, from the first. */
async function visit(path: string, sockets: string[] = [], options: BrowserContextOptions = {}): Promise<Page> {
  const page = await (await browser.newContext(options)).newPage();
  page.on('websocket', (socket) => sockets.push(socket.url()));
  await page.goto(`${host.url}${path}`);
  return page;
}

describe('the embed widget', () => {
  it('renders each blog live in a shadow root on a foreign, hostile page, over one shared connection', async () => {
    const kursk = await createBlog(server.url, 'widget-kursk', 'Kursk, live');
    const other = await createBlog(server.url, 'widget-other', 'Another story');
    const first = await publish(server.url, kursk.id, { body: 'Two soldiers **captured**' });
    await publish(server.url, other.id, { body: 'Meanwhile elsewhere' });
    host.pages.set(
      '/article',
      `<!doctype html><html><head><title>Host</title><style>${HOSTILE_CSS}</style></head><body>
        <h1 class="lb-title" id="host-title">The host's own headline</h1>
        <p class="lb-update" id="host-update">The host's own paragraph</p>
        <div data-liveblog="${kursk.id}" data-limit="5" data-theme="light" id="w1"></div>
        <div data-liveblog="${other.id}" data-theme="dark" id="w2"></div>
        <script src="${server.url}/embed.js" async></script></body></html>`,
    );
    const sockets: string[] = [];
    const page = await visit('/article', sockets);
    // Playwright's CSS locators pierce open shadow roots; the host's selectors do not.
    const widget = page.locator('#w1');
    await widget.locator(`#update-${first.id}`).waitFor();
    await page.locator('#w2 .lb-blog[data-connection="live"]').waitFor();
    await widget.locator('.lb-blog[data-connection="live"]').waitFor();

    const styleOf = (selector: string) =>
      widget
        .locator(selector)
        .first()
        .evaluate((element) => {
          const style = getComputedStyle(element);
          return {
            color: style.color,
            display: style.display,
            font: style.fontFamily,
            spacing: style.letterSpacing,
            size: style.fontSize,
            background: style.backgroundColor,
          };
        });
    const title = await styleOf('.lb-title');
    expect(title.color).toBe('rgb(26, 26, 26)');
    expect(title.display).toBe('block');
    expect(title.font).toContain('Georgia');
    expect(title.spacing).toBe('normal');
    expect(title.size).toBe(`${17 * 1.5}px`); // our 17px base and 1.5em: the host's 40px root font size does not count
    expect((await styleOf('.lb-update')).display).toBe('block');
    expect((await styleOf('.lb-update')).background).not.toBe('rgb(0, 255, 0)');
    // and nothing of ours leaks out onto the host's elements of the same class names
    const hostTitle = await page.locator('#host-title').evaluate((element) => getComputedStyle(element).fontSize);
    expect(hostTitle).toBe(await page.evaluate(() => getComputedStyle(document.querySelector('h1')!).fontSize));
    expect(await page.locator('#host-update').evaluate((element) => getComputedStyle(element).borderTopWidth)).toBe('0px');
    // dark theme on request
    expect(await page.locator('#w2 .lb-widget').evaluate((element) => getComputedStyle(element).backgroundColor)).toBe('rgb(18, 18, 18)');

    const fresh = await publish(server.url, kursk.id, { body: 'Live into the widget' });
    await widget.locator(`#update-${fresh.id}`).waitFor();
    const elsewhere = await publish(server.url, other.id, { body: 'Live into the second widget' });
    await page.locator(`#w2 #update-${elsewhere.id}`).waitFor();
    expect(await widget.locator(`#update-${elsewhere.id}`).count()).toBe(0);
    await request(server.url, 'PATCH', `/api/blogs/${kursk.id}/updates/${fresh.id}`, { body: { body: 'Corrected in the widget' } });
    await widget.locator(`#update-${fresh.id} .lb-update__body`, { hasText: 'Corrected in the widget' }).waitFor();
    await request(server.url, 'DELETE', `/api/blogs/${kursk.id}/updates/${first.id}`);
    await widget.locator(`#update-${first.id}`).waitFor({ state: 'detached' });
    // two widgets, one WebSocket
    expect(sockets).toHaveLength(1);
    expect(sockets[0]).toContain(`${server.url.replace('http', 'ws')}/socket.io/`);
    await page.context().close();
  });

  it("follows the reader's colour scheme unless data-theme fixes one", async () => {
    const blog = await createBlog(server.url, 'widget-themes');
    host.pages.set(
      '/themes',
      `<!doctype html><div data-liveblog="${blog.id}" id="auto"></div><div data-liveblog="${blog.id}" data-theme="light" id="light"></div>
        <div data-liveblog="${blog.id}" data-theme="dark" id="dark"></div><script src="${server.url}/embed.js" async></script>`,
    );
    const white = 'rgb(255, 255, 255)';
    const black = 'rgb(18, 18, 18)';
    for (const [colorScheme, auto] of [
      ['light', white],
      ['dark', black],
    ] as const) {
      const page = await visit('/themes', [], { colorScheme });
      const background = async (id: string) => {
        await page.locator(`#${id} .lb-blog[data-connection="live"]`).waitFor();
        return page.locator(`#${id} .lb-widget`).evaluate((element) => getComputedStyle(element).backgroundColor);
      };
      expect({ auto: await background('auto'), light: await background('light'), dark: await background('dark') }).toEqual({
        auto,
        light: white,
        dark: black,
      });
      await page.context().close();
    }
  });

  it('respects data-limit and pages back within the widget', async () => {
    const blog = await createBlog(server.url, 'widget-limit');
    for (let i = 0; i < 8; i++) await publish(server.url, blog.id, { body: `Entry ${i}` });
    host.pages.set(
      '/limited',
      `<!doctype html><div data-liveblog="${blog.id}" data-limit="3"></div><script src="${server.url}/embed.js" async></script>`,
    );
    const page = await visit('/limited');
    const widget = page.locator('[data-liveblog]');
    await widget.locator('.lb-blog').waitFor();
    expect(await widget.locator('.lb-updates > article').count()).toBe(3);
    await widget.getByRole('button', { name: 'Load older updates' }).click();
    await page.waitForFunction(
      () => document.querySelector('[data-liveblog]')!.shadowRoot!.querySelectorAll('.lb-updates > article').length === 8,
    );
    await page.context().close();
  });
});

describe('the iframe page', () => {
  it('posts its height to the parent, which grows the iframe as updates arrive', async () => {
    const blog = await createBlog(server.url, 'framed', 'Framed story');
    await publish(server.url, blog.id, { body: 'First' });
    host.pages.set(
      '/framed',
      `<!doctype html><html><body>
        <iframe id="lb" src="${server.url}/embed/${blog.id}" style="width:100%;border:0" title="Live blog"></iframe>
        <script>
          window.heights = [];
          window.addEventListener('message', (event) => {
            if (event.origin !== '${server.url}' || event.data?.type !== 'liveblog:height') return;
            window.heights.push(event.data.height);
            document.getElementById('lb').style.height = event.data.height + 'px';
          });
        </script></body></html>`,
    );
    const page = await visit('/framed');
    await page.waitForFunction(() => (window as unknown as { heights: number[] }).heights.length > 0);
    const before = await page.evaluate(() => (window as unknown as { heights: number[] }).heights.at(-1)!);
    await publish(server.url, blog.id, { body: `A longer entry. ${'More text. '.repeat(60)}` });
    await page.waitForFunction((height) => (window as unknown as { heights: number[] }).heights.at(-1)! > height + 50, before);
    const frameHeight = await page.locator('#lb').evaluate((element) => element.getBoundingClientRect().height);
    expect(frameHeight).toBe(await page.evaluate(() => (window as unknown as { heights: number[] }).heights.at(-1)));
    await page.context().close();
  });
});
