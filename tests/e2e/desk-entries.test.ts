/**
 * Correcting and managing published entries from the desk: the whole edit form, the keyboard, older
 * entries and search, undo after delete, the history with its diff and restore, the server's absence
 * shown before it costs a publish, and the words the desk uses.
 */
import { describe, expect, it } from '@jest/globals';
import type { Route } from 'playwright-core';
import type { Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { startServer } from '../helpers/app';
import { waitFor } from '../helpers/wait';
import { deskEntry, deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-entries');

describe('entries on the desk', () => {
  it('edits every field, saves with Ctrl+Enter and gives focus back to the entry', async () => {
    const blog = await createBlog(desk.server.url, 'desk-edit-all');
    const entry = await publish(desk.server.url, blog.id, { body: 'Captured near Kursk', title: 'Captured', author: 'Day desk' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const item = page.locator(`#ed-update-${entry.id}`);
    await item.getByRole('button', { name: 'Edit' }).click();
    await item.getByLabel('Headline').fill('Captured, and talking');
    await item.getByLabel('Author').fill('Night desk');
    await item.getByLabel('Publish time').fill('2025-01-11T17:45');
    await item.getByLabel('Key event').check();
    await item.getByLabel('Pinned to the top').check();
    await item.getByLabel('Author').press('Control+Enter');
    await item.getByRole('button', { name: 'Edit' }).waitFor();
    expect(await page.evaluate((id) => !!document.activeElement?.closest(`#ed-update-${id}`), entry.id)).toBe(true);
    expect((await desk.stored(blog.id))[0]).toMatchObject({
      title: 'Captured, and talking',
      author: 'Night desk',
      publishedAt: '2025-01-11T15:45:00.000Z',
      keyEvent: true,
      pinned: true,
    });
  });

  it('keeps an unsaved correction across a reload, and saves it after', async () => {
    const blog = await createBlog(desk.server.url, 'desk-edit-kept');
    const entry = await publish(desk.server.url, blog.id, { body: 'Captured near Kursk' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await page.locator(`#ed-update-${entry.id}`).getByRole('button', { name: 'Edit' }).click();
    await page.locator(`#edit-body-${entry.id}`).fill('Captured near Sudzha, in the Kursk region');
    await page.reload();
    await page.getByText(/Signed in as/).waitFor();
    await page.getByText(/Your unsaved correction is back/).waitFor();
    expect(await page.locator(`#edit-body-${entry.id}`).inputValue()).toBe('Captured near Sudzha, in the Kursk region');
    await page.locator(`#edit-body-${entry.id}`).press('Control+Enter');
    await page.locator(`#ed-update-${entry.id}`).getByRole('button', { name: 'Edit' }).waitFor();
    expect((await desk.stored(blog.id))[0].body).toBe('Captured near Sudzha, in the Kursk region');
    await page.reload();
    await page.getByText(/Signed in as/).waitFor();
    await page.locator(`#ed-update-${entry.id}`).getByRole('button', { name: 'Edit' }).waitFor();
  });

  it('reaches older entries with “Load older” and by searching', async () => {
    const blog = await createBlog(desk.server.url, 'desk-older');
    const start = Date.parse('2025-01-10T08:00:00Z');
    const bodies = Array.from({ length: 130 }, (_, i) => (i === 3 ? 'Oldest report from Sudzha' : `Report number ${i}`));
    for (let i = 0; i < bodies.length; i += 10) {
      await Promise.all(
        bodies
          .slice(i, i + 10)
          .map((text, j) =>
            publish(desk.server.url, blog.id, { body: text, publishedAt: new Date(start + (i + j) * 60_000).toISOString() }),
          ),
      );
    }
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await deskEntry(page, 'Report number 129').waitFor();
    expect(await deskEntry(page, 'Oldest report from Sudzha').count()).toBe(0);
    const older = page.getByRole('button', { name: 'Load older' });
    while ((await deskEntry(page, 'Oldest report from Sudzha').count()) === 0) {
      await older.click();
      await page.waitForFunction(() => !(document.querySelector('#load-older') as HTMLButtonElement).disabled);
    }
    await deskEntry(page, 'Oldest report from Sudzha').getByRole('button', { name: 'Edit' }).waitFor();

    await page.reload();
    await page.getByText(/Signed in as/).waitFor();
    await page.getByRole('searchbox', { name: 'Search entries' }).fill('sudzha');
    await page.getByRole('searchbox', { name: 'Search entries' }).press('Enter');
    await deskEntry(page, 'Oldest report from Sudzha').getByRole('button', { name: 'Edit' }).waitFor();
    expect(await page.locator('#entry-list > li[data-order]').count()).toBe(1);
  });

  it('finds by searching an entry older than the stretch one search request reads', async () => {
    const blog = await createBlog(desk.server.url, 'desk-deep-search');
    // 2,300 updates written straight to the store (through the API it would take a minute)
    const all: Update[] = Array.from({ length: 2300 }, (_, i) => {
      const at = new Date(Date.UTC(2025, 0, 11, 0, 0, i * 20)).toISOString();
      const body = i === 5 ? 'First shelling reported in Sudzha.' : `Entry ${i}.`;
      return {
        id: `u${String(i).padStart(5, '0')}`,
        blogId: blog.id,
        body,
        html: `<p>${body}</p>`,
        publishedAt: at,
        createdAt: at,
        pinned: false,
        keyEvent: false,
        version: 1,
      };
    });
    for (let i = 0; i < all.length; i += 100)
      await Promise.all(all.slice(i, i + 100).map((update) => desk.server.timeline.createUpdate(update)));
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await page.getByRole('searchbox', { name: 'Search entries' }).fill('Sudzha');
    await page.getByRole('searchbox', { name: 'Search entries' }).press('Enter');
    await deskEntry(page, 'First shelling reported in Sudzha').getByRole('button', { name: 'Edit' }).waitFor({ timeout: 10_000 });
    await page.getByText('1 entry matches “Sudzha”.').waitFor();
  });

  it('deletes at once and undoes the delete with the same content at its original time', async () => {
    const blog = await createBlog(desk.server.url, 'desk-undo');
    const gone = await publish(desk.server.url, blog.id, {
      body: 'Wrong casualty figure',
      title: 'Figures',
      author: 'Desk',
      publishedAt: '2025-01-11T10:00:00.000Z',
      keyEvent: true,
      pinned: true,
    });
    await publish(desk.server.url, blog.id, { body: 'Another entry' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await deskEntry(page, 'Wrong casualty figure').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Undo' }).waitFor();
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Another entry']);
    await page.getByRole('button', { name: 'Undo' }).click();
    await deskEntry(page, 'Wrong casualty figure').getByRole('button', { name: 'Edit' }).waitFor();
    await page.getByText(/as a new entry/).waitFor();
    const back = (await desk.stored(blog.id)).find((u) => u.body === 'Wrong casualty figure');
    expect(back).toMatchObject({ title: 'Figures', author: 'Desk', publishedAt: gone.publishedAt, keyEvent: true, pinned: true });
  });

  it('shows the history: toggles as such, a word diff, and restores a version', async () => {
    const blog = await createBlog(desk.server.url, 'desk-history');
    const entry = await publish(desk.server.url, blog.id, { body: 'Two soldiers were captured on 8 January' });
    const patch = (fields: object) =>
      request<Update>(desk.server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${entry.id}`, { body: fields });
    await patch({ pinned: true });
    await patch({ body: 'Two soldiers were captured on 9 January' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const item = page.locator(`#ed-update-${entry.id}`);
    await item.getByRole('button', { name: 'History' }).click();
    const history = item.locator('.ed-history');
    await history.getByText(/Pinned/).waitFor();
    expect(await history.locator('del').allTextContents()).toContain('8');
    expect(await history.locator('ins').allTextContents()).toContain('9');
    // the pin is not shown as a version of the text
    expect(await history.getByText('Two soldiers were captured on 8 January').count()).toBeLessThanOrEqual(1);
    await history.getByRole('button', { name: 'Restore this version' }).first().click();
    await item.locator('.lb-update__body', { hasText: 'on 8 January' }).waitFor();
    expect((await desk.stored(blog.id))[0]).toMatchObject({ body: 'Two soldiers were captured on 8 January', pinned: true });
  });

  it('is busy while a chosen blog’s panels fill in above its entries, and settles once they have', async () => {
    const blogs = [await createBlog(desk.server.url, 'desk-busy-a'), await createBlog(desk.server.url, 'desk-busy-b')];
    const page = await desk.signIn();
    const open = await page.getByLabel('Blog to edit').inputValue();
    const other = blogs.find((blog) => blog.id !== open)!;
    // The approval queue, above the entries, has not had its answer yet.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = false;
    await page.route(`**/api/blogs/${other.id}/pending`, async (route) => {
      asked = true;
      await held;
      await route.continue();
    });
    await page.getByLabel('Blog to edit').selectOption(other.id);
    await page.locator(`#reader-link[href="/blogs/${other.id}"]`).waitFor({ state: 'attached' });
    await waitFor(() => asked, 'the desk to ask for the approval queue');
    expect(await page.locator('#desk').getAttribute('aria-busy')).toBe('true');
    release();
    await page.locator('#desk:not([aria-busy])').waitFor({ state: 'attached' });
    await page.getByText('Nothing is waiting for approval.').waitFor();
  });

  it('says when the server cannot be reached, before a publish fails', async () => {
    const own = await startServer({ prefix: desk.prefix });
    let stopped = false;
    try {
      await createBlog(own.url, 'desk-offline');
      const page = await desk.signIn({ url: own.url });
      await page
        .locator('#connection')
        .filter({ hasText: /Connected/ })
        .waitFor();
      await own.stop();
      stopped = true;
      await page
        .getByRole('alert')
        .filter({ hasText: /cannot reach the server/i })
        .waitFor({ timeout: 10_000 });
      expect(await page.locator('#connection').textContent()).toBe('Offline');
    } finally {
      if (!stopped) await own.stop();
    }
  });

  it('names the editor’s zone with today’s spelling', async () => {
    const blog = await createBlog(desk.server.url, 'desk-zone');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    // named before the time is set by hand, and in the zone chooser after
    expect(await page.locator('#entry-zone').textContent()).toMatch(/^Europe\/Kyiv \(UTC\+0[23]:00\)$/);
    await page.getByLabel('Set by hand').check();
    const zone = page.getByLabel('Time zone').first();
    expect(await zone.inputValue()).toBe('Europe/Kyiv');
    expect(await page.locator('#entry-zone-list option[value="Europe/Kiev"]').count()).toBe(0);
    expect(await page.locator('#entry-zone-list option[value="Europe/Kyiv"]').count()).toBe(1);

    // a time read in another zone, in its summer time
    await zone.fill('America/New_York');
    await page.getByLabel('Publish time').fill('2025-07-04T12:00');
    expect(await page.locator('#entry-zone').textContent()).toBe('America/New_York (UTC−04:00)');
    await page.getByLabel('Update', { exact: true }).fill('Noon in New York');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Published at/).waitFor();
    expect((await desk.stored(blog.id))[0].publishedAt).toBe('2025-07-04T16:00:00.000Z');
  });
  it('offers Undo when a delete’s answer was lost but the server deleted the entry', async () => {
    const blog = await createBlog(desk.server.url, 'desk-lost-delete');
    const entry = await publish(desk.server.url, blog.id, { body: 'Wrong figure' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await page.route(`**/api/blogs/${blog.id}/updates/${entry.id}`, async (route: Route) => {
      if (route.request().method() !== 'DELETE') return route.continue();
      await route.fetch(); // deleted…
      await route.abort('connectionreset'); // …and the answer lost
    });
    await deskEntry(page, 'Wrong figure').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Undo' }).waitFor({ timeout: 5000 });
    expect(await page.getByText(/Not deleted/).count()).toBe(0);
    expect(await desk.stored(blog.id)).toEqual([]);
  });

  it('dates the first version in History by its publish time, not when it was written', async () => {
    const blog = await createBlog(desk.server.url, 'desk-history-dated');
    const entry = await publish(desk.server.url, blog.id, { body: 'Back-dated', publishedAt: '2025-01-11T10:00:00.000Z' });
    await request(desk.server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${entry.id}`, { body: { body: 'Back-dated, corrected' } });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const item = page.locator(`#ed-update-${entry.id}`);
    await item.getByRole('button', { name: 'History' }).click();
    const first = item.locator('.ed-version').first();
    await first.waitFor();
    expect(await first.textContent()).toMatch(/Version 1 · published .*2025/);
  });
});
