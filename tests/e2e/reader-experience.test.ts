/**
 * The reader's page as people keep it open for hours, in a real Chromium: nothing moves under the
 * reader, older updates and permalinks load on demand, it recovers by itself, and it is accessible.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import type { Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-experience');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
const LONG = 'The SBU says the prisoners are held under conditions that comply with international law. '.repeat(6);

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix, historyLength: 20 }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleaner.cleanup();
});

async function seed(blogId: string, count: number, fields: (i: number) => Record<string, unknown> = () => ({})): Promise<Update[]> {
  await createBlog(server.url, blogId, `Story ${blogId}`);
  const updates: Update[] = [];
  for (let i = 0; i < count; i++) {
    updates.push(
      await publish(server.url, blogId, {
        body: `Entry ${i}. ${LONG}`,
        publishedAt: new Date(Date.UTC(2025, 0, 11, 6, i)).toISOString(),
        ...fields(i),
      }),
    );
  }
  return updates;
}

async function open(path: string, options: BrowserContextOptions = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 }, ...options });
  const page = await context.newPage();
  await page.goto(`${server.url}${path}`);
  await page.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));
  await page.waitForSelector('.lb-blog[data-connection="live"]');
  return page;
}

const notReloaded = (page: Page) => page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded === true);
const shownIds = (page: Page) => page.$$eval('.lb-updates > article', (articles) => articles.map((a) => a.id.replace('update-', '')));
/** Where an update's element is in the viewport. */
const topOf = (page: Page, id: string) => page.$eval(`#update-${id}`, (element) => Math.round(element.getBoundingClientRect().top));

describe('new updates', () => {
  it('appear at once, highlighted and announced, for a reader at the top', async () => {
    await seed('at-top', 3);
    const page = await open('/blogs/at-top');
    const fresh = await publish(server.url, 'at-top', { body: 'Breaking: a **video** is released', title: 'Video released' });
    await page.waitForSelector(`#update-${fresh.id}.lb-new`);
    expect((await shownIds(page))[0]).toBe(fresh.id);
    await page.waitForFunction(() => document.querySelector('.lb-announcer')?.textContent === 'New update: Video released');
    expect(await page.getAttribute('.lb-announcer', 'aria-live')).toBe('polite');
    expect(await page.textContent(`#update-${fresh.id} .lb-ago`)).toBe('just now');
    await page.context().close();
  });

  it('wait behind an "N new updates" button for a reader scrolled down: no jump, "(N)" in the title', async () => {
    const updates = await seed('scrolled', 12);
    const page = await open('/blogs/scrolled');
    const title = await page.title();
    const anchor = updates[5];
    await page.$eval(`#update-${anchor.id}`, (element) => element.scrollIntoView({ block: 'start' }));
    const before = await topOf(page, anchor.id);
    const scrollBefore = await page.evaluate(() => window.scrollY);

    const first = await publish(server.url, 'scrolled', { body: 'While you were reading' });
    const second = await publish(server.url, 'scrolled', { body: 'And another' });
    const notice = page.getByRole('button', { name: '2 new updates' });
    await notice.waitFor();
    expect(await page.title()).toBe(`(2) ${title}`);
    expect(await topOf(page, anchor.id)).toBe(before);
    expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
    expect(await page.$(`#update-${first.id}`)).toBeNull();

    // an edit above the reader's place changes its height: the place still holds
    await request(server.url, 'PATCH', `/api/blogs/scrolled/updates/${updates[10].id}`, { body: { body: `${LONG}${LONG}${LONG}` } });
    await page.waitForFunction(
      (id) => (document.querySelector(`#update-${id} .lb-update__body`)?.textContent?.length ?? 0) > 1500,
      updates[10].id,
    );
    expect(await topOf(page, anchor.id)).toBe(before);
    await request(server.url, 'DELETE', `/api/blogs/scrolled/updates/${updates[11].id}`);
    await page.waitForSelector(`#update-${updates[11].id}`, { state: 'detached' });
    expect(await topOf(page, anchor.id)).toBe(before);

    await notice.click();
    await page.waitForSelector(`#update-${second.id}`);
    await page.waitForFunction(
      () =>
        document.querySelector('.lb-updates')!.getBoundingClientRect().top >= -5 &&
        document.querySelector('.lb-updates')!.getBoundingClientRect().top < 100,
    );
    expect((await shownIds(page)).slice(0, 2)).toEqual([second.id, first.id]);
    expect(await page.title()).toBe(title);
    expect(await notice.isHidden()).toBe(true);
    expect(await notReloaded(page)).toBe(true);
    await page.context().close();
  });
});

