/**
 * Two editors on one entry: a save never silently overwrites another editor's newer version, and an
 * entry deleted under an editor's open form leaves the form and its text in place.
 */
import { describe, expect, it } from '@jest/globals';
import type { Route } from 'playwright-core';
import type { Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { deskEntry, deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-conflicts');

describe('two editors on one entry', () => {
  it('shows the other editor’s newer version beside yours, and saves yours only when you choose', async () => {
    const blog = await createBlog(desk.server.url, 'desk-two-editors');
    const entry = await publish(desk.server.url, blog.id, { body: 'Captured on 8 January' });
    const [anna, boris] = await Promise.all([desk.signIn(), desk.signIn()]);
    await Promise.all([desk.chooseBlog(anna, blog.id), desk.chooseBlog(boris, blog.id)]);

    await deskEntry(anna, 'Captured on 8 January').getByRole('button', { name: 'Edit' }).click();
    await deskEntry(boris, 'Captured on 8 January').getByRole('button', { name: 'Edit' }).click();
    await anna.locator(`#edit-body-${entry.id}`).fill('Captured on 9 January, says Kyiv');
    await boris.locator(`#edit-body-${entry.id}`).fill('Captured on 9 January');
    await boris.locator(`#edit-body-${entry.id}`).press('Control+Enter');
    await deskEntry(boris, 'Captured on 9 January').getByRole('button', { name: 'Edit' }).waitFor();

    await anna.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = anna.locator('.ed-conflict');
    await conflict.getByText(/Changed by .* at \d\d:\d\d — your text is kept/).waitFor();
    await conflict.getByText('Captured on 9 January', { exact: false }).first().waitFor();
    expect(await anna.locator(`#edit-body-${entry.id}`).inputValue()).toBe('Captured on 9 January, says Kyiv');
    expect((await desk.stored(blog.id))[0].body).toBe('Captured on 9 January');

    await conflict.getByRole('button', { name: 'Save mine over theirs' }).click();
    await deskEntry(anna, 'says Kyiv').getByRole('button', { name: 'Edit' }).waitFor();
    expect((await desk.stored(blog.id))[0].body).toBe('Captured on 9 January, says Kyiv');
  });

  it('keeps an edit that touches other fields than the other editor’s change, without asking', async () => {
    const blog = await createBlog(desk.server.url, 'desk-merge');
    const entry = await publish(desk.server.url, blog.id, { body: 'Kursk, morning' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await deskEntry(page, 'Kursk, morning').getByRole('button', { name: 'Edit' }).click();
    await page.locator(`#edit-body-${entry.id}`).fill('Kursk, afternoon');
    const pinned = await request<Update>(desk.server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${entry.id}`, { body: { pinned: true } });
    expect(pinned.status).toBe(200);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await deskEntry(page, 'Kursk, afternoon').getByRole('button', { name: 'Edit' }).waitFor();
    expect((await desk.stored(blog.id))[0]).toMatchObject({ body: 'Kursk, afternoon', pinned: true });
  });

  it('keeps the form and its text when another editor deletes the entry, and publishes it as a new entry on request', async () => {
    const blog = await createBlog(desk.server.url, 'desk-deleted-under');
    const entry = await publish(desk.server.url, blog.id, { body: 'Prisoners moved to Kyiv', title: 'Prisoners' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await deskEntry(page, 'Prisoners moved to Kyiv').getByRole('button', { name: 'Edit' }).click();
    const field = page.locator(`#edit-body-${entry.id}`);
    await field.fill('Prisoners moved to Kyiv by train');
    expect((await request(desk.server.url, 'DELETE', `/api/blogs/${blog.id}/updates/${entry.id}`)).status).toBe(204);

    await page.getByText(/Another editor deleted this entry/).waitFor();
    expect(await field.inputValue()).toBe('Prisoners moved to Kyiv by train');
    await page.getByRole('button', { name: 'Publish as a new entry' }).click();
    await deskEntry(page, 'by train').getByRole('button', { name: 'Edit' }).waitFor();
    const updates = await desk.stored(blog.id);
    expect(updates.map((u) => [u.title, u.body])).toEqual([['Prisoners', 'Prisoners moved to Kyiv by train']]);
  });

  it('closes the form of a deleted entry without putting the entry back, focus staying in the list', async () => {
    const blog = await createBlog(desk.server.url, 'desk-deleted-cancel');
    await publish(desk.server.url, blog.id, { body: 'Stays' });
    const entry = await publish(desk.server.url, blog.id, { body: 'Taken down' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await deskEntry(page, 'Taken down').getByRole('button', { name: 'Edit' }).click();
    expect((await request(desk.server.url, 'DELETE', `/api/blogs/${blog.id}/updates/${entry.id}`)).status).toBe(204);
    await page.getByText(/Another editor deleted this entry/).waitFor();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator(`#ed-update-${entry.id}`).waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.closest('#entries') !== null)).toBe(true);
    expect(await page.locator('#entry-list > li').count()).toBe(1);
  });
  it('“Save mine over theirs” keeps the other editor’s change to a field only they changed', async () => {
    const blog = await createBlog(desk.server.url, 'desk-mine-over-theirs');
    const entry = await publish(desk.server.url, blog.id, { body: 'Captured on 8 January', title: 'Captured' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await deskEntry(page, 'Captured on 8 January').getByRole('button', { name: 'Edit' }).click();
    await page.locator(`#edit-body-${entry.id}`).fill('Captured on 9 January, says Kyiv');
    const theirs = await request<Update>(desk.server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${entry.id}`, {
      body: { body: 'Captured on 9 January', title: 'Two soldiers captured' },
    });
    expect(theirs.status).toBe(200);
    await page
      .locator('.ed-conflict')
      .getByText(/Changed by .* at \d\d:\d\d — your text is kept/)
      .waitFor();
    await page.getByRole('button', { name: 'Save mine over theirs' }).click();
    await deskEntry(page, 'says Kyiv').getByRole('button', { name: 'Edit' }).waitFor();
    expect((await desk.stored(blog.id))[0]).toMatchObject({ body: 'Captured on 9 January, says Kyiv', title: 'Two soldiers captured' });
  });

  it('takes a save whose answer was lost as saved, once the server holds it, and never shows it as a conflict', async () => {
    const blog = await createBlog(desk.server.url, 'desk-lost-save');
    const entry = await publish(desk.server.url, blog.id, { body: 'Kursk, morning' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    let first = true;
    await page.route(`**/api/blogs/${blog.id}/updates/${entry.id}`, async (route: Route) => {
      if (route.request().method() !== 'PATCH' || !first) return route.continue();
      first = false;
      await route.fetch(); // stored (version 2)…
      await route.abort('connectionreset'); // …and the answer lost
    });
    await deskEntry(page, 'Kursk, morning').getByRole('button', { name: 'Edit' }).click();
    await page.locator(`#edit-body-${entry.id}`).fill('Kursk, afternoon');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await deskEntry(page, 'Kursk, afternoon').getByRole('button', { name: 'Edit' }).waitFor();
    expect(await page.getByText(/Not saved/).count()).toBe(0);
    expect((await desk.stored(blog.id))[0]).toMatchObject({ body: 'Kursk, afternoon', version: 2 });
  });

  it('does not call it a conflict when the other editor saved the same text', async () => {
    const blog = await createBlog(desk.server.url, 'desk-same-change');
    const entry = await publish(desk.server.url, blog.id, { body: 'Kursk, morning' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await deskEntry(page, 'Kursk, morning').getByRole('button', { name: 'Edit' }).click();
    await page.locator(`#edit-body-${entry.id}`).fill('Kursk, afternoon');
    await request(desk.server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${entry.id}`, { body: { body: 'Kursk, afternoon' } });
    // whether their version arrives live first or as the save's 412, it is no conflict
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await deskEntry(page, 'Kursk, afternoon').getByRole('button', { name: 'Edit' }).waitFor();
    expect(await page.locator('.ed-conflict:not([hidden])').count()).toBe(0);
  });

  it('warns before Undo when another editor has published the deleted entry again', async () => {
    const blog = await createBlog(desk.server.url, 'desk-undo-republished');
    const entry = await publish(desk.server.url, blog.id, { body: 'Prisoners moved to Kyiv' });
    const [anna, boris] = [await desk.signIn(), await desk.signIn()];
    await Promise.all([desk.chooseBlog(anna, blog.id), desk.chooseBlog(boris, blog.id)]);
    await deskEntry(boris, 'Prisoners moved to Kyiv').getByRole('button', { name: 'Edit' }).click();
    await boris.locator(`#edit-body-${entry.id}`).fill('Prisoners moved to Kyiv by train');
    await deskEntry(anna, 'Prisoners moved to Kyiv').getByRole('button', { name: 'Delete' }).click();
    await anna.getByRole('button', { name: 'Undo' }).waitFor();
    await boris.getByRole('button', { name: 'Publish as a new entry' }).click();
    await anna.getByText(/Another editor has published this entry again since/).waitFor({ timeout: 5000 });
    expect((await desk.stored(blog.id)).length).toBe(1);
  });
});
