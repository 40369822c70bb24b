/**
 * Publishing from the desk when the network lies or lags: a retry after an unknown outcome publishes the
 * text as the editor last corrected it, exactly once; text typed while a publish is on its way is kept.
 */
import { describe, expect, it } from '@jest/globals';
import type { Route } from 'playwright-core';
import { createBlog, request } from '../helpers/api';
import { ADMIN_TOKEN } from '../helpers/app';
import { waitFor } from '../helpers/wait';
import { deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-publish');
const body = (page: import('playwright-core').Page) => page.getByLabel('Update', { exact: true });

describe('publishing from the desk', () => {
  it('a corrected retry after a publish the server stored but never answered publishes the corrected text, once', async () => {
    const blog = await createBlog(desk.server.url, 'desk-lost-answer');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const keys: string[] = [];
    let first = true;
    await page.route(`**/api/blogs/${blog.id}/updates`, async (route: Route) => {
      if (route.request().method() !== 'POST') return route.continue();
      keys.push(route.request().headers()['idempotency-key']);
      if (!first) return route.continue();
      first = false;
      await route.fetch(); // the server stores it…
      await route.abort('connectionreset'); // …and the answer never reaches the desk
    });
    await body(page).fill('Filed under fier');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Not published: .*Could not reach the server.*Your text is kept/).waitFor();
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Filed under fier']);

    await body(page).fill('Filed under fire');
    await page.getByRole('button', { name: 'Publish' }).click();
    // The first attempt had reached readers: it is corrected, not published a second time.
    await page.getByText(/had been published.*corrected/i).waitFor();
    const updates = await desk.stored(blog.id);
    expect(updates.map((u) => u.body)).toEqual(['Filed under fire']);
    expect(await body(page).inputValue()).toBe('');
    expect(keys.length).toBeGreaterThanOrEqual(2);
  });

  it('a corrected retry after a publish that never reached the server publishes the corrected text', async () => {
    const blog = await createBlog(desk.server.url, 'desk-lost-request');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    let first = true;
    await page.route(`**/api/blogs/${blog.id}/updates`, async (route: Route) => {
      if (route.request().method() !== 'POST' || !first) return route.continue();
      first = false;
      await route.abort('internetdisconnected');
    });
    await body(page).fill('Filed under fier');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Not published: .*Your text is kept/).waitFor();
    await body(page).fill('Filed under fire');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/^Published at /).waitFor();
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Filed under fire']);
  });

  it('does not put back on its own an entry taken down after its publish lost its answer', async () => {
    const blog = await createBlog(desk.server.url, 'desk-taken-down');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    let first = true;
    await page.route(`**/api/blogs/${blog.id}/updates`, async (route: Route) => {
      if (route.request().method() !== 'POST' || !first) return route.continue();
      first = false;
      await route.fetch();
      await route.abort('connectionreset');
    });
    await body(page).fill('Unverified claim');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Not published: .*Your text is kept/).waitFor();
    const [taken] = await desk.stored(blog.id);
    expect((await request(desk.server.url, 'DELETE', `/api/blogs/${blog.id}/updates/${taken.id}`)).status).toBe(204);

    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/has since been deleted.*Press Publish again/).waitFor();
    expect(await desk.stored(blog.id)).toEqual([]);
    expect(await body(page).inputValue()).toBe('Unverified claim');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/^Published at /).waitFor();
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Unverified claim']);
  });

  it('gives the Publish button back when no answer comes, and the retry stores the entry once', async () => {
    const blog = await createBlog(desk.server.url, 'desk-no-answer');
    const page = await desk.newPage();
    await page.clock.install();
    await page.goto(`${desk.server.url}/editor`);
    await page.getByLabel('Token').fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await desk.chooseBlog(page, blog.id);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held = true;
    await page.route(`**/api/blogs/${blog.id}/updates`, async (route: Route) => {
      if (route.request().method() !== 'POST' || !held) return route.continue();
      held = false;
      await released; // a connection that died without a word: no answer, no error
      await route.abort('timedout');
    });
    await body(page).fill('Filed from the front');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Publishing…').waitFor();
    await page.clock.fastForward(21_000);
    await page.getByText(/Not published: No answer from the server after 20 seconds\..*Your text is kept/).waitFor();
    expect(await page.getByRole('button', { name: 'Publish' }).isEnabled()).toBe(true);
    release();
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/^Published at /).waitFor();
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Filed from the front']);
  });

  it('keeps only what was typed while a slow publish was on its way, in the box and in the saved draft', async () => {
    const blog = await createBlog(desk.server.url, 'desk-slow-publish');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived: () => void = () => undefined;
    const posted = new Promise<void>((resolve) => (arrived = resolve));
    await page.route(`**/api/blogs/${blog.id}/updates`, async (route: Route) => {
      if (route.request().method() !== 'POST') return route.continue();
      arrived();
      await released;
      await route.continue();
    });
    await body(page).fill('Troops crossed the border');
    await page.getByRole('button', { name: 'Publish' }).click();
    await posted;
    await body(page).press('End');
    await body(page).pressSequentially(' at dawn');
    release();
    await page.getByText(/Published at .*What you typed after it is kept below, not published\./).waitFor();
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Troops crossed the border']);
    // only what was typed since: Publish again must not publish the first sentence twice
    expect(await body(page).inputValue()).toBe('at dawn');
    await page.reload();
    await page.getByText(/Signed in as/).waitFor();
    await page.waitForFunction(() => (document.querySelector('#entry-body') as HTMLTextAreaElement).value !== '');
    expect(await body(page).inputValue()).toBe('at dawn');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/^Published at /).waitFor();
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['at dawn', 'Troops crossed the border']);
  });

  it('keeps what was typed into a blog’s draft when another blog is opened while its publish is on its way', async () => {
    const [a, b] = [await createBlog(desk.server.url, 'desk-switch-a'), await createBlog(desk.server.url, 'desk-switch-b')];
    const page = await desk.signIn();
    await desk.chooseBlog(page, b.id);
    await body(page).fill('Draft of B');
    await desk.chooseBlog(page, a.id);
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    await page.route(`**/api/blogs/${a.id}/updates`, async (route: Route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await released;
      await route.continue();
    });
    await body(page).fill('Entry of A');
    await page.getByRole('button', { name: 'Publish' }).click();
    await body(page).press('End');
    await body(page).pressSequentially(', and more');
    await desk.chooseBlog(page, b.id);
    expect(await body(page).inputValue()).toBe('Draft of B');
    release();
    await page.waitForFunction(() => !document.querySelector('#publish')?.hasAttribute('disabled'));
    await waitFor(async () => (await desk.stored(a.id)).length === 1, 'the entry of A');
    expect(await body(page).inputValue()).toBe('Draft of B');
    await desk.chooseBlog(page, a.id);
    expect(await body(page).inputValue()).toBe(', and more');
    // …a new draft: publishing it makes a second entry, it does not correct the first
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/^Published at /).waitFor();
    expect((await desk.stored(a.id)).map((u) => u.body)).toEqual([', and more', 'Entry of A']);
  });

  it('publishes with Ctrl+Enter from any field of the composer, and says what is wrong in plain words', async () => {
    const blog = await createBlog(desk.server.url, 'desk-shortcut');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await body(page).fill('From the headline field');
    await page.getByLabel('Headline (optional)').fill('Shortcut');
    await page.getByLabel('Headline (optional)').press('Control+Enter');
    await page.getByText(/Published at /).waitFor();
    expect((await desk.stored(blog.id)).map((u) => u.title)).toEqual(['Shortcut']);

    await body(page).fill('Too far ahead');
    await page.getByLabel('Set by hand').check();
    await page.getByLabel('Publish time').fill('2099-01-01T10:00');
    await page.getByRole('button', { name: 'Publish' }).click();
    const status = page.locator('#composer-status');
    await status.filter({ hasText: /Not published/ }).waitFor();
    const text = (await status.textContent()) ?? '';
    expect(text).toMatch(/Time must not be more than an hour in the future\./);
    expect(text).not.toMatch(/publishedAt/);
    expect(text.trim()).toMatch(/\.$/);
  });
});
