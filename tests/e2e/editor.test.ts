/**
 * The editors' desk in a real Chromium, driven by labels and accessible names as a screen reader (and the
 * outside checks) would, with a reader's page open beside it.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { UpdatePage } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { ADMIN_TOKEN, prefixCleaner, startServer, type TestServer } from '../helpers/app';
import { launchBrowser } from '../helpers/browser';
import { testPrefix } from '../helpers/redis';
import { startRedisServer } from '../helpers/redis-server';

const prefix = testPrefix('e2e-editor');
const cleaner = prefixCleaner(prefix);
let server: TestServer;
let browser: Browser;
const contexts: BrowserContext[] = [];
/** Uncaught errors in any page: none is expected. */
const pageErrors: string[] = [];

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ prefix }), launchBrowser()]);
});

afterEach(() => {
  expect(pageErrors.splice(0)).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await cleaner.cleanup();
});

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ timezoneId: 'Europe/Kyiv' });
  contexts.push(context);
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return page;
}

async function signIn(token = ADMIN_TOKEN): Promise<Page> {
  const page = await newPage();
  await page.goto(`${server.url}/editor`);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(/Signed in as/).waitFor();
  return page;
}

async function openReader(blogId: string): Promise<Page> {
  const page = await newPage();
  await page.goto(`${server.url}/blogs/${blogId}`);
  await page.waitForSelector('[data-connection="live"]');
  return page;
}

async function chooseBlog(page: Page, blogId: string): Promise<void> {
  await page.getByLabel('Blog to edit').selectOption(blogId);
  await page.waitForFunction(
    (id) => (document.querySelector('#reader-link') as HTMLAnchorElement | null)?.getAttribute('href') === `/blogs/${id}`,
    blogId,
  );
}

const item = (page: Page, text: string) => page.locator('#entry-list > li', { hasText: text });

async function stored(blogId: string): Promise<UpdatePage['updates']> {
  return (await request<UpdatePage>(server.url, 'GET', `/api/blogs/${blogId}/updates?limit=100`, { token: null })).body.updates;
}

