/**
 * Uploaded pictures as readers get them, in a real Chromium, on the reader's page, the iframe page and
 * the widget inside its shadow root on another site: the figure with its caption and credit; an img
 * whose box has its final size before a byte of the picture arrives (no layout shift); one variant
 * loaded, AVIF, from the service; a live picture shown without a reload (in the widget, from absolute
 * URLs); a tap on it opening the full-size file; a takedown removing it from the screen at once; and no
 * request to anywhere but the service (and, for the widget, the host site). At 390 px the picture fits
 * the column; a host page with a strict CSP needs only the service's origin. Pictures are a
 * photographer's JPEGs (GPS and all) uploaded through the service's own route, as the desk does; what
 * readers load carries none of that metadata.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Locator, Page, Route } from 'playwright-core';
import type { MediaInfo } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { uploadedPicture } from '../helpers/media';
import { metadataFound, richJpeg } from '../helpers/pictures';
import { testPrefix } from '../helpers/redis';
import { waitFor } from '../helpers/wait';

const prefix = testPrefix('e2e-media');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;

const FIRST = {
  alt: 'Soldiers walk past a burnt-out armoured vehicle',
  caption: 'Sudzha, on Tuesday morning',
  credit: 'Photo: Jane Roe / Agency',
};
const LIVE = { alt: 'A checkpoint at the border', caption: 'The border crossing at dusk', credit: 'Photo: John Doe' };
/**
 * A photographer's JPEG, 800 × 1200 stored, EXIF orientation 6 (upright 1200 × 800), with GPS, XMP, IPTC
 * and a comment: the page reserves the upright shape, scaled to its column.
 */
const UPRIGHT = { width: 1200, height: 800 };

async function upload(blogId: string, fields: typeof FIRST): Promise<MediaInfo> {
  return uploadedPicture(server.url, blogId, await richJpeg(UPRIGHT.height, UPRIGHT.width), { fields, type: 'image/jpeg' });
}

/** One blog per surface, so that each page starts with exactly one picture; `live` is published while it is open. */
interface Story {
  blogId: string;
  first: MediaInfo;
  /** The update showing `first`. */
  firstUpdate: string;
  live: MediaInfo;
}

async function story(blogId: string): Promise<Story> {
  await createBlog(server.url, blogId, `Pictures on ${blogId}`);
  const first = await upload(blogId, FIRST);
  const live = await upload(blogId, LIVE);
  expect([first.width, first.height]).toEqual([UPRIGHT.width, UPRIGHT.height]);
  await publish(server.url, blogId, { body: 'Before the picture.' });
  const update = await publish(server.url, blogId, { body: `Our photographer in the town:\n\n${first.markdown}` });
  return { blogId, first, firstUpdate: update.id, live };
}

const surfaces: Record<'reader' | 'frame' | 'widget', { story?: Story; url: () => string; root: string }> = {
  reader: { url: () => `${server.url}/blogs/${surfaces.reader.story!.blogId}`, root: '' },
  frame: { url: () => `${server.url}/embed/${surfaces.frame.story!.blogId}`, root: '' },
  widget: { url: () => `${host.url}/${surfaces.widget.story!.blogId}`, root: '[data-liveblog] ' },
};

