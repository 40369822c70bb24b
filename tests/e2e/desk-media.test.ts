/**
 * Pictures from the desk, in Chromium against the real media routes: picked with Add picture, pasted or
 * dropped into a text area (the composer's and an entry's edit form), described in the dialog (alt text
 * required, in words), uploaded with progress, placed at the cursor on a line of its own, published as a
 * figure with caption and credit; refused before sending when it is no picture or too large; the
 * server's refusals said in words; listed under Pictures and taken down from there, after which the
 * picture and its caption leave the entry.
 */
import { describe, expect, it } from '@jest/globals';
import type { Locator, Page } from 'playwright-core';
import sharp from 'sharp';
import { createBlog, publish, request } from '../helpers/api';
import { axeViolations, deskEntry, deskSuite } from './desk-harness';

const desk = deskSuite('e2e-desk-media');
const body = (page: Page) => page.getByLabel('Update', { exact: true });
const dialog = (page: Page) => page.getByRole('dialog', { name: 'Add a picture' });

async function jpeg(width = 1200, height = 800): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: 190, g: 70, b: 40 } } })
    .jpeg()
    .toBuffer();
}

async function png(width = 640, height = 480): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 20, g: 90, b: 160, alpha: 0.8 } } })
    .png()
    .toBuffer();
}

/** Places the cursor of `textarea` right after `text` (which it holds). */
async function cursorAfter(textarea: Locator, text: string): Promise<void> {
  await textarea.evaluate((element: HTMLTextAreaElement, after) => {
    const position = element.value.indexOf(after) + after.length;
    element.focus();
    element.setSelectionRange(position, position);
  }, text);
}

/** Picks `file` with the Add picture button (a real file chooser), clicked or, with `keyboard`, pressed with Enter. */
async function pick(page: Page, file: { name: string; mimeType: string; buffer: Buffer }, keyboard = false): Promise<void> {
  const button = page.getByRole('button', { name: 'Add picture', exact: true });
  const [chooser] = await Promise.all([page.waitForEvent('filechooser'), keyboard ? button.press('Enter') : button.click()]);
  await chooser.setFiles(file);
}

/** Pastes (`paste`) or drops (`drop`) a file made in the page into `textarea`, as the clipboard or a drag would. */
async function deliver(
  textarea: Locator,
  how: 'paste' | 'drop',
  file: { name: string; type: string; base64?: string; bytes?: number },
): Promise<void> {
  await textarea.evaluate(
    (element, { how, file }) => {
      const bytes = file.base64 ? Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0)) : new Uint8Array(file.bytes ?? 0);
      const data = new DataTransfer();
      data.items.add(new File([bytes], file.name, { type: file.type }));
      if (how === 'paste') {
        element.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      } else {
        element.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
        element.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
      }
    },
    { how, file },
  );
}

/** Fills the dialog and uploads; resolves once it has closed. */
async function describeAndUpload(page: Page, fields: { alt: string; caption?: string; credit?: string }): Promise<void> {
  const open = dialog(page);
  await open.getByLabel('Alt text').fill(fields.alt);
  if (fields.caption) await open.getByLabel('Caption').fill(fields.caption);
  if (fields.credit) await open.getByLabel('Credit').fill(fields.credit);
  await open.getByRole('button', { name: 'Upload' }).click();
  await open.waitFor({ state: 'hidden' });
}

const stored = async (blogId: string) =>
  (await request<{ media: { id: string; alt: string }[] }>(desk.server.url, 'GET', `/api/blogs/${blogId}/media`)).body.media;

