/**
 * Permalinks into a long blog, in a real Chromium: a 2,000-update blog whose permalink ~1,400 back
 * opens at once (the update among its neighbours, via `?around=`), keeps live updates in order
 * without duplicates, leads back to the latest, and says so when the update is gone.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import type { Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-permalinks');
const cleaner = prefixCleaner(prefix);
const BLOG = 'long-story';
const COUNT = 2000;
/** The update ~1,400 back from the newest. */
const DEEP = 600;
let server: TestServer;
let browser: Browser;
let updates: Update[];

/** 2,000 updates written straight to the store (through the API it would take a minute). */
async function seedLongBlog(): Promise<Update[]> {
  await createBlog(server.url, BLOG, 'A long day');
  const all: Update[] = [];
  for (let i = 0; i < COUNT; i++) {
    const at = new Date(Date.UTC(2025, 0, 11, 0, 0, i * 20)).toISOString();
    all.push({
      id: `u${String(i).padStart(5, '0')}`,
      blogId: BLOG,
      body: `Entry ${i}.`,
      html: `<p>Entry ${i}.</p>`,
      ...(i === DEEP ? { title: 'Deep key event', keyEvent: true } : { keyEvent: i === COUNT - 5 }),
      publishedAt: at,
      createdAt: at,
      pinned: false,
      version: 1,
    });
  }
  for (let i = 0; i < COUNT; i += 100) await Promise.all(all.slice(i, i + 100).map((update) => server.timeline.createUpdate(update)));
  return all;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
  updates = await seedLongBlog();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleaner.cleanup();
});

async function open(path: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${server.url}${path}`);
  return page;
}

const shownIds = (page: Page) => page.$$eval('.lb-updates > article', (articles) => articles.map((a) => a.id.replace('update-', '')));
const inView = (page: Page, id: string, timeout = 5_000) =>
  page.waitForFunction(
    (updateId) => {
      const rect = document.getElementById(`update-${updateId}`)?.getBoundingClientRect();
      return rect !== undefined && rect.top >= 0 && rect.top < window.innerHeight / 2;
    },
    id,
    { timeout },
  );

describe('a permalink deep in a 2,000-update blog', () => {
  it('opens at once, among its neighbours, highlighted, with a way back to the latest; live updates counted, then shown in order', async () => {
    const deep = updates[DEEP];
    const started = Date.now();
    const page = await open(`/blogs/${BLOG}#update-${deep.id}`);
    await inView(page, deep.id);
    console.log(`permalink ${COUNT - DEEP} back opened in ${Date.now() - started} ms`);
    const ids = await shownIds(page);
    expect(ids).toContain(updates[DEEP + 1].id);
    expect(ids).toContain(updates[DEEP - 1].id);
    expect(ids.length).toBeLessThanOrEqual(50);
    expect(await page.$eval(`#update-${deep.id}`, (element) => element.classList.contains('lb-target'))).toBe(true);
    const back = page.getByRole('button', { name: 'Back to the latest', exact: true });
    expect(await back.isVisible()).toBe(true);
    // by keyboard, the way back is one Shift+Tab from the opened update
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(`update-${deep.id}`);
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Back to the latest updates');
    await page.waitForSelector('.lb-blog[data-connection="live"]');

    // a live update is newer than the slice: counted, not shown above it
    const fresh = await publish(server.url, BLOG, { body: 'Breaking while reading the archive' });
    await page.getByRole('button', { name: '1 new update' }).waitFor();
    expect(await page.$(`#update-${fresh.id}`)).toBeNull();
    // an edit inside the slice shows at once
    await request(server.url, 'PATCH', `/api/blogs/${BLOG}/updates/${updates[DEEP + 1].id}`, { body: { body: 'Entry corrected' } });
    await page.waitForFunction(
      (id) => document.querySelector(`#update-${id} .lb-update__body`)?.textContent === 'Entry corrected',
      updates[DEEP + 1].id,
    );
    expect((await shownIds(page)).indexOf(updates[DEEP + 1].id)).toBe(ids.indexOf(updates[DEEP + 1].id));

    await back.click();
    await page.waitForSelector(`#update-${fresh.id}`);
    const latest = await shownIds(page);
    expect(latest.slice(0, 3)).toEqual([fresh.id, updates[COUNT - 1].id, updates[COUNT - 2].id]);
    expect(new Set(latest).size).toBe(latest.length);
    expect(await page.$(`#update-${deep.id}`)).toBeNull();
    await page.waitForFunction(() => window.scrollY < 50);
    expect(await back.isVisible()).toBe(false);
    const after = await publish(server.url, BLOG, { body: 'Live again at the top' });
    await page.waitForSelector(`#update-${after.id}`);
    expect((await shownIds(page))[0]).toBe(after.id);
    await page.context().close();
  });

  it('is reached the same way from the Key events box', async () => {
    const page = await open(`/blogs/${BLOG}`);
    await page.waitForSelector('.lb-blog[data-connection="live"]');
    await page
      .getByRole('navigation', { name: 'Key events' })
      .getByRole('link', { name: /Deep key event/ })
      .click();
    await inView(page, updates[DEEP].id);
    expect(page.url()).toContain(`#update-${updates[DEEP].id}`);
    await page.context().close();
  });

  it('says so in the page when the update is gone', async () => {
    const gone = updates[DEEP - 10];
    await request(server.url, 'DELETE', `/api/blogs/${BLOG}/updates/${gone.id}`);
    const page = await open(`/blogs/${BLOG}#update-${gone.id}`);
    await page.getByText(/This update is no longer available/).waitFor({ timeout: 5_000 });
    expect(await page.getByRole('alert').textContent()).toMatch(/no longer available/);
    await page.context().close();
  });

  it('does not give up on one that is loaded by paging: older pages still join on below the slice', async () => {
    const deep = updates[DEEP];
    const page = await open(`/blogs/${BLOG}#update-${deep.id}`);
    await inView(page, deep.id);
    const before = await shownIds(page);
    await page.getByRole('button', { name: 'Load older updates' }).click();
    await page.waitForFunction((count) => document.querySelectorAll('.lb-updates > article').length > count, before.length);
    const after = await shownIds(page);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(new Set(after).size).toBe(after.length);
    await page.context().close();
  });

  it('has no serious or critical axe-core violation in the slice, light and dark, with a new update waiting', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      // bypassCSP: only so that the test can inject axe-core; the page itself runs no inline script.
      const page = await (await browser.newContext({ colorScheme, bypassCSP: true })).newPage();
      await page.goto(`${server.url}/blogs/${BLOG}#update-${updates[DEEP + 3].id}`);
      await inView(page, updates[DEEP + 3].id);
      await page.waitForSelector('.lb-blog[data-connection="live"]');
      await publish(server.url, BLOG, { body: `Waiting (${colorScheme})` });
      await page.getByRole('button', { name: /new update/ }).waitFor();
      await page.addScriptTag({ content: readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8') });
      const violations = await page.evaluate(async () => {
        const axe = (
          window as unknown as { axe: { run: (context: Document) => Promise<{ violations: { id: string; impact: string }[] }> } }
        ).axe;
        return (await axe.run(document)).violations.map((v) => ({ id: v.id, impact: v.impact }));
      });
      expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
      await page.context().close();
    }
  });
});