beforeAll(async () => {
  [server, browser, host] = await Promise.all([startServer({ prefix }), launchBrowser(), startHostSite()]);
  for (const [name, surface] of Object.entries(surfaces)) surface.story = await story(`pics-${name}`);
  const widgetBlog = surfaces.widget.story!.blogId;
  host.pages.set(
    `/${widgetBlog}`,
    `<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1"><body style="margin:0"><p>The host’s article.</p>` +
      `<div data-liveblog="${widgetBlog}"></div><script src="${server.url}/embed.js" async></script></body>`,
  );
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

interface Answer {
  url: string;
  status: number;
  type: string;
}

/**
 * A browser context whose every request and answer is recorded. Pictures' files are held back until
 * `release()`, so that the page can be measured before any of them arrived; anything asked of another
 * machine is refused (and recorded, so that the test sees it).
 */
async function recorded(viewport = { width: 1000, height: 900 }): Promise<{
  context: BrowserContext;
  page: Page;
  requests: string[];
  answers: Answer[];
  release(): void;
}> {
  const context = await browser.newContext({ viewport });
  const requests: string[] = [];
  const answers: Answer[] = [];
  context.on('request', (req) => requests.push(req.url()));
  context.on('response', (res) => answers.push({ url: res.url(), status: res.status(), type: res.headers()['content-type'] ?? '' }));
  const held: Route[] = [];
  let released = false;
  await context.route(
    (url) => url.pathname.startsWith('/media/'),
    (route) => (released ? route.continue() : void held.push(route)),
  );
  const local = (url: URL) => url.hostname === '127.0.0.1' || url.hostname === 'localhost';
  await context.route(
    (url) => !local(url),
    (route) => route.abort(),
  );
  const release = () => {
    released = true;
    for (const route of held.splice(0)) void route.continue();
  };
  return { context, page: await context.newPage(), requests, answers, release };
}

const mediaRequests = (requests: string[]) => requests.filter((url) => new URL(url).pathname.startsWith('/media/'));

/** The img's box, as laid out. */
const box = (img: Locator) =>
  img.evaluate((element) => {
    const rect = element.getBoundingClientRect();
    return { width: Math.round(rect.width), height: Math.round(rect.height), top: Math.round(rect.top) };
  });

/** The img, loaded and decoded (rejects if the picture failed). */
const loaded = (img: Locator) => img.evaluate((element: HTMLImageElement) => element.decode().then(() => element.currentSrc));

async function checkFigure(page: Page, root: string, updateId: string, upload: MediaInfo, fields: typeof FIRST): Promise<Locator> {
  const figure = page.locator(`${root}#update-${updateId} figure.lb-figure`);
  await figure.waitFor({ timeout: 10_000 });
  expect(await figure.locator('figcaption').innerText()).toContain(fields.caption);
  expect(await figure.locator('figcaption .lb-credit').innerText()).toBe(fields.credit);
  const img = figure.locator('picture img');
  const attributes = await img.evaluate((element) =>
    Object.fromEntries(
      ['width', 'height', 'alt', 'srcset', 'sizes', 'loading', 'decoding', 'src'].map((name) => [name, element.getAttribute(name)]),
    ),
  );
  expect(attributes).toMatchObject({
    width: String(upload.width),
    height: String(upload.height),
    alt: fields.alt,
    loading: 'lazy',
    decoding: 'async',
  });
  expect(attributes.srcset).toMatch(/ 480w, .* 960w/);
  expect(attributes.sizes).toBeTruthy();
  expect(await figure.locator('source[type="image/avif"]').count()).toBe(1);
  // The caption and the credit are told apart: not the same colour, size and line.
  const [caption, credit] = await figure.locator('figcaption').evaluate((element) => {
    const style = (e: Element) => {
      const s = getComputedStyle(e);
      return `${s.color} ${s.fontSize} ${s.display}`;
    };
    return [style(element), style(element.querySelector('.lb-credit')!)];
  });
  expect(credit).not.toBe(caption);
  // A tap opens the full-size picture: a link named by the picture's alt text, to the full file, in a new tab.
  const link = figure.getByRole('link', { name: fields.alt });
  expect(await link.evaluate((element: HTMLAnchorElement) => [element.href, element.target])).toEqual([upload.url, '_blank']);
  return img;
}

/** Every request went to the service, or (for the widget) the host site, and pictures to the service alone. */
function checkOrigins(requests: string[], allowed: string[]): void {
  expect(requests.filter((url) => !allowed.includes(new URL(url).origin))).toEqual([]);
  expect(mediaRequests(requests).filter((url) => new URL(url).origin !== server.url)).toEqual([]);
}

describe('an uploaded picture on the readers’ three surfaces', () => {
  it.each(['reader', 'frame', 'widget'] as const)(
    'on the %s: figure, caption, credit, a reserved box, one AVIF variant, a live picture, the full size a tap away',
    async (name) => {
      const { story: s, url, root } = surfaces[name];
      const { first, live } = s!;
      const { context, page, requests, answers, release } = await recorded();
      await page.goto(url());
      await page.locator(`${root}.lb-blog[data-connection="live"]`).waitFor({ timeout: 10_000 });
      const img = await checkFigure(page, root, s!.firstUpdate, first, FIRST);

      // Before any picture arrived (held back), the img has its final box: the column's width, the picture's shape.
      await waitFor(() => mediaRequests(requests).length > 0, 'the picture to be asked for');
      const before = await box(img);
      expect(await img.evaluate((element: HTMLImageElement) => element.complete && element.naturalWidth > 0)).toBe(false);
      expect(before.width).toBeGreaterThan(300);
      expect(Math.abs(before.height - (before.width * UPRIGHT.height) / UPRIGHT.width)).toBeLessThanOrEqual(1);
      const after = await page
        .locator(`${root}.lb-updates > article`)
        .last()
        .evaluate((element) => Math.round(element.getBoundingClientRect().top));
      release();
      const currentSrc = await loaded(img);
      expect(await box(img)).toEqual(before);
      expect(
        await page
          .locator(`${root}.lb-updates > article`)
          .last()
          .evaluate((element) => Math.round(element.getBoundingClientRect().top)),
      ).toBe(after);

      // One variant, AVIF, from the service's origin, answered 200.
      expect(mediaRequests(requests)).toEqual([currentSrc]);
      expect(currentSrc.startsWith(`${server.url}/media/${s!.blogId}/${first.id}/`)).toBe(true);
      expect(currentSrc).toMatch(/\.avif$/);
      const answer = await waitFor(() => answers.find((a) => a.url === currentSrc), 'the picture’s answer');
      expect(answer).toMatchObject({ status: 200, type: 'image/avif' });
      // What the reader got carries nothing of the photographer's metadata (GPS above all).
      expect(metadataFound(Buffer.from(await (await fetch(currentSrc)).arrayBuffer()))).toEqual([]);

      // A picture published now appears without a reload, its URLs the service's (absolute, in the widget).
      const update = await publish(server.url, s!.blogId, { body: live.markdown });
      const liveImg = await checkFigure(page, root, update.id, live, LIVE);
      if (name === 'widget') {
        const urls = await liveImg.evaluate((element) => [
          element.getAttribute('src')!,
          ...element.getAttribute('srcset')!.split(', '),
          ...Array.from(element.parentElement!.querySelectorAll('source'))
            .map((source) => source.getAttribute('srcset')!.split(', '))
            .flat(),
          element.closest('a')!.getAttribute('href')!,
        ]);
        expect(urls.filter((value) => !value.startsWith(`${server.url}/media/`))).toEqual([]);
      }
      const liveSrc = await loaded(liveImg);
      expect(liveSrc).toMatch(new RegExp(`^${server.url}/media/${s!.blogId}/${live.id}/\\d+-[0-9a-f]{16}\\.avif$`));
      expect(await waitFor(() => answers.find((a) => a.url === liveSrc), 'the live picture’s answer')).toMatchObject({
        status: 200,
        type: 'image/avif',
      });

      // A tap on the picture opens its full size in a new tab, and that file answers.
      const [tab] = await Promise.all([context.waitForEvent('page'), img.click()]);
      await tab.waitForLoadState();
      expect(tab.url()).toBe(first.url);
      expect(await waitFor(() => answers.find((a) => a.url === first.url), 'the full-size picture’s answer')).toMatchObject({
        status: 200,
        type: 'image/jpeg',
      });
      expect(metadataFound(Buffer.from(await (await fetch(first.url)).arrayBuffer()))).toEqual([]);

      // Taken down: gone from the reader's screen at once, nothing of it left (its alt text, caption or credit).
      const takedown = await request(server.url, 'DELETE', `/api/blogs/${s!.blogId}/media/${live.id}`);
      expect(takedown.status).toBe(204);
      const gone = page.locator(`${root}#update-${update.id}`);
      // Its reference leaves the update's body with it: no stand-in either.
      await gone.locator('figure').waitFor({ state: 'detached', timeout: 5_000 });
      expect(await gone.locator('img, .lb-image-refused').count()).toBe(0);
      expect(await gone.innerText()).not.toContain(LIVE.credit);
      expect(await gone.innerText()).not.toContain(LIVE.caption);

      checkOrigins(requests, name === 'widget' ? [server.url, host.url] : [server.url]);
      await context.close();
    },
    40_000,
  );

  /**
   * A host page with a strict CSP: the widget needs the service's origin in script-src, connect-src and
   * img-src (its styles are a <style> in its shadow root: style-src 'unsafe-inline'). Without the
   * service's ws: origin in connect-src, the WebSocket is refused and the widget long-polls.
   */
  it.each([
    ['names its WebSocket too', (service: string) => `${service} ${service.replace(/^http/, 'ws')}`, 'websocket'],
    ['names only its origin', (service: string) => service, 'polling'],
  ])(
    'in the widget on a host page whose CSP names the service (and nothing else) in script-src, img-src and connect-src, which %s',
    async (_case, connect, transport) => {
      const { story: s, root } = surfaces.widget;
      const csp = [
        "default-src 'none'",
        `script-src ${server.url}`,
        `connect-src ${connect(server.url)}`,
        `img-src ${server.url}`,
        "style-src 'unsafe-inline'",
      ].join('; ');
      host.pages.set(
        `/strict-${transport}`,
        `<!doctype html><meta http-equiv="Content-Security-Policy" content="${csp}"><body><p>A strict host.</p>` +
          `<div data-liveblog="${s!.blogId}"></div><script src="${server.url}/embed.js" async></script></body>`,
      );
      const { context, page, requests, release } = await recorded();
      release();
      const refused: string[] = [];
      await page.exposeFunction('cspRefused', (what: string) => refused.push(what));
      await page.addInitScript(() =>
        document.addEventListener('securitypolicyviolation', (event) =>
          (window as unknown as { cspRefused(what: string): void }).cspRefused(`${event.effectiveDirective} ${event.blockedURI}`),
        ),
      );
      await page.goto(`${host.url}/strict-${transport}`);
      await page.locator(`${root}.lb-blog[data-connection="live"]`).waitFor({ timeout: 10_000 });
      const img = page.locator(`${root}#update-${s!.firstUpdate} figure.lb-figure picture img`);
      expect(await loaded(img)).toMatch(/\.avif$/);
      // Only the WebSocket, where connect-src leaves it out; never a picture or a style.
      expect(refused.filter((what) => !what.startsWith('connect-src ws:'))).toEqual([]);
      expect(refused.length > 0).toBe(transport === 'polling');
      expect(requests.some((url) => url.includes('transport=polling'))).toBe(transport === 'polling');
      // Live over either: a picture published now is shown.
      const update = await publish(server.url, s!.blogId, { body: `On a strict host, by ${transport}.` });
      await page.locator(`${root}#update-${update.id}`).waitFor({ timeout: 5_000 });
      checkOrigins(requests, [server.url, host.url]);
      await context.close();
    },
    30_000,
  );

  it.each(['reader', 'frame', 'widget'] as const)(
    'on the %s at 390 px: the picture fits the column, nothing scrolls sideways',
    async (name) => {
      const { url, root } = surfaces[name];
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      await page.goto(url());
      const img = page.locator(`${root}#update-${surfaces[name].story!.firstUpdate} figure.lb-figure picture img`);
      await img.waitFor({ timeout: 10_000 });
      await loaded(img);
      const [picture, column] = await img.evaluate((element) => {
        const body = element.closest('.lb-update__body')!.getBoundingClientRect();
        const rect = element.getBoundingClientRect();
        return [
          { left: rect.left, right: rect.right, width: rect.width, height: rect.height },
          { left: body.left, right: body.right },
        ];
      });
      expect(picture.left).toBeGreaterThanOrEqual(column.left - 0.5);
      expect(picture.right).toBeLessThanOrEqual(column.right + 0.5);
      expect(Math.abs(picture.height - (picture.width * UPRIGHT.height) / UPRIGHT.width)).toBeLessThanOrEqual(1);
      expect(await page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth))).toBeLessThanOrEqual(390);
      await context.close();
    },
  );
});