describe('older updates and permalinks', () => {
  it('page back by cursor with "Load older updates", never showing one twice', async () => {
    const updates = await seed('older', 45);
    const page = await open('/blogs/older');
    expect(await shownIds(page)).toHaveLength(20);
    const button = page.getByRole('button', { name: 'Load older updates' });
    await button.click();
    await page.waitForFunction(() => document.querySelectorAll('.lb-updates > article').length === 40);
    // a new update meanwhile (held: the reader is down at the button) does not shift the paging
    await publish(server.url, 'older', { body: 'Newest, arriving while paging' });
    await page.getByRole('button', { name: '1 new update' }).waitFor();
    await button.click();
    await page.waitForFunction(() => document.querySelectorAll('.lb-updates > article').length === 45);
    await page.getByRole('button', { name: '1 new update' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.lb-updates > article').length === 46);
    const ids = await shownIds(page);
    expect(new Set(ids).size).toBe(46);
    expect(ids.slice(1)).toEqual(updates.map((u) => u.id).reverse());
    expect(await button.isHidden()).toBe(true);
    await page.context().close();
  });

  it('scroll to their update, loading older pages if they must', async () => {
    const updates = await seed('permalink', 30);
    const oldest = updates[0];
    const page = await open(`/blogs/permalink#update-${oldest.id}`);
    await page.waitForSelector(`#update-${oldest.id}`);
    await page.waitForFunction((id) => {
      const rect = document.getElementById(`update-${id}`)!.getBoundingClientRect();
      return rect.top >= 0 && rect.top < window.innerHeight;
    }, oldest.id);
    await page.context().close();
  });

  it('list the key events, linked to their updates', async () => {
    const updates = await seed('key-events', 25, (i) => ({ keyEvent: i === 1 || i === 20, title: `Headline ${i}` }));
    const page = await open('/blogs/key-events');
    const nav = page.getByRole('navigation', { name: 'Key events' });
    expect(await nav.getByRole('link').allTextContents()).toEqual([
      expect.stringContaining('Headline 20'),
      expect.stringContaining('Headline 1'),
    ]);
    await nav.getByRole('link', { name: /Headline 1$/ }).click();
    await page.waitForSelector(`#update-${updates[1].id}`);
    const fresh = await publish(server.url, 'key-events', { body: 'Decisive', title: 'Decisive moment', keyEvent: true });
    await nav.getByRole('link', { name: /Decisive moment/ }).waitFor();
    await request(server.url, 'PATCH', `/api/blogs/key-events/updates/${fresh.id}`, { body: { keyEvent: false } });
    await nav.getByRole('link', { name: /Decisive moment/ }).waitFor({ state: 'detached' });
    await page.context().close();
  });
});

describe('recovery', () => {
  it('reloads the list, not the page, when its history no longer reaches back', async () => {
    await seed('expired', 3);
    const page = await open('/blogs/expired');
    await page.context().setOffline(true);
    await page.waitForSelector('[data-connection="reconnecting"]');
    const flood: Update[] = [];
    for (let i = 0; i < 25; i++) flood.push(await publish(server.url, 'expired', { body: `While offline ${i}` }));
    await page.context().setOffline(false);
    await page.waitForSelector(`#update-${flood[24].id}`, { timeout: 15_000 });
    await page.waitForSelector('[data-connection="live"]');
    const after = await publish(server.url, 'expired', { body: 'Live again' });
    await page.waitForSelector(`#update-${after.id}`);
    const ids = await shownIds(page);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe(after.id);
    expect(await notReloaded(page)).toBe(true);
    await page.context().close();
  });
});

describe('accessibility and preferences', () => {
  it('has no serious or critical axe-core violation, with updates, key events, a pinned one and the notice', async () => {
    await seed('accessible', 22, (i) => ({
      keyEvent: i % 7 === 0,
      pinned: i === 3,
      title: i % 2 ? `Headline ${i}` : undefined,
      author: 'Live desk',
    }));
    for (const colorScheme of ['light', 'dark'] as const) {
      // bypassCSP: only so that the test can inject axe-core; the page itself runs no inline script.
      const page = await open('/blogs/accessible', { colorScheme, bypassCSP: true });
      await page.evaluate(() => window.scrollTo(0, 1500));
      await publish(server.url, 'accessible', { body: `Held while scrolled (${colorScheme})` });
      await page.getByRole('button', { name: '1 new update' }).waitFor();
      await page.addScriptTag({ content: readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8') });
      const violations = await page.evaluate(async () => {
        const axe = (
          window as unknown as {
            axe: { run: (context: Document) => Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> };
          }
        ).axe;
        const result = await axe.run(document);
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, count: v.nodes.length }));
      });
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      await page.context().close();
    }
  });

  it('follows the dark colour scheme, and does not animate for a reader who asked for reduced motion', async () => {
    await seed('preferences', 2);
    const page = await open('/blogs/preferences', { colorScheme: 'dark', reducedMotion: 'reduce' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(18, 18, 18)');
    const fresh = await publish(server.url, 'preferences', { body: 'No flashing' });
    await page.waitForSelector(`#update-${fresh.id}.lb-new`);
    expect(await page.$eval(`#update-${fresh.id}`, (element) => getComputedStyle(element).animationName)).toBe('none');
    await page.context().close();
  });

  it('works by keyboard: the notice and "Load older updates" are reachable and work with Enter', async () => {
    await seed('keyboard', 25);
    const page = await open('/blogs/keyboard');
    await page.getByRole('button', { name: 'Load older updates' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('.lb-updates > article').length === 25);
    await publish(server.url, 'keyboard', { body: 'For keyboard users' });
    const notice = page.getByRole('button', { name: '1 new update' });
    await notice.waitFor();
    await notice.focus();
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.classList.contains('lb-update'));
    await page.context().close();
  });
});
