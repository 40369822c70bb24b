/**
 * The desk's layout as an editor on deadline meets it: the composer first and its feedback in view on a
 * laptop and a phone, ending a blog behind a confirmation, and valid HTML.
 */
import { describe, expect, it } from '@jest/globals';
import { HtmlValidate } from 'html-validate';
import type { Page } from 'playwright-core';
import { createBlog, publish, request } from '../helpers/api';
import type { Blog } from '../../shared/schemas';
import { axeViolations, deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-layout');

async function inView(page: Page, selector: string): Promise<boolean> {
  const box = await page.locator(selector).first().boundingBox();
  const viewport = page.viewportSize()!;
  return !!box && box.y >= 0 && box.y + box.height <= viewport.height && box.x >= 0 && box.x + box.width <= viewport.width;
}

describe('the desk’s layout', () => {
  it.each([
    [1280, 900],
    [390, 844],
  ])('puts the composer first and keeps “Published at…” in view at %i×%i', async (width, height) => {
    const blog = await createBlog(desk.server.url, `desk-layout-${width}`);
    await publish(desk.server.url, blog.id, { body: `An earlier entry: https://example.com/${'a'.repeat(300)}`, title: 'T'.repeat(150) });
    const page = await desk.signIn({ width, height });
    await desk.chooseBlog(page, blog.id);
    const box = await page.getByLabel('Update', { exact: true }).boundingBox();
    expect(box!.y).toBeLessThan(width > 600 ? 260 : 330);
    await page.getByLabel('Update', { exact: true }).fill('Fresh from the border');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Published at/).waitFor();
    expect(await inView(page, '#composer-status')).toBe(true);
    if (width > 600) {
      // the list beside the composer, its newest entry in view
      await page.locator('#entry-list > li', { hasText: 'Fresh from the border' }).waitFor();
      expect(await inView(page, '#entry-list > li')).toBe(true);
    }
    const scrollWidth = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(scrollWidth).toBeLessThanOrEqual(width);
  });

  it('asks before ending a live blog, in a dialog used with the keyboard, apart from Apply', async () => {
    const blog = await createBlog(desk.server.url, 'desk-end');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const end = page.getByRole('button', { name: 'End live blog' });
    const apply = page.getByRole('button', { name: 'Apply' });
    // not in the same row as Apply: a slip of the mouse must not end the story
    const [endBox, applyBox] = [await end.boundingBox(), await apply.boundingBox()];
    expect(Math.abs(endBox!.y - applyBox!.y) > 40 || Math.abs(endBox!.x - applyBox!.x) > 300).toBe(true);

    await end.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await page.evaluate(() => !!document.activeElement?.closest('dialog'))).toBe(true);
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect((await request<Blog>(desk.server.url, 'GET', `/api/blogs/${blog.id}`)).body.status).toBe('live');
    // focus goes back to the button that opened the dialog
    expect(await page.evaluate(() => document.activeElement?.textContent)).toMatch(/End live blog/);

    await end.click();
    await dialog.getByRole('button', { name: 'End the live blog' }).click();
    await page.getByText(/The blog has ended/).waitFor();
    expect((await request<Blog>(desk.server.url, 'GET', `/api/blogs/${blog.id}`)).body.status).toBe('ended');
  });

  it.each([
    [1280, 900, 'light'],
    [390, 844, 'dark'],
  ] as const)(
    'has no serious or critical axe-core violation at %i×%i (%s), with a form, a history and a conflict open',
    async (width, height, colorScheme) => {
      const blog = await createBlog(desk.server.url, `desk-axe-${width}`);
      const first = await publish(desk.server.url, blog.id, { body: 'Captured on 8 January', keyEvent: true });
      const second = await publish(desk.server.url, blog.id, { body: 'Moved to Kyiv', title: 'Prisoners' });
      await request(desk.server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${first.id}`, {
        body: { body: 'Captured on 9 January', pinned: true },
      });
      const page = await desk.signIn({ width, height, colorScheme, bypassCSP: true });
      await desk.chooseBlog(page, blog.id);
      await page.locator(`#ed-update-${first.id}`).getByRole('button', { name: 'History' }).click();
      await page.locator('.ed-history:not([hidden])').waitFor();
      await page.locator(`#ed-update-${second.id}`).getByRole('button', { name: 'Edit' }).click();
      await page.locator(`#edit-body-${second.id}`).fill('Moved to Kyiv by train');
      await request(desk.server.url, 'PATCH', `/api/blogs/${blog.id}/updates/${second.id}`, { body: { body: 'Moved to Kyiv by bus' } });
      await page.locator('.ed-conflict').waitFor();
      await page.locator('#entry-body').fill('A draft'); // (its label, Update, is the open edit form's too)
      await page.getByRole('button', { name: 'Publish' }).click();
      await page.getByText(/Published at/).waitFor();
      expect(await axeViolations(page)).toEqual([]);
    },
  );

  it('serves /editor as valid HTML', async () => {
    const html = await (await fetch(`${desk.server.url}/editor`)).text();
    const report = await new HtmlValidate({ extends: ['html-validate:recommended'] }).validateString(html);
    const errors = report.results.flatMap((result) => result.messages.map((m) => `${m.ruleId}: ${m.message}`));
    expect(errors.filter((e) => /href|target|attribute/i.test(e))).toEqual([]);
  });
  it('reaches “This blog” from the top by a skip link, not past every entry', async () => {
    const blog = await createBlog(desk.server.url, 'desk-skip');
    for (let i = 0; i < 30; i += 10)
      await Promise.all(Array.from({ length: 10 }, (_, j) => publish(desk.server.url, blog.id, { body: `Entry ${i + j}` })));
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const skip = page.getByRole('link', { name: 'This blog' });
    expect(await skip.count()).toBe(1);
    await skip.focus();
    await page.keyboard.press('Enter');
    // where the keyboard went shows
    await page.waitForFunction(() => document.activeElement?.classList.contains('ed-card'));
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    let presses = 0;
    while ((await page.evaluate(() => document.activeElement?.textContent)) !== 'End live blog' && presses < 10) {
      await page.keyboard.press('Tab');
      presses += 1;
    }
    expect(presses).toBeLessThan(10);
  });

  it('names each control of the composer and an open edit form once', async () => {
    const blog = await createBlog(desk.server.url, 'desk-names');
    await publish(desk.server.url, blog.id, { body: 'Open me' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.locator('.ed-edit').waitFor();
    for (const role of ['textbox', 'checkbox', 'combobox'] as const) {
      const names = await page
        .getByRole(role)
        .evaluateAll((elements) =>
          elements.map((element) => (element as HTMLInputElement).labels?.[0]?.textContent?.trim() ?? element.getAttribute('aria-label')),
        );
      expect(names.filter((name, i) => names.indexOf(name) !== i)).toEqual([]);
    }
    expect(await page.getByRole('textbox', { name: 'Update', exact: true }).count()).toBe(1);
  });

  it('on a phone, shows who is signed in in full, and the offline banner covers no field', async () => {
    const blog = await createBlog(desk.server.url, 'desk-phone-offline');
    const page = await desk.signIn({ width: 390, height: 844 });
    await desk.chooseBlog(page, blog.id);
    expect(await page.locator('#who').evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    await page.context().setOffline(true);
    const banner = page.getByRole('alert').filter({ hasText: /cannot reach the server/ });
    await banner.waitFor();
    const covered = async () =>
      banner.evaluate((element) => {
        const b = element.getBoundingClientRect();
        return Array.from(document.querySelectorAll<HTMLElement>('input, textarea, select, button'))
          .filter((field) => field.offsetParent !== null)
          .filter((field) => {
            const f = field.getBoundingClientRect();
            return f.bottom > b.top && f.top < b.bottom && f.right > b.left && f.left < b.right;
          })
          .map((field) => field.id || field.textContent);
      });
    expect(await covered()).toEqual([]);
    await page.getByLabel('Author').focus();
    expect(await covered()).toEqual([]);
    await page.context().setOffline(false);
  });

  it('shows no offline banner for one lost answer while the server is reachable', async () => {
    const blog = await createBlog(desk.server.url, 'desk-one-lost');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await page.locator('#connection').filter({ hasText: 'Connected' }).waitFor();
    await page.getByLabel('Update', { exact: true }).fill('Lost once');
    await page.locator('#preview').getByText('Lost once', { exact: true }).waitFor(); // no request left to clear it by chance
    await page.route(`**/api/blogs/${blog.id}/updates`, async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      await previewed; // the preview Publish's click asks for answers first: no request comes after to clear the banner
      await route.abort('connectionreset');
    });
    const previewed = page.waitForResponse('**/api/preview');
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText(/Not published/).waitFor();
    // a quick probe finds the server: no banner, or one that clears at once
    await page.waitForFunction(() => document.querySelector<HTMLElement>('#connection')?.dataset.state === 'online', undefined, {
      timeout: 3000,
    });
  });
});