describe('pictures on the desk', () => {
  it('picks a file, asks for alt text, shows progress and places the picture at the cursor; published, it is a figure', async () => {
    const blog = await createBlog(desk.server.url, 'desk-media-pick');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    await body(page).fill('Before the picture.\nAfter the picture.');
    await cursorAfter(body(page), 'Before the picture.');

    await pick(page, { name: 'checkpoint.jpg', mimeType: 'image/jpeg', buffer: await jpeg() });
    await dialog(page).waitFor();
    await expect(dialog(page).getByRole('heading', { name: 'Add a picture' }).isVisible()).resolves.toBe(true);
    // The preview is the chosen file itself, from a blob: URL the desk's CSP allows.
    await page.waitForFunction(() => {
      const img = document.querySelector<HTMLImageElement>('#picture-preview img');
      return !!img?.src.startsWith('blob:') && img.complete && img.naturalWidth === 1200;
    });
    expect(
      await dialog(page)
        .getByText(/^checkpoint\.jpg · \d+ KB$/)
        .isVisible(),
    ).toBe(true);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('picture-alt');

    // No alt text, no upload: said in words, and the focus is on the field.
    await dialog(page).getByRole('button', { name: 'Upload' }).click();
    await dialog(page)
      .getByText(/Not uploaded: write the alt text first/)
      .waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('picture-alt');
    expect(await stored(blog.id)).toEqual([]);

    // Every state of the progress, as the person sees it.
    await page.evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { seen: string[] }).seen = seen;
      const status = document.querySelector('#picture-status')!;
      new MutationObserver(() => {
        const progress = document.querySelector<HTMLProgressElement>('#picture-progress')!;
        seen.push(`${status.textContent}|${progress.hidden ? 'hidden' : progress.hasAttribute('value') ? 'value' : 'busy'}`);
      }).observe(status, { childList: true, characterData: true, subtree: true });
    });
    await describeAndUpload(page, {
      alt: 'Soldiers at a checkpoint',
      caption: 'The checkpoint at Sudzha',
      credit: 'Olena Kovalenko / Desk',
    });
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
    expect(seen[0]).toMatch(/^Uploading…\|value$/);
    expect(seen).toContain('Processing…|busy');

    const [picture] = await stored(blog.id);
    expect(picture.alt).toBe('Soldiers at a checkpoint');
    const markdown = `![Soldiers at a checkpoint](/media/${blog.id}/${picture.id} "The checkpoint at Sudzha")`;
    expect(await body(page).inputValue()).toBe(`Before the picture.\n\n${markdown}\n\nAfter the picture.`);
    // The focus is back in the Update box, after the picture.
    const cursor = await body(page).evaluate((element: HTMLTextAreaElement) => ({
      focused: document.activeElement === element,
      at: element.selectionStart,
    }));
    expect(cursor).toEqual({ focused: true, at: `Before the picture.\n\n${markdown}\n`.length });
    expect(await page.locator('#picture-note').textContent()).toBe('Picture uploaded and placed in the text.');

    // The preview (the server's renderer) shows the figure; Pictures lists it.
    await page.locator('#preview figure img[alt="Soldiers at a checkpoint"]').waitFor();
    await page
      .locator('#picture-list li', { hasText: 'Soldiers at a checkpoint' })
      .getByText(/^Uploaded \d\d:\d\d by you$/)
      .waitFor();
    expect(await page.locator('#picture-list li').first().textContent()).toMatch(
      /The checkpoint at Sudzha · Credit: Olena Kovalenko \/ Desk/,
    );
    // Its thumbnail is the smallest stored size, and it loads.
    await page.waitForFunction(() => (document.querySelector<HTMLImageElement>('#picture-list img')?.naturalWidth ?? 0) > 0);
    expect(await page.locator('#picture-list img').first().getAttribute('src')).toMatch(/\/480-[0-9a-f]{16}\.jpg$/);

    await page.getByRole('button', { name: 'Publish' }).click();
    // blob: pictures on the desk only: readers' pages and the iframe page never allow one.
    const csp = async (path: string) => (await fetch(desk.server.url + path)).headers.get('content-security-policy') ?? '';
    expect(await csp('/editor')).toMatch(/img-src [^;]*blob:/);
    for (const path of [`/blogs/${blog.id}`, `/embed/${blog.id}`]) expect(await csp(path)).not.toContain('blob:');

    const entry = deskEntry(page, 'Before the picture.');
    await entry.locator('figure').waitFor();
    expect(await entry.locator('figure img').getAttribute('alt')).toBe('Soldiers at a checkpoint');
    expect(await entry.locator('figcaption').textContent()).toBe('The checkpoint at Sudzha Olena Kovalenko / Desk');
    expect(await entry.textContent()).toMatch(/Before the picture\.[\s\S]*After the picture\./);
  });

  it('takes a pasted picture in the composer and a dropped one in an edit form', async () => {
    const blog = await createBlog(desk.server.url, 'desk-media-paste');
    const entry = await publish(desk.server.url, blog.id, { body: 'First line.\n\nLast line.' });
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const picture = (await png()).toString('base64');

    await body(page).fill('Pasted here:');
    await deliver(body(page), 'paste', { name: 'image.png', type: 'image/png', base64: picture });
    await dialog(page).waitFor();
    // Ctrl+Enter in the dialog uploads, as it publishes in the composer.
    await dialog(page).getByLabel('Alt text').fill('A map of the front line');
    await dialog(page).getByLabel('Alt text').press('Control+Enter');
    await dialog(page).waitFor({ state: 'hidden' });
    expect(await body(page).inputValue()).toMatch(
      /^Pasted here:\n\n!\[A map of the front line\]\(\/media\/desk-media-paste\/[0-9a-z]{20}\)\n\n$/,
    );

    // The edit form's own text area, with its own button: the picture goes there, between the lines.
    const item = page.locator(`#ed-update-${entry.id}`);
    await item.getByRole('button', { name: 'Edit' }).click();
    const text = item.getByLabel('Entry update');
    await cursorAfter(text, 'First line.');
    await deliver(text, 'drop', { name: 'drone.png', type: 'image/png', base64: picture });
    await dialog(page).waitFor();
    await describeAndUpload(page, { alt: 'A drone over the field', credit: 'Petro Shevchuk' });
    expect(await text.inputValue()).toMatch(
      /^First line\.\n\n!\[A drone over the field\]\(\/media\/desk-media-paste\/[0-9a-z]{20}\)\n\nLast line\.$/,
    );
    expect(await text.evaluate((element) => document.activeElement === element)).toBe(true);
    await text.press('Control+Enter');
    await item.locator('figure figcaption').getByText('Petro Shevchuk').waitFor();
    expect((await stored(blog.id)).map((p) => p.alt)).toEqual(['A drone over the field', 'A map of the front line']);
  });

  it('refuses what is no picture or too large before sending, and says the server’s refusals in words', async () => {
    const blog = await createBlog(desk.server.url, 'desk-media-refused');
    const page = await desk.signIn();
    await desk.chooseBlog(page, blog.id);
    const note = page.locator('#picture-note');

    await pick(page, { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not a picture') });
    await note.getByText('“notes.txt” is not a picture the desk takes: choose a JPEG, PNG, WebP, GIF or AVIF file.').waitFor();
    expect(await dialog(page).isVisible()).toBe(false);

    await deliver(body(page), 'paste', { name: 'huge.jpg', type: 'image/jpeg', bytes: 21 * 1024 * 1024 });
    await note.getByText(/“huge\.jpg” is 21 MB; the most is 20 MB/).waitFor();
    expect(await dialog(page).isVisible()).toBe(false);

    // Dropped beside the text area, a file does not open in the tab (which would leave the desk).
    const leftTheDesk = await page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(['x'], 'beside.jpg', { type: 'image/jpeg' }));
      const drop = new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true });
      document.querySelector('#pending')!.dispatchEvent(drop);
      return !drop.defaultPrevented;
    });
    expect(leftTheDesk).toBe(false);
    expect(await dialog(page).isVisible()).toBe(false);

    // Named like a picture, but not one: the server decides from the bytes (415).
    await pick(page, { name: 'fake.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>') });
    await dialog(page).getByLabel('Alt text').fill('Not really a picture');
    await dialog(page).getByRole('button', { name: 'Upload' }).click();
    await dialog(page)
      .getByText(/Not uploaded: the server does not take this file as a picture/i)
      .waitFor();
    // The dialog stays, with what was typed, for another try; Escape closes it and the focus returns.
    expect(await dialog(page).getByLabel('Alt text').inputValue()).toBe('Not really a picture');
    await page.keyboard.press('Escape');
    await dialog(page).waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('entry-body');
    // Already at the instant the dialog closes (the browser gives the focus back then; the desk's own
    // return comes with the close event, a moment later): it never lands on Add picture on the way.
    await pick(page, { name: 'again.jpg', mimeType: 'image/jpeg', buffer: await jpeg(400, 300) });
    await dialog(page).waitFor();
    const focusAsItCloses = await page.evaluate(() => {
      document.querySelector<HTMLDialogElement>('#picture-dialog')!.close();
      return document.activeElement?.id;
    });
    expect(focusAsItCloses).toBe('entry-body');

    // A busy server (503) and a field the server refused (400 with details), as the route answers them.
    const answers: { status: number; headers: Record<string, string>; error: Record<string, unknown>; said: string }[] = [
      {
        status: 503,
        headers: { 'retry-after': '5' },
        error: { code: 'unavailable', message: 'busy' },
        said: 'The server is busy with other pictures: try again in about 5 seconds. Nothing was stored.',
      },
      {
        status: 400,
        headers: {},
        error: { code: 'invalid', message: 'invalid', details: { alt: 'must not be empty' } },
        said: 'Alt text must not be empty.',
      },
      {
        status: 413,
        headers: {},
        error: { code: 'payload_too_large', message: 'too large' },
        said: 'The picture is too large for the server (the most is 20 MB and 50 megapixels): make it smaller and try again.',
      },
      { status: 403, headers: {}, error: { code: 'forbidden', message: 'forbidden' }, said: 'You may not add pictures to this blog.' },
    ];
    const said = answers.map((answer) => answer.said);
    await page.route(`**/api/blogs/${blog.id}/media`, (route) => {
      const answer = answers.shift()!;
      return route.fulfill({
        status: answer.status,
        headers: { 'content-type': 'application/json', ...answer.headers },
        body: JSON.stringify({ error: answer.error }),
      });
    });
    await pick(page, { name: 'ok.jpg', mimeType: 'image/jpeg', buffer: await jpeg(400, 300) });
    await dialog(page).getByLabel('Alt text').fill('Smoke over the town');
    for (const words of said) {
      await dialog(page).getByRole('button', { name: 'Upload' }).click();
      await dialog(page).getByText(`Not uploaded: ${words}`, { exact: true }).waitFor();
    }
    await dialog(page).getByRole('button', { name: 'Cancel' }).click();
    await dialog(page).waitFor({ state: 'hidden' });
    expect(await body(page).inputValue()).toBe('');
    expect(await stored(blog.id)).toEqual([]);
  });

  it('uploads with a person’s session cookie; a contributor may insert pictures but not take them down', async () => {
    const blog = await createBlog(desk.server.url, 'desk-media-contributor');
    const contributor = await desk.person({ name: 'Petro Shevchuk', role: 'contributor', blogs: [blog.id] });
    const page = await desk.signInAs(contributor);
    await desk.chooseBlog(page, blog.id);
    await body(page).fill('From the field:');
    await pick(page, { name: 'field.jpg', mimeType: 'image/jpeg', buffer: await jpeg(600, 400) });
    await describeAndUpload(page, { alt: 'A field after shelling', credit: 'Petro Shevchuk' });
    expect(await body(page).inputValue()).toMatch(
      /^From the field:\n\n!\[A field after shelling\]\(\/media\/desk-media-contributor\/[0-9a-z]{20}\)\n\n$/,
    );
    const listed = page.locator('#picture-list li', { hasText: 'A field after shelling' });
    await listed.waitFor();
    expect(await listed.getByRole('button').allTextContents()).toEqual(['Insert']);
  });

  it('takes a picture down from Pictures, after asking: it leaves the entry, whose text stays', async () => {
    const blog = await createBlog(desk.server.url, 'desk-media-takedown');
    // Only so that axe-core can be injected (the desk runs no inline script).
    const page = await desk.signIn({ bypassCSP: true });
    // Signed in, the desk opens a blog and puts the cursor in the Update box: from then on the keyboard is the test's.
    await page.waitForFunction(() => document.activeElement?.id === 'entry-body');
    await desk.chooseBlog(page, blog.id);
    await body(page).fill('Seen this morning:');
    await pick(page, { name: 'tank.jpg', mimeType: 'image/jpeg', buffer: await jpeg(800, 600) }, true);
    await dialog(page).getByLabel('Alt text').waitFor();
    expect(await axeViolations(page)).toEqual([]);
    await describeAndUpload(page, { alt: 'A burnt-out tank', caption: 'On the road to Sudzha' });
    await page.getByRole('button', { name: 'Publish' }).click();
    const entry = deskEntry(page, 'Seen this morning:');
    await entry.locator('figure').waitFor();

    // Insert from the list puts it at the composer's cursor, again.
    const listed = page.locator('#picture-list li', { hasText: 'A burnt-out tank' });
    await body(page).fill('Again:');
    await listed.getByRole('button', { name: 'Insert' }).click();
    expect(await body(page).inputValue()).toMatch(
      /^Again:\n\n!\[A burnt-out tank\]\(\/media\/desk-media-takedown\/[0-9a-z]{20} "On the road to Sudzha"\)\n\n$/,
    );
    await body(page).fill('');

    expect(await axeViolations(page)).toEqual([]);
    await listed.getByRole('button', { name: 'Take down' }).click();
    const confirm = page.getByRole('dialog', { name: 'Take down this picture?' });
    await confirm.waitFor();
    expect(await confirm.textContent()).toMatch(/removed from every update of this blog[\s\S]*deleted from storage/);
    // Cancel has the focus: Enter or Escape changes nothing.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('takedown-cancel');
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'hidden' });
    expect(await stored(blog.id)).toHaveLength(1);

    await listed.getByRole('button', { name: 'Take down' }).click();
    await confirm.getByRole('button', { name: 'Take down' }).click();
    await page.getByText('Taken down: “A burnt-out tank”.', { exact: false }).waitFor();
    await listed.waitFor({ state: 'detached' });
    await entry.locator('figure').waitFor({ state: 'detached' });
    expect(await entry.textContent()).toContain('Seen this morning:');
    expect(await entry.textContent()).not.toContain('On the road to Sudzha');
    expect(await stored(blog.id)).toEqual([]);
  });
});
