/**
 * The approval queue on the desk, with three people at once: a contributor submits, an editor sees it
 * live (with who sent it), corrects it and approves it, and a reader sees it only then; a rejection's
 * reason reaches the contributor. A contributor's desk has no controls that change published entries.
 */
import { describe, expect, it } from '@jest/globals';
import type { PendingUpdate } from '../../shared/schemas';
import { createBlog, publish, request } from '../helpers/api';
import { axeViolations, deskEntry, deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-approval');

/** A blog, its contributor Anna (signed in on it) and its editor Oksana (not yet). */
async function annaAndOksana(blogName: string) {
  const blog = await createBlog(desk.server.url, blogName);
  const [anna, oksana] = await Promise.all([
    desk.person({ name: 'Anna Tkachenko', role: 'contributor', blogs: [blog.id] }),
    desk.person({ name: 'Oksana Melnyk', role: 'editor', blogs: [blog.id] }),
  ]);
  const contributor = await desk.signInAs(anna);
  await desk.chooseBlog(contributor, blog.id);
  return { blog, oksana, contributor };
}

describe('the approval queue on the desk', () => {
  it('goes from a contributor to an editor live, is corrected and approved, and reaches readers only then', async () => {
    const blog = await createBlog(desk.server.url, 'approval-live');
    await publish(desk.server.url, blog.id, { body: 'Shelling reported overnight' });
    const [petro, olena] = await Promise.all([
      desk.person({ name: 'Petro Shevchuk', role: 'contributor', blogs: [blog.id] }),
      desk.person({ name: 'Olena Kovalenko', role: 'editor', blogs: [blog.id] }),
    ]);
    const [contributor, editor] = await Promise.all([desk.signInAs(petro), desk.signInAs(olena)]);
    await Promise.all([desk.chooseBlog(contributor, blog.id), desk.chooseBlog(editor, blog.id)]);
    const reader = await desk.newPage();
    await reader.goto(`${desk.server.url}/blogs/${blog.id}`);
    const readerSees = (text: string) => reader.locator('.lb-update__body', { hasText: text });
    await readerSees('Shelling reported overnight').waitFor();

    // A contributor submits, and may not change what is published.
    const published = deskEntry(contributor, 'Shelling reported overnight');
    await published.waitFor();
    expect(await published.getByRole('button').count()).toBe(0);
    expect(await contributor.getByLabel('Pinned to the top').isVisible()).toBe(false);
    await contributor.getByLabel('Update', { exact: true }).fill('Power is back in Kharkiv’s east');
    await contributor.getByRole('button', { name: 'Submit for approval' }).click();
    // It points to what the contributor's desk shows: their list, not the editors' Pending.
    await contributor
      .getByText(
        /^Submitted for approval at \d\d:\d\d(:\d\d)?: an editor will publish it, or tell you why not \(under Your entries awaiting approval\)\.$/,
      )
      .waitFor();
    expect(await contributor.locator('#pending-heading').textContent()).toBe('Your entries awaiting approval');
    await contributor
      .locator('#pending-list')
      .getByText(/Waiting for approval since/)
      .waitFor();

    // The editor sees it live, said in the live region, with the contributor's name.
    const item = editor.locator('#pending-list > li', { hasText: 'Power is back' });
    await item.getByText(/^From Petro Shevchuk, submitted at \d\d:\d\d/).waitFor();
    await editor
      .locator('#pending-status')
      .getByText(/New entry from Petro Shevchuk waiting for approval/)
      .waitFor();
    expect(await readerSees('Power is back').count()).toBe(0);

    await item.getByRole('button', { name: 'Edit' }).click();
    await editor.getByLabel('Text before approval').fill('Power is back in Kharkiv’s eastern districts');
    await editor.getByRole('button', { name: 'Save correction' }).click();
    await editor.getByText('Correction saved: approve it when it is ready.').waitFor();
    expect(await readerSees('Power is back').count()).toBe(0);
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Shelling reported overnight']);

    await item.getByRole('button', { name: 'Approve' }).click();
    await editor.getByText(/^Approved: “Power is back in Kharkiv’s eastern.*” is published, at \d\d:\d\d/).waitFor();
    await readerSees('Power is back in Kharkiv’s eastern districts').waitFor();
    await deskEntry(editor, 'eastern districts').getByRole('button', { name: 'Edit' }).waitFor();
    await contributor.getByText(/An editor published your entry/).waitFor();
    await deskEntry(contributor, 'eastern districts').waitFor();
    const stored = await desk.stored(blog.id);
    expect(stored.map((u) => [u.body, u.author])).toEqual([
      ['Power is back in Kharkiv’s eastern districts', 'Petro Shevchuk'],
      ['Shelling reported overnight', undefined],
    ]);
  });

  it('shows the contributor a rejection with its reason, live, and publishes nothing', async () => {
    const blog = await createBlog(desk.server.url, 'approval-reject');
    const [ivan, maria] = await Promise.all([
      desk.person({ name: 'Ivan Bondar', role: 'contributor', blogs: [blog.id] }),
      desk.person({ name: 'Maria Lysenko', role: 'editor', blogs: [blog.id] }),
    ]);
    const [contributor, editor] = await Promise.all([desk.signInAs(ivan), desk.signInAs(maria)]);
    await Promise.all([desk.chooseBlog(contributor, blog.id), desk.chooseBlog(editor, blog.id)]);
    await contributor.getByLabel('Update', { exact: true }).fill('Twelve casualties at the station');
    await contributor.getByRole('button', { name: 'Submit for approval' }).click();

    const item = editor.locator('#pending-list > li', { hasText: 'Twelve casualties' });
    await item.getByLabel(/Reason, if you reject/).fill('Only one source so far: confirm with the police');
    await item.getByRole('button', { name: 'Reject' }).click();
    await editor.getByText(/^Rejected: “Twelve casualties/).waitFor();
    await item.waitFor({ state: 'detached' });

    await contributor
      .locator('#pending-list')
      .getByText(/^Rejected by Maria Lysenko at \d\d:\d\d: Only one source so far: confirm with the police$/)
      .waitFor();
    await contributor
      .locator('#pending-status')
      .getByText(/did not publish your entry/)
      .waitFor();
    expect(await desk.stored(blog.id)).toEqual([]);
    // The rejection's own event reaches the editor before a later publish's: it does not bring the entry back.
    await publish(desk.server.url, blog.id, { body: 'Station reopened' });
    await deskEntry(editor, 'Station reopened').waitFor();
    expect(await item.count()).toBe(0);
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Station reopened']);
  });

  it('rejects with Enter in the reason field, as Reject does', async () => {
    const blog = await createBlog(desk.server.url, 'approval-reject-enter');
    const [yurii, iryna] = await Promise.all([
      desk.person({ name: 'Yurii Marchenko', role: 'contributor', blogs: [blog.id] }),
      desk.person({ name: 'Iryna Shevchenko', role: 'editor', blogs: [blog.id] }),
    ]);
    const [contributor, editor] = await Promise.all([desk.signInAs(yurii), desk.signInAs(iryna)]);
    await Promise.all([desk.chooseBlog(contributor, blog.id), desk.chooseBlog(editor, blog.id)]);
    await contributor.getByLabel('Update', { exact: true }).fill('Bridge closed to traffic');
    await contributor.getByRole('button', { name: 'Submit for approval' }).click();

    const item = editor.locator('#pending-list > li', { hasText: 'Bridge closed' });
    await item.getByLabel(/Reason, if you reject/).fill('Police deny it');
    await item.getByLabel(/Reason, if you reject/).press('Enter');
    await editor.getByText(/^Rejected: “Bridge closed to traffic”\. Yurii Marchenko sees your reason\.$/).waitFor();
    await item.waitFor({ state: 'detached' });
    await contributor
      .locator('#pending-list')
      .getByText(/^Rejected by Iryna Shevchenko at \d\d:\d\d: Police deny it$/)
      .waitFor();
    expect(await desk.stored(blog.id)).toEqual([]);
  });

  it('publishes with the contributor’s own time when the editor chooses it', async () => {
    const { blog, oksana, contributor } = await annaAndOksana('approval-time');
    await contributor.getByLabel('Update', { exact: true }).fill('Filed from the front line');
    await contributor.getByRole('button', { name: 'Submit for approval' }).click();
    await contributor.getByText(/^Submitted for approval/).waitFor();
    const { body } = await request<{ pending: PendingUpdate[] }>(desk.server.url, 'GET', `/api/blogs/${blog.id}/pending`);
    const submitted = body.pending[0];

    const editor = await desk.signInAs(oksana, { width: 390, height: 844, bypassCSP: true });
    await desk.chooseBlog(editor, blog.id);
    const item = editor.locator('#pending-list > li', { hasText: 'Filed from the front line' });
    await item.getByLabel('Publish it with').selectOption('submitted');
    // On a phone the queue is as usable, and as accessible, as on a desk.
    expect(await editor.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await axeViolations(editor)).toEqual([]);
    await item.getByRole('button', { name: 'Approve' }).click();
    await editor.getByText(/^Approved:/).waitFor();
    const [stored] = await desk.stored(blog.id);
    expect(stored.publishedAt).toBe(submitted.publishedAt);
  });

  it('keeps the time chosen, the reason typed and the focus in an entry when another entry arrives', async () => {
    const { blog, oksana, contributor } = await annaAndOksana('approval-busy');
    const submit = async (text: string) => {
      await contributor.getByLabel('Update', { exact: true }).fill(text);
      await contributor.getByRole('button', { name: 'Submit for approval' }).click();
      await contributor.locator('#pending-list > li', { hasText: text }).waitFor();
    };
    await submit('Shelling reported near the bridge');

    const editor = await desk.signInAs(oksana);
    await desk.chooseBlog(editor, blog.id);
    const item = editor.locator('#pending-list > li', { hasText: 'Shelling reported near the bridge' });
    await item.getByLabel('Publish it with').selectOption('submitted');
    await item.getByLabel(/^Reason, if you reject/).fill('Needs a second source');
    // A busy newsroom: another entry arrives while the editor is on this one.
    await submit('Air raid alert in the region');
    await editor.locator('#pending-list > li', { hasText: 'Air raid alert in the region' }).waitFor();
    expect(await item.getByLabel('Publish it with').inputValue()).toBe('submitted');
    expect(await item.getByLabel(/^Reason, if you reject/).inputValue()).toBe('Needs a second source');
    expect(await editor.evaluate(() => document.activeElement?.id)).toMatch(/^pending-reason-/);
  });

  it('keeps an editor’s correction on screen when another editor approves the entry meanwhile', async () => {
    const blog = await createBlog(desk.server.url, 'approval-under-form');
    const [lesia, roman] = await Promise.all([
      desk.person({ name: 'Lesia Ukrainka', role: 'contributor', blogs: [blog.id] }),
      desk.person({ name: 'Roman Savchenko', role: 'editor', blogs: [blog.id] }),
    ]);
    const [contributor, editor] = await Promise.all([desk.signInAs(lesia), desk.signInAs(roman)]);
    await Promise.all([desk.chooseBlog(contributor, blog.id), desk.chooseBlog(editor, blog.id)]);
    await contributor.getByLabel('Update', { exact: true }).fill('Queue at the border: 6 km');
    await contributor.getByRole('button', { name: 'Submit for approval' }).click();
    const item = editor.locator('#pending-list > li', { hasText: 'Queue at the border' });
    await item.getByRole('button', { name: 'Edit' }).click();
    await editor.getByLabel('Text before approval').fill('Queue at the border: 9 km');

    const { body } = await request<{ pending: PendingUpdate[] }>(desk.server.url, 'GET', `/api/blogs/${blog.id}/pending`);
    const approved = await request(desk.server.url, 'POST', `/api/blogs/${blog.id}/updates/${body.pending[0].id}/approve`, { body: {} });
    expect(approved.status).toBe(200);
    await editor.getByText(/Another editor approved or rejected this entry meanwhile/).waitFor();
    expect(await editor.getByLabel('Text before approval').inputValue()).toBe('Queue at the border: 9 km');
    expect((await desk.stored(blog.id)).map((u) => u.body)).toEqual(['Queue at the border: 6 km']);
  });
});
