/**
 * A change of someone's role or blogs reaches their open desk: the server ends their connection, and the
 * desk reads who they are again, rebuilds itself for the new rights and says so, keeping the draft.
 */
import { describe, expect, it } from '@jest/globals';
import { createBlog, publish, request } from '../helpers/api';
import { deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-rights');

describe('a change of rights on an open desk', () => {
  it('turns an editor demoted to contributor into a contributor’s desk, with the reason and the draft kept', async () => {
    const blog = await createBlog(desk.server.url, 'rights-demote');
    const sirens = await publish(desk.server.url, blog.id, { body: 'Sirens in the north of the city' });
    const olena = await desk.person({ name: 'Olena Kovalenko', role: 'editor', blogs: [blog.id] });
    const page = await desk.signInAs(olena);
    await desk.chooseBlog(page, blog.id);
    await page.getByRole('button', { name: 'Publish', exact: true }).waitFor();
    await page.locator('#pending-heading').getByText('Pending', { exact: true }).waitFor();
    await page.getByLabel('Update', { exact: true }).fill('Drones shot down over the region');
    // An open correction, which a contributor's desk no longer offers.
    await page.locator(`#ed-update-${sirens.id}`).getByRole('button', { name: 'Edit' }).click();
    await page.locator(`#edit-body-${sirens.id}`).fill('Sirens in the north and east of the city');

    const changed = await request(desk.server.url, 'PATCH', `/api/users/${olena.id}`, { body: { role: 'contributor' } });
    expect(changed.status).toBe(200);

    await page.getByRole('alert').getByText('Your role is now contributor: entries you send wait for approval.').waitFor({ timeout: 5000 });
    await page.getByText('Signed in as Olena Kovalenko (contributor)').waitFor();
    await page.getByRole('button', { name: 'Submit for approval' }).waitFor();
    expect(await page.getByRole('button', { name: 'Publish', exact: true }).count()).toBe(0);
    expect(await page.locator('#pending-heading').textContent()).not.toBe('Pending');
    expect(await page.locator('#entry-list > li', { hasText: 'Sirens' }).getByRole('button').count()).toBe(0);
    expect(await page.getByLabel('Update', { exact: true }).inputValue()).toBe('Drones shot down over the region');
    expect(await page.locator(`#edit-body-${sirens.id}`).count()).toBe(0);
  });

  it('says so when an admin changes the blogs of someone whose desk is open', async () => {
    const [first, second] = await Promise.all([
      createBlog(desk.server.url, 'rights-blogs-a'),
      createBlog(desk.server.url, 'rights-blogs-b'),
    ]);
    const taras = await desk.person({ name: 'Taras Hnatiuk', role: 'editor', blogs: [first.id] });
    const page = await desk.signInAs(taras);
    await desk.chooseBlog(page, first.id);
    const changed = await request(desk.server.url, 'PATCH', `/api/users/${taras.id}`, { body: { blogs: [first.id, second.id] } });
    expect(changed.status).toBe(200);
    await page
      .getByRole('alert')
      .getByText(`An admin changed your blogs: you now work on ${first.id}, ${second.id}.`)
      .waitFor({ timeout: 5000 });
    expect(await page.getByLabel('Blog to edit').locator('option').count()).toBe(2);
  });
});
