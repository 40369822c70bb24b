/**
 * The composer says what it did and why it did not: after a reopen it publishes, a time zone it cannot
 * read is refused rather than guessed, an update over the limit is counted and refused rather than cut,
 * a browser that is offline is told nothing was sent, and its hints go when the editor acts on them.
 */
import { describe, expect, it } from '@jest/globals';
import type { Page, Route } from 'playwright-core';
import { createBlog, request } from '../helpers/api';
import { deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-composer');
const body = (page: Page) => page.getByLabel('Update', { exact: true });
const status = (page: Page) => page.locator('#composer-status');

/** The composer's status once it says something other than "Publishing…". */
async function outcome(page: Page): Promise<string> {
  await page.waitForFunction(() => {
    const text = document.querySelector('#composer-status')?.textContent ?? '';
    return text !== '' && text !== 'Publishing…';
  });
  return (await status(page).textContent()) ?? '';
}

describe('the composer', () => {
  it('publishes after the blog is reopened from the desk, and says why while it is ended', async () => {
    const blog = await createBlog(desk.server.url, 'desk-reopen');
    expect((await request(desk.server.url, 'PATCH', `/api/blogs/${blog.id}`, { body: { status: 'ended' } })).status).toBe(200);
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await body(page).fill('Back live');
    await body(page).press('Control+Enter');
    expect(await outcome(page)).toMatch(/has ended.*Reopen/i);

    await page.getByRole('button', { name: 'Reopen live blog' }).click();
    await page.getByText('The blog is live again.').waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    expect(await outcome(page)).toMatch(/^Published at /);
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Back live']);
  });

  it('refuses a time zone it cannot read instead of publishing in the browser’s zone', async () => {
    const blog = await createBlog(desk.server.url, 'desk-bad-zone');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await body(page).fill('Updated at 17.45');
    await page.getByLabel('Set by hand').check();
    await page.getByLabel('Publish time').fill('2025-01-11T17:45');
    await page.getByLabel('Time zone').fill('Europe/Kyyiv');
    await page.getByRole('button', { name: 'Publish' }).click();
    expect(await outcome(page)).toBe('Choose a time zone from the list.');
    expect(await desk.stored(blog.id)).toEqual([]);
  });

  it('counts an update near the limit and refuses one over it, never cutting it', async () => {
    const blog = await createBlog(desk.server.url, 'desk-long');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const long = 'a'.repeat(20_002);
    await body(page).fill(long);
    expect((await body(page).inputValue()).length).toBe(20_002);
    await page.getByText('20,002 characters of 20,000').waitFor();
    await page.getByRole('button', { name: 'Publish' }).click();
    expect(await outcome(page)).toBe('The update is 20,002 characters; the most is 20,000.');
    expect(await desk.stored(blog.id)).toEqual([]);
  });

  it('says nothing was sent when the browser is offline, not that it may have reached readers', async () => {
    const blog = await createBlog(desk.server.url, 'desk-browser-offline');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await body(page).fill('Written on a train');
    await page.context().setOffline(true);
    await page.getByRole('button', { name: 'Publish' }).click();
    const text = await outcome(page);
    expect(text).toMatch(/^Not published: this browser is offline/);
    expect(text).not.toMatch(/may have reached readers/);
    await page.context().setOffline(false);
  });

  it('leaves a cleared time empty, and takes “Write the update first.” away once the editor writes', async () => {
    const blog = await createBlog(desk.server.url, 'desk-hints');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await page.getByRole('button', { name: 'Publish' }).click();
    expect(await outcome(page)).toBe('Write the update first.');
    await body(page).pressSequentially('S');
    await page.waitForFunction(() => document.querySelector('#composer-status')?.textContent === '');

    await page.getByLabel('Set by hand').check();
    expect(await page.getByLabel('Publish time').inputValue()).not.toBe('');
    await page.getByLabel('Publish time').fill('');
    await body(page).pressSequentially('hots');
    expect(await page.getByLabel('Publish time').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Publish' }).click();
    expect(await outcome(page)).toBe('Set the time, or choose Now.');
  });

  it('says how long to wait when the server limits the rate', async () => {
    const blog = await createBlog(desk.server.url, 'desk-rate');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await page.route(`**/api/blogs/${blog.id}/updates`, (route: Route) =>
      route.request().method() !== 'POST'
        ? route.continue()
        : route.fulfill({
            status: 429,
            headers: { 'retry-after': '60', 'content-type': 'application/json' },
            body: JSON.stringify({
              error: { code: 'rate_limited', message: 'too many writes: at most 120 a minute per token; try again in 60 s' },
            }),
          }),
    );
    await body(page).fill('Too many');
    await page.getByRole('button', { name: 'Publish' }).click();
    const text = await outcome(page);
    expect(text).toMatch(/about a minute/);
    expect(text).not.toMatch(/wait a moment/);
  });
});
