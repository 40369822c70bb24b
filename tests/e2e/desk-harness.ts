/**
 * What the desk's browser suites (desk-*.test.ts) share: one server and one Chromium per file, pages in
 * Kyiv's zone that fail the test on any uncaught error, signing in, choosing a blog, and reading what
 * the API holds. Each suite calls `deskSuite(name)` at its top (with the server's options, when it
 * needs some: single sign-on's, say, made once its provider runs).
 */
import { afterAll, afterEach, beforeAll, expect } from '@jest/globals';
import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Role } from '../../shared/permissions';
import type { UpdatePage, UserInfo } from '../../shared/schemas';
import { request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type StartOptions, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { accept, GOOD_PASSWORD, invite } from '../helpers/people';
import { testPrefix } from '../helpers/redis';

export interface PageOptions {
  width?: number;
  height?: number;
  colorScheme?: 'light' | 'dark';
  /** Only so that a test can inject axe-core: the desk itself runs no inline script. */
  bypassCSP?: boolean;
}

export interface DeskSuite {
  readonly server: TestServer;
  readonly prefix: string;
  newPage(options?: PageOptions): Promise<Page>;
  /** `watch` runs on the new page before it loads the desk, so listeners see everything it fetches. */
  signIn(options?: PageOptions & { token?: string; url?: string; watch?: (page: Page) => void }): Promise<Page>;
  chooseBlog(page: Page, blogId: string): Promise<void>;
  stored(blogId: string, url?: string): Promise<UpdatePage['updates']>;
  /** A person invited by the admin token who has set `password` on their invitation page (over HTTP). */
  person(fields: { name: string; role: Role; blogs: string[]; email?: string; password?: string }): Promise<Person>;
  /** A new browser context signed in as `person` with email and password. */
  signInAs(person: Person, options?: PageOptions): Promise<Page>;
}

export interface Person extends UserInfo {
  password: string;
}

/**
 * Waits until the desk has loaded every panel (it is aria-busy until then): before, a panel that loads
 * can push the ones below it down between Playwright's aim and its click, which then lands elsewhere.
 */
export async function deskSettled(page: Page): Promise<void> {
  await page.locator('#desk:not([hidden]):not([aria-busy])').waitFor({ state: 'attached' });
}

/** The tests' one password, long and unusual enough for the server's rules. */
export const PASSWORD = GOOD_PASSWORD;

export type ServerOptions = Omit<StartOptions, 'prefix'>;

/** `serverOptions` may be a function: it runs in `beforeAll`, before the server starts. */
export function deskSuite(name: string, serverOptions: ServerOptions | (() => Promise<ServerOptions>) = {}): DeskSuite {
  const prefix = testPrefix(name);
  const cleaner = prefixCleaner(prefix);
  let server: TestServer;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const starting = (async () => {
      const options = typeof serverOptions === 'function' ? await serverOptions() : serverOptions;
      return startServer({ ...options, prefix });
    })();
    [server, browser] = await Promise.all([starting, launchBrowser()]);
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
    async newPage({ width = 1280, height = 900, colorScheme = 'light', bypassCSP = false } = {}) {
      const context = await browser.newContext({ timezoneId: 'Europe/Kyiv', viewport: { width, height }, colorScheme, bypassCSP });
      contexts.push(context);
      const page = await context.newPage();
      page.on('pageerror', (error) => pageErrors.push(error.message));
      return page;
    },
    async signIn({ token = ADMIN_TOKEN, url, watch, ...viewport } = {}) {
      const page = await suite.newPage(viewport);
      watch?.(page);
      await page.goto(`${url ?? server.url}/editor`);
      await page.getByLabel('Token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText(/Signed in as/).waitFor();
      await deskSettled(page);
      return page;
    },
    async chooseBlog(page, blogId) {
      await page.getByLabel('Blog to edit').selectOption(blogId);
      await page.waitForFunction(
        (id) => (document.querySelector('#reader-link') as HTMLAnchorElement | null)?.getAttribute('href') === `/blogs/${id}`,
        blogId,
      );
      // Its panels (approval queue, pictures, figures) fill in above and beside the entries: wait for them.
      await deskSettled(page);
    },
    async person({ name, role, blogs, email, password = PASSWORD }) {
      const address = email ?? `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${Math.random().toString(36).slice(2, 8)}@newsroom.example`;
      const { inviteUrl, mailed: _mailed, ...invited } = await invite(server.url, { email: address, name, role, blogs });
      await accept(inviteUrl, password);
      return { ...invited, password };
    },
    async signInAs(person, options = {}) {
      const page = await suite.newPage(options);
      await page.goto(`${server.url}/editor`);
      await page.getByLabel('Email').fill(person.email);
      await page.getByLabel('Password', { exact: true }).fill(person.password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText(`Signed in as ${person.name}`).waitFor();
      await deskSettled(page);
      return page;
    },
    async stored(blogId, url) {
      return (await request<UpdatePage>(url ?? server.url, 'GET', `/api/blogs/${blogId}/updates?limit=100`, { token: null })).body.updates;
    },
  };
  return suite;
}

/** axe-core's serious and critical violations on the page as it is. */
export async function axeViolations(page: Page): Promise<{ id: string; impact: string; count: number; targets: string[] }[]> {
  await page.addScriptTag({ content: readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8') });
  const violations = await page.evaluate(async () => {
    type Result = { violations: { id: string; impact: string; nodes: { target: string[] }[] }[] };
    const axe = (window as unknown as { axe: { run: (context: Document) => Promise<Result> } }).axe;
    const result = await axe.run(document);
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      count: v.nodes.length,
      targets: v.nodes.map((n) => n.target.join(' ')),
    }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** The desk's entry (in its list) that shows `text`. */
export const deskEntry = (page: Page, text: string | RegExp) => page.locator('#entry-list > li', { hasText: text });
