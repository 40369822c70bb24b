/**
 * The reader's page by keyboard alone, in a real Chromium: the "N new updates" notice is a few
 * Shift+Tabs away and keeps focus when reached, activating it or "Load older updates" puts focus on
 * the first update shown, and every permalink has a name of its own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Page } from 'playwright-core';
import type { Update } from '../../shared/schemas';
import { createBlog, publish } from '../helpers/api';
import { prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { testPrefix } from '../helpers/redis';

const prefix = testPrefix('e2e-keyboard');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
const TEXT = 'A [source](https://example.com/source) said the talks would resume in the morning. '.repeat(3);

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleaner.cleanup();
});

async function seed(blogId: string, count: number): Promise<Update[]> {
  await createBlog(server.url, blogId);
  const updates: Update[] = [];
  for (let i = 0; i < count; i++) {
    updates.push(
      await publish(server.url, blogId, {
        body: `Entry ${i}. ${TEXT}`,
        title: i % 3 ? `Headline ${i}` : undefined,
        publishedAt: new Date(Date.UTC(2025, 0, 11, 6, i)).toISOString(),
      }),
    );
  }
  return updates;
}

async function open(blogId: string): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
  await page.goto(`${server.url}/blogs/${blogId}`);
  await page.waitForSelector('.lb-blog[data-connection="live"]');
  return page;
}

const focused = (page: Page) =>
  page.evaluate(() => {
    const element = document.activeElement;
    return element ? `${element.tagName.toLowerCase()}#${element.id}.${element.className}:${element.textContent?.slice(0, 40)}` : '';
  });

describe('by keyboard', () => {
  it('the notice is a few Shift+Tabs from where the reader is, keeps focus when reached, and Enter puts focus on the new update', async () => {
    const updates = await seed('kb-notice', 15);
    const page = await open('kb-notice');
    // The reader has tabbed down to an update's permalink in the middle of the list.
    await page.focus(`#update-${updates[6].id} .lb-permalink`);
    await page.$eval(`#update-${updates[6].id}`, (element) => element.scrollIntoView({ block: 'center' }));
    const fresh = await publish(server.url, 'kb-notice', { body: 'Fresh news for keyboard readers' });
    await page.getByRole('button', { name: '1 new update' }).waitFor();
    let presses = 0;
    while (!(await focused(page)).includes('lb-notice') && presses < 30) {
      await page.keyboard.press('Shift+Tab');
      presses++;
    }
    expect(presses).toBeLessThanOrEqual(4);
    // reaching it does not make it vanish (and drop focus to the page)
    await page.waitForTimeout(300);
    expect(await focused(page)).toContain('lb-notice');
    await page.keyboard.press('Enter');
    await page.waitForFunction((id) => document.activeElement?.id === `update-${id}`, fresh.id);
    await page.context().close();
  });

  it('"Load older updates" puts focus on the first update it loaded', async () => {
    const updates = await seed('kb-older', 45);
    const page = await open('kb-older');
    await page.getByRole('button', { name: 'Load older updates' }).focus();
    await page.keyboard.press('Enter');
    // 45 updates, 20 shown first: the first loaded is the 21st newest, 20 loaded below it
    await page.waitForFunction((id) => document.activeElement?.id === `update-${id}`, updates[24].id);
    // and in view, where a sighted keyboard user sees it
    await page.waitForFunction(() => {
      const rect = document.activeElement!.getBoundingClientRect();
      return rect.top >= 0 && rect.top < innerHeight;
    });
    await page.context().close();
  });

  it('every permalink has a name of its own, naming its update', async () => {
    const updates = await seed('kb-names', 6);
    const page = await open('kb-names');
    const snapshot = await page.locator('.lb-updates').ariaSnapshot();
    const names = [...snapshot.matchAll(/- link "([^"]*)"/g)].map((match) => match[1]).filter((name) => /\d{2}:\d{2}/.test(name));
    expect(names).toHaveLength(updates.length);
    expect(new Set(names).size).toBe(names.length);
    expect(names.find((name) => name.includes('Headline 5'))).toBeDefined();
    expect(names.find((name) => name.includes('Entry 3'))).toBeDefined();
    await page.context().close();
  });
});
