/**
 * What the desk's browser suites (desk-*.test.ts) share: one server and one Chromium per file, pages in
 * Kyiv's zone that fail the test on any uncaught error, signing in, choosing a blog, and reading what
 * the API holds. Each suite calls `deskSuite(name)` at its top.
 */
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { UpdatePage } from '../../shared/schemas';
import { request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { testPrefix } from '../helpers/redis';

export interface DeskSuite {
  readonly server: TestServer;
  readonly prefix: string;
  newPage(options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<Page>;
  signIn(options?: { token?: string; width?: number; height?: number; colorScheme?: 'light' | 'dark'; url?: string }): Promise<Page>;
  chooseBlog(page: Page, blogId: string): Promise<void>;
  stored(blogId: string, url?: string): Promise<UpdatePage['updates']>;
}

export function deskSuite(name: string): DeskSuite {
  const prefix = testPrefix(name);
  const cleaner = prefixCleaner(prefix);
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((context) => context.close()));
    expect(pageErrors.splice(0)).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await cleaner.cleanup();
  });

  const suite: DeskSuite = {
    get server() {
      return server;
    },
    prefix,
    async newPage({ width = 1280, height = 900, colorScheme = 'light' } = {}) {
      const context = await browser.newContext({ timezoneId: 'Europe/Kyiv', viewport: { width, height }, colorScheme });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return page;
    },
    async signIn({ token = ADMIN_TOKEN, url, ...viewport } = {}) {
      const page = await suite.newPage(viewport);
      await page.goto(`${url ?? server.url}/editor`);
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText(/Signed in as/).waitFor();
      return page;
    },
    async chooseBlog(page, blogId) {
      await page.getByLabel('Blog to edit').selectOption(blogId);
      await page.waitForFunction(
        (id) => (document.querySelector('#reader-link') as HTMLAnchorElement | null)?.getAttribute('href') === `/blogs/${id}`,
        blogId,
      );
    },
    async stored(blogId, url) {
      return (await request<UpdatePage>(url ?? server.url, 'GET', `/api/blogs/${blogId}/updates?limit=100`, { token: null })).body.updates;
    },
  };
  return suite;
}

/** The desk's entry (in its list) that shows `text`. */
export const deskEntry = (page: Page, text: string | RegExp) => page.locator('#entry-list > li', { hasText: text });
