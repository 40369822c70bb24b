/**
 * No script from an editor or a blog's text ever runs for a reader, a host site or an editor: every
 * vector of the corpus, in update bodies, titles and authors, blog titles and descriptions, rendered
 * by the reader's page, the widget on another site and the editors' desk — in a browser told to ignore
 * our Content-Security-Policy, so that the sanitiser and the escaping alone are on trial.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import { publish, request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { startHostSite, type HostSite } from '../helpers/host-site';
import { HOSTILE_MARKDOWN } from '../fixtures/xss-markdown';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-xss');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
let host: HostSite;

/**
 * The corpus as the API takes it: it refuses control characters outright (tests/unit/schemas.test.ts);
 * the sanitiser meets those vectors too, in tests/unit/markdown.test.ts.
 */
// eslint-disable-next-line no-control-regex -- the control characters the API refuses
const BODIES = HOSTILE_MARKDOWN.filter((body) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(body));

/** Plain-text fields get HTML and attribute-breaking vectors. */
const TEXT_VECTORS = [
  '<img src=x onerror=alert(1)>',
  '"><script>alert(1)</script>',
  "'><svg onload=alert(1)>",
  '</title><script>alert(1)</script>',
  '<a href="javascript:alert(1)">x</a>',
];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
  await request(server.url, 'POST', '/api/blogs', { body: { id: 'xss', title: TEXT_VECTORS[0], description: TEXT_VECTORS[1] } });
  for (const [i, body] of BODIES.entries()) {
    await publish(server.url, 'xss', {
      body,
      title: TEXT_VECTORS[i % TEXT_VECTORS.length],
      author: TEXT_VECTORS[(i + 1) % TEXT_VECTORS.length],
      keyEvent: i % 10 === 0,
    });
  }
  host = await startHostSite();
  host.pages.set('/', `<!doctype html><div data-liveblog="xss" data-limit="50"></div><script src="${server.url}/embed.js" async></script>`);
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await server?.stop();
  await cleaner.cleanup();
});

/** A page whose every way of announcing a successful injection is recorded. */
async function watched(): Promise<{ page: Page; fired: string[] }> {
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  const fired: string[] = [];
  page.on('dialog', (dialog) => {
    fired.push(`dialog: ${dialog.message()}`);
    void dialog.dismiss();
  });
  await page.exposeFunction('reportXss', (what: string) => fired.push(what));
  await page.addInitScript(() => {
    const report = (what: string) => (window as unknown as { reportXss: (w: string) => void }).reportXss(what);
    window.alert = (message?: unknown) => report(`alert(${String(message)})`);
    window.confirm = () => (report('confirm'), false);
    window.prompt = () => (report('prompt'), null);
  });
  return { page, fired };
}

/** Shows every update (through "Load older updates") and gives failing images time to fire. */
async function showAll(page: Page, root: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const more = page.locator(`${root} .lb-more:not([hidden]) .lb-older`);
    if ((await more.count()) === 0) break;
    await more.click();
    await page.waitForTimeout(300);
  }
  await page.waitForTimeout(1_000);
}

describe('no injected script runs', () => {
  it('on the reader’s page', async () => {
    const { page, fired } = await watched();
    await page.goto(`${server.url}/blogs/xss`);
    await page.waitForSelector('.lb-blog[data-connection="live"]');
    await showAll(page, '');
    expect(await page.locator('.lb-updates > article').count()).toBe(BODIES.length);
    // the plain-text fields are shown as text
    expect(await page.textContent('h1')).toBe(TEXT_VECTORS[0]);
    // and one arriving live (for a reader back at the top) is as harmless
    await page.evaluate(() => window.scrollTo(0, 0));
    await publish(server.url, 'xss', { body: '<img src=x onerror=alert("live")>', title: TEXT_VECTORS[1] });
    await page.waitForFunction((count) => document.querySelectorAll('.lb-updates > article').length === count, BODIES.length + 1);
    await page.waitForTimeout(500);
    expect(fired).toEqual([]);
    expect(await page.locator('.lb-updates script, .lb-updates iframe, .lb-updates [onerror], .lb-updates [onload]').count()).toBe(0);
    // The watch itself works: an unsanitised handler, put in by hand, is caught.
    await page.evaluate(() => {
      const canary = document.createElement('img');
      canary.setAttribute('onerror', 'alert("canary")');
      canary.src = 'x';
      document.body.append(canary);
    });
    await page.waitForTimeout(500);
    expect(fired).toEqual(['alert(canary)']);
    await page.context().close();
  });

  it('in the widget on another site', async () => {
    const { page, fired } = await watched();
    await page.goto(`${host.url}/`);
    await page.locator('[data-liveblog] .lb-blog').waitFor();
    await showAll(page, '[data-liveblog]');
    expect(await page.locator('[data-liveblog] .lb-updates > article').count()).toBeGreaterThanOrEqual(BODIES.length);
    expect(fired).toEqual([]);
    await page.context().close();
  });

  it('on the editors’ desk, with its preview and history', async () => {
    const { page, fired } = await watched();
    await page.goto(`${server.url}/editor`);
    await page.getByLabel('Token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForFunction(() => document.querySelectorAll('#entry-list > li').length > 60);
    await page.getByLabel('Update', { exact: true }).fill('<img src=x onerror=alert("preview")> **bold**');
    await page.getByLabel('Headline (optional)').fill(TEXT_VECTORS[2]);
    await page.locator('#preview strong').waitFor();
    const first = page.locator('#entry-list > li').first();
    await first.getByRole('button', { name: 'Edit' }).click();
    await first.getByLabel('Update').fill('<svg onload=alert("edited")>');
    await first.getByRole('button', { name: 'Save' }).click();
    await page.locator('#entry-list > li').first().getByRole('button', { name: 'History' }).click();
    await page.locator('.ed-history:not([hidden])').waitFor();
    await page.waitForTimeout(1_000);
    expect(fired).toEqual([]);
    await page.context().close();
  });
});