describe('the editors’ desk', () => {
  it('signs in, creates a blog, publishes, and a reader beside sees it live', async () => {
    const desk = await signIn();
    await desk.getByRole('button', { name: 'New blog' }).click();
    await desk.getByLabel('New blog’s address').fill('desk-story');
    await desk.getByLabel('New blog’s title').fill('Kursk: the desk’s story');
    await desk.getByRole('button', { name: 'Create blog' }).click();
    await desk.waitForFunction(() => (document.querySelector('#blog-select') as HTMLSelectElement).value === 'desk-story');
    const reader = await openReader('desk-story');

    await desk.getByLabel('Headline (optional)').fill('Prisoners in Kyiv');
    await desk.getByLabel('Update', { exact: true }).fill('Two soldiers are **talking to investigators**.');
    await desk.getByLabel('Author').fill('Night desk');
    await desk.locator('#preview strong').filter({ hasText: 'talking to investigators' }).waitFor();
    await desk.getByRole('button', { name: 'Publish' }).click();
    await desk.getByText(/Published at/).waitFor();
    expect(await desk.getByLabel('Update', { exact: true }).inputValue()).toBe('');

    await reader.locator('.lb-update__title', { hasText: 'Prisoners in Kyiv' }).waitFor();
    expect(await reader.locator('.lb-update__body strong').first().textContent()).toBe('talking to investigators');
    // the reader count reached the desk
    await desk.locator('#readers', { hasText: '1' }).waitFor({ timeout: 6_000 });
    // the author is remembered for the next entry
    expect(await desk.getByLabel('Author').inputValue()).toBe('Night desk');
  });

  it('edits, pins and deletes (at once, with Undo), each seen by the reader without reload', async () => {
    const blog = await createBlog(server.url, 'desk-corrections');
    const first = await publish(server.url, blog.id, { body: 'Captured on 8 January' });
    await publish(server.url, blog.id, { body: 'Another entry' });
    const desk = await signIn();
    await chooseBlog(desk, blog.id);
    const reader = await openReader(blog.id);

    const entry = item(desk, 'Captured on 8 January');
    await entry.getByRole('button', { name: 'Edit' }).click();
    await entry.getByLabel('Update').fill('Captured on 9 January');
    await entry.getByRole('button', { name: 'Save' }).click();
    await item(desk, 'Captured on 9 January').getByRole('button', { name: 'Edit' }).waitFor();
    const readerEntry = reader.locator(`#update-${first.id}`);
    await readerEntry.locator('.lb-update__body', { hasText: 'Captured on 9 January' }).waitFor();
    expect(await readerEntry.locator('.lb-edited').textContent()).toMatch(/^edited /);

    await item(desk, 'Captured on 9 January').getByRole('button', { name: 'Pin', exact: true }).click();
    await item(desk, 'Captured on 9 January').getByRole('button', { name: 'Unpin' }).waitFor();
    await readerEntry.locator('.lb-badge--pinned').waitFor();
    // the pinned update leads the reader's page, though another is newer
    expect(await reader.locator('.lb-updates > article').first().getAttribute('id')).toBe(`update-${first.id}`);
    await reader.reload();
    expect(await reader.locator('.lb-updates > article').first().getAttribute('id')).toBe(`update-${first.id}`);
    await reader.waitForSelector('[data-connection="live"]');

    await item(desk, 'Captured on 9 January').getByRole('button', { name: 'History' }).click();
    await item(desk, 'Captured on 9 January').getByText('Captured on 8 January').waitFor();

    // A takedown cannot wait for a dialog: Delete acts at once and offers Undo instead.
    await item(desk, 'Another entry').getByRole('button', { name: 'Delete' }).click();
    await desk.getByRole('button', { name: 'Undo' }).waitFor();
    await item(desk, 'Another entry').waitFor({ state: 'detached' });
    await reader.getByText('Another entry').waitFor({ state: 'detached' });
    expect((await stored(blog.id)).map((u) => u.body)).toEqual(['Captured on 9 January']);
  });

  it('keeps the text when Redis stops answering, and the retry stores the update once', async () => {
    // A Redis of the test's own, so that it can be frozen: the write is sent but its outcome is unknown.
    const redis = await startRedisServer();
    const own = await startServer({ prefix, redisUrl: redis.url });
    try {
      await createBlog(own.url, 'desk-failure');
      const desk = await newPage();
      await desk.goto(`${own.url}/editor`);
      await desk.getByLabel('Token').fill(ADMIN_TOKEN);
      await desk.getByRole('button', { name: 'Sign in' }).click();
      await desk.getByText(/Signed in as/).waitFor();
      const keys: string[] = [];
      desk.on('request', (req) => {
        if (req.method() === 'POST' && req.url().endsWith('/api/blogs/desk-failure/updates')) keys.push(req.headers()['idempotency-key']);
      });
      await desk.getByLabel('Update', { exact: true }).fill('Filed under fire');
      redis.pause();
      await desk.getByRole('button', { name: 'Publish' }).click();
      await desk.getByText(/Not published: .*unreachable.* Your text is kept/).waitFor({ timeout: 10_000 });
      expect(await desk.getByLabel('Update', { exact: true }).inputValue()).toBe('Filed under fire');
      redis.resume();

      await desk.getByLabel('Update', { exact: true }).press('Control+Enter');
      await desk.getByText(/Published at/).waitFor({ timeout: 10_000 });
      expect(keys).toHaveLength(2);
      expect(keys[0]).toBe(keys[1]);
      const page = await request<UpdatePage>(own.url, 'GET', '/api/blogs/desk-failure/updates', { token: null });
      expect(page.body.updates.map((u) => u.body)).toEqual(['Filed under fire']);
      await desk.context().close();
    } finally {
      redis.resume();
      await own.stop();
      await redis.stop();
    }
  });

  it('keeps a draft across a reload, back-dated time included', async () => {
    const blog = await createBlog(server.url, 'desk-draft');
    const desk = await signIn();
    await chooseBlog(desk, blog.id);
    await desk.getByLabel('Headline (optional)').fill('Updated at 17.45');
    await desk.getByLabel('Update', { exact: true }).fill('Half-written: paratroopers of the 95th');
    await desk.getByLabel('Set by hand').check();
    await desk.getByLabel('Publish time').fill('2025-01-11T17:45');
    expect(await desk.getByLabel('Time zone').inputValue()).toBe('Europe/Kyiv');
    expect(await desk.locator('#entry-zone').textContent()).toBe('Europe/Kyiv (UTC+02:00)');
    await desk.reload();
    await desk.getByText(/Signed in as/).waitFor();
    await desk.waitForFunction(() => (document.querySelector('#entry-body') as HTMLTextAreaElement).value !== '');
    expect(await desk.getByLabel('Update', { exact: true }).inputValue()).toBe('Half-written: paratroopers of the 95th');
    expect(await desk.getByLabel('Headline (optional)').inputValue()).toBe('Updated at 17.45');
    expect(await desk.getByLabel('Publish time').inputValue()).toBe('2025-01-11T17:45');
    await desk.getByRole('button', { name: 'Publish' }).click();
    await desk.getByText(/Published at/).waitFor();
    expect((await stored(blog.id))[0]).toMatchObject({ title: 'Updated at 17.45', publishedAt: '2025-01-11T15:45:00.000Z' });
  });

  it('ends and reopens a blog; readers see it is over and publishing waits', async () => {
    const blog = await createBlog(server.url, 'desk-ending');
    const desk = await signIn();
    await chooseBlog(desk, blog.id);
    const reader = await openReader(blog.id);
    await desk.getByRole('button', { name: 'End live blog' }).click();
    await desk.getByRole('dialog').getByRole('button', { name: 'End the live blog' }).click();
    await reader.waitForFunction(() => document.querySelector('.lb-flag')?.textContent === 'Ended');
    expect(await desk.getByRole('button', { name: 'Publish' }).isDisabled()).toBe(true);
    await desk.getByRole('button', { name: 'Reopen live blog' }).click();
    await desk.waitForFunction(() => !(document.querySelector('#publish') as HTMLButtonElement).disabled);
  });

  it('lets the admin hand out a scoped token whose holder sees only that blog', async () => {
    await createBlog(server.url, 'desk-scoped');
    const admin = await signIn();
    await admin.getByLabel('Holder’s name').fill('Weekend desk');
    await admin.getByLabel(/Blogs it may edit/).fill('desk-scoped');
    await admin.getByRole('button', { name: 'Create token' }).click();
    const secretField = admin.getByLabel('New secret, shown only once');
    await secretField.waitFor();
    const secret = await secretField.inputValue();
    expect(secret).toMatch(/^lb_/);
    await admin.getByText('Weekend desk').waitFor();

    const editor = await signIn(secret);
    // "Signed in as" shows before the blog list has loaded.
    await editor.locator('#blog-select option').first().waitFor({ state: 'attached' });
    const options = await editor
      .locator('#blog-select option')
      .evaluateAll((elements) => elements.map((o) => (o as HTMLOptionElement).value));
    expect(options).toEqual(['desk-scoped']);
    expect(await editor.locator('#access').isHidden()).toBe(true);

    admin.once('dialog', (dialog) => void dialog.accept());
    await admin.getByRole('button', { name: 'Revoke Weekend desk' }).click();
    await admin.getByText('Weekend desk').waitFor({ state: 'detached' });
    // A revoked token signs the desk out at once: the server ends its socket, and the desk asks who it is.
    await editor.getByLabel('Token').waitFor();
    expect(await editor.getByRole('alert').first().textContent()).toMatch(/no longer valid/);
  });
});
