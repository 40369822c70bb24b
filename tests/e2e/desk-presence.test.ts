/**
 * Two editors on one entry, as people: each sees that the other has it open ("Olena Kovalenko is
 * editing"), and a refused save names who changed it and when ("Changed by … at 17:46 — your text is
 * kept"), in the desk's zone. Pin and key-event toggles carry If-Match too.
 */
import { describe, expect, it } from '@jest/globals';
import type { Update } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { deskEntry, deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-presence');

/** "17:46" in Kyiv, the desk pages' zone. */
const kyivClock = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'Europe/Kyiv' }).format(new Date(iso));

describe('two editors on one entry', () => {
  it('shows who else is editing an entry, and stops when they close it', async () => {
    const blog = await createBlog(desk.server.url, 'presence-shown');
    await publish(desk.server.url, blog.id, { body: 'Evacuation trains leave at 18:00' });
    const [olena, petro] = await Promise.all([
      desk.person({ name: 'Olena Kovalenko', role: 'editor', blogs: [blog.id] }),
      desk.person({ name: 'Petro Shevchuk', role: 'editor', blogs: [blog.id] }),
    ]);
    const [first, second] = await Promise.all([desk.signInAs(olena), desk.signInAs(petro)]);
    await Promise.all([desk.chooseBlog(first, blog.id), desk.chooseBlog(second, blog.id)]);

    await deskEntry(first, 'Evacuation trains').getByRole('button', { name: 'Edit' }).click();
    await deskEntry(second, 'Evacuation trains').getByText('Olena Kovalenko is editing this entry now.').waitFor();
    // Nobody is told that they themselves are editing.
    expect(await first.getByText(/is editing this entry/).count()).toBe(0);

    await deskEntry(second, 'Evacuation trains').getByRole('button', { name: 'Edit' }).click();
    await first.getByText('Petro Shevchuk is editing this entry now.').waitFor();
    await first.getByRole('button', { name: 'Cancel' }).click();
    await second.getByText(/is editing this entry/).waitFor({ state: 'detached' });
  });

  it('names the editor whose save came first, with the time on the desk’s clock, and keeps the text', async () => {
    const blog = await createBlog(desk.server.url, 'presence-conflict');
    const entry = await publish(desk.server.url, blog.id, { body: 'Bridge closed to traffic' });
    const [olena, petro] = await Promise.all([
      desk.person({ name: 'Olena Kovalenko', role: 'editor', blogs: [blog.id] }),
      desk.person({ name: 'Petro Shevchuk', role: 'editor', blogs: [blog.id] }),
    ]);
    const [first, second] = await Promise.all([desk.signInAs(olena), desk.signInAs(petro)]);
    await Promise.all([desk.chooseBlog(first, blog.id), desk.chooseBlog(second, blog.id)]);
    await deskEntry(first, 'Bridge closed').getByRole('button', { name: 'Edit' }).click();
    await deskEntry(second, 'Bridge closed').getByRole('button', { name: 'Edit' }).click();
    await first.locator(`#edit-body-${entry.id}`).fill('Bridge closed to all traffic until noon');
    await second.locator(`#edit-body-${entry.id}`).fill('Bridge reopened');
    await first.getByRole('button', { name: 'Save', exact: true }).click();
    await deskEntry(first, 'until noon').getByRole('button', { name: 'Edit' }).waitFor();

    await second.getByRole('button', { name: 'Save', exact: true }).click();
    const [stored] = await desk.stored(blog.id);
    const said = `Changed by Olena Kovalenko at ${kyivClock(stored.editedAt!)} — your text is kept.`;
    await second.locator('.ed-conflict').getByText(said).waitFor();
    expect(await second.locator(`#edit-body-${entry.id}`).inputValue()).toBe('Bridge reopened');
    expect(stored.body).toBe('Bridge closed to all traffic until noon');
  });

  it('does not apply a pin pressed on a version another editor has changed since, and says who changed it', async () => {
    const blog = await createBlog(desk.server.url, 'presence-pin');
    const entry = await publish(desk.server.url, blog.id, { body: 'Curfew from 23:00' });
    const olena = await desk.person({ name: 'Olena Kovalenko', role: 'editor', blogs: [blog.id] });
    const page = await desk.signInAs(olena);
    await desk.chooseBlog(page, blog.id);
    await deskEntry(page, 'Curfew').getByRole('button', { name: 'Pin' }).waitFor();
    // Another editor's change lands just before the desk's pin: the pin carries the version it was pressed on.
    let sentIfMatch: string | undefined;
    await page.route(`**/api/blogs/${blog.id}/updates/${entry.id}`, async (route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      sentIfMatch = route.request().headers()['if-match'];
      const edited = await request<Update>(desk.server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${entry.id}`, {
        body: { body: 'Curfew from 22:00' },
      });
      expect(edited.status).toBe(200);
      await route.continue();
    });
    await deskEntry(page, 'Curfew from 23:00').getByRole('button', { name: 'Pin' }).click();
    await page.getByText(/^Not changed: Changed by the admin token at \d\d:\d\d\./).waitFor();
    expect(sentIfMatch).toBe('"1"');
    const [stored] = await desk.stored(blog.id);
    expect(stored).toMatchObject({ body: 'Curfew from 22:00', pinned: false, version: 2 });
    await deskEntry(page, 'Curfew from 22:00').waitFor();
  });
});
