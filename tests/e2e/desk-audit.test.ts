/**
 * The History panel: who published, edited and deleted what on a blog, in words ("Olena Kovalenko
 * edited at 17:46"), with the edit word by word and a deleted entry's text; paged with Load older; and
 * an entry's own history naming who made each version.
 */
import { describe, expect, it } from '@jest/globals';
import { createBlog, publish } from '../helpers/api';
import { axeViolations, deskEntry, deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-audit');

describe('the History panel', () => {
  it('names who edited and deleted what, with the change word by word and the deleted text', async () => {
    const blog = await createBlog(desk.server.url, 'audit-names');
    const entry = await publish(desk.server.url, blog.id, { body: 'Three drones shot down over Odesa' });
    await publish(desk.server.url, blog.id, { body: 'Unconfirmed: a fourth drone' });
    const olena = await desk.person({ name: 'Olena Kovalenko', role: 'editor', blogs: [blog.id] });
    const page = await desk.signInAs(olena, { bypassCSP: true });
    await desk.chooseBlog(page, blog.id);

    await deskEntry(page, 'Three drones').getByRole('button', { name: 'Edit' }).click();
    await page.locator(`#edit-body-${entry.id}`).fill('Five drones shot down over Odesa');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await deskEntry(page, 'Five drones').getByRole('button', { name: 'Edit' }).waitFor();
    await deskEntry(page, 'a fourth drone').getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('button', { name: 'Undo' }).waitFor();

    await page.getByRole('button', { name: 'Show history' }).click();
    const history = page.locator('#blog-history-list > li');
    const edited = history.filter({ hasText: /^Olena Kovalenko edited at \d\d:\d\d/ });
    await edited.waitFor();
    expect(await edited.locator('del').allTextContents()).toEqual(['Three']);
    expect(await edited.locator('ins').allTextContents()).toEqual(['Five']);
    const deleted = history.filter({ hasText: /^Olena Kovalenko deleted at \d\d:\d\d/ });
    expect(await deleted.locator('del').textContent()).toBe('Unconfirmed: a fourth drone');
    await history
      .filter({ hasText: /^The admin token published at \d\d:\d\d/ })
      .first()
      .waitFor();
    expect(await history.allTextContents()).toHaveLength(5); // and the blog's creation
    expect(await axeViolations(page)).toEqual([]);

    // The entry's own history says who made each version.
    const item = deskEntry(page, 'Five drones');
    await item.getByRole('button', { name: 'History' }).click();
    await item.getByText(/^Olena Kovalenko edited at \d\d:\d\d$/).waitFor();
    await item.getByText(/Version 2 · corrected .* by Olena Kovalenko/).waitFor();
    await item.getByText(/Version 1 · published .* by the admin token/).waitFor();
  });

  it('names the entry each line is about, links to it while it is listed, and dates lines of other days', async () => {
    const blog = await createBlog(desk.server.url, 'audit-which');
    const headed = await publish(desk.server.url, blog.id, { title: 'Explosions heard near Sudzha', body: 'Two loud blasts at 4 am' });
    const plain = await publish(desk.server.url, blog.id, { body: 'Governor says two villages evacuated overnight, more to follow' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    for (const [id, text] of [
      [headed.id, 'Three loud blasts at 4 am'],
      [plain.id, 'Governor says three villages evacuated overnight, more to follow'],
    ]) {
      await page.locator(`#ed-update-${id}`).getByRole('button', { name: 'Edit' }).click();
      await page.locator(`#edit-body-${id}`).fill(text);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await page.locator(`#ed-update-${id}`).getByRole('button', { name: 'Edit' }).waitFor();
    }

    await page.getByRole('button', { name: 'Show history' }).click();
    const lines = page.locator('#blog-history-list .ed-audit__line');
    await lines.nth(4).waitFor();
    expect(await lines.filter({ hasText: /edited at/ }).allTextContents()).toEqual([
      expect.stringMatching(/^The admin token edited at \d\d:\d\d: “Governor says three villages evacuated overnight, more to…”$/),
      expect.stringMatching(/^The admin token edited at \d\d:\d\d: “Explosions heard near Sudzha”$/),
    ]);
    await page.locator('#blog-history-list').getByRole('link', { name: 'Explosions heard near Sudzha' }).first().click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(`ed-update-${headed.id}`);

    // Two days on, the same lines say the day too.
    await page.clock.setSystemTime(Date.now() + 2 * 24 * 3600_000);
    await page.getByRole('button', { name: 'Hide history' }).click();
    await page.getByRole('button', { name: 'Show history' }).click();
    await lines.filter({ hasText: /^The admin token edited at \d{1,2} \w{3}, \d\d:\d\d: “Explosions heard near Sudzha”$/ }).waitFor();
  });

  it('pages to older lines with Load older, focus on the first of them', async () => {
    const blog = await createBlog(desk.server.url, 'audit-older');
    for (let n = 1; n <= 55; n += 1) await publish(desk.server.url, blog.id, { body: `Line ${n} of the night` });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await page.getByRole('button', { name: 'Show history' }).click();
    const lines = page.locator('#blog-history-list > li');
    await lines.nth(49).waitFor();
    expect(await lines.count()).toBe(50);
    await page.locator('#blog-history').getByRole('button', { name: 'Load older' }).click();
    await lines.nth(55).waitFor(); // 55 publishes and the blog's creation
    await page.getByText('That is all of this blog’s history.').waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/published at/);
    expect(await lines.last().textContent()).toMatch(/created the blog/);
  });
});
