/**
 * Pictures: the open blog's uploads, newest first (`GET /api/blogs/:blogId/media`), each with its
 * thumbnail (the smallest stored size), alt text, caption and credit, and when it came. **Insert** puts
 * one at the composer's cursor; **Take down** (editors) removes it from every update and from storage,
 * behind a confirmation that says so.
 */
import type { ListedMedia } from '../../shared/schemas';
import { $, focusQuietly, h } from '../lib/dom';
import { ApiError } from '../lib/api';
import { describeError } from './errors';
import type { Session } from './session';
import { shortTime } from './zones';

export class Pictures {
  private readonly list = $<HTMLOListElement>('#picture-list');
  private readonly status = $('#pictures-status');
  private readonly dialog = $<HTMLDialogElement>('#takedown-dialog');
  private readonly confirmText = $('#takedown-text');
  private blogId = '';
  private seq = 0;
  /** The picture the takedown dialog asks about, and the button that opened it (focus returns there). */
  private asking: { picture: ListedMedia; button: HTMLButtonElement } | null = null;

  constructor(
    private readonly session: Session,
    /** Puts a picture's Markdown at the composer's cursor. */
    private readonly insert: (markdown: string) => void,
  ) {
    $('#takedown-confirm').addEventListener('click', () => {
      const asked = this.asking;
      this.asking = null;
      this.dialog.close();
      if (asked) void this.takeDown(asked.picture);
    });
    $('#takedown-cancel').addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('close', () => {
      this.asking?.button.focus();
      this.asking = null;
    });
  }

  /** This desk's uploader id, as the list names uploaders (a token's own id is not known to the desk). */
  private get me(): string | null {
    const { me } = this.session;
    if (me.source === 'admin-token') return 'admin';
    return me.source === 'session' && me.id ? `person:${me.id}` : null;
  }

  async show(blogId: string): Promise<void> {
    this.blogId = blogId;
    const seq = ++this.seq;
    this.list.replaceChildren();
    this.say('Loading pictures…');
    try {
      const { media } = await this.session.call<{ media: ListedMedia[] }>('GET', `/api/blogs/${blogId}/media`);
      if (seq !== this.seq) return; // another blog was opened meanwhile
      this.list.replaceChildren(...media.map((picture) => this.render(picture)));
      this.say(media.length ? '' : 'No pictures yet: add one from the Update box (Add picture, or paste or drop one there).');
    } catch (error) {
      if (seq === this.seq) this.say(`Pictures could not be loaded: ${describeError(error)}`);
    }
  }

  /** Reads the list again (after an upload to the blog shown). */
  refresh(blogId: string): void {
    if (blogId === this.blogId) void this.show(blogId);
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  private render(picture: ListedMedia): HTMLElement {
    const about = [picture.caption, picture.credit && `Credit: ${picture.credit}`].filter(Boolean).join(' · ');
    const insert = h('button', { type: 'button' }, 'Insert');
    insert.addEventListener('click', () => this.insert(picture.markdown));
    const actions = h('div', { class: 'ed-row', role: 'group', 'aria-label': `Picture: ${picture.alt}` }, insert);
    if (this.session.canEdit(this.blogId)) {
      const takeDown = h('button', { type: 'button', class: 'ed-danger' }, 'Take down');
      takeDown.addEventListener('click', () => this.ask(picture, takeDown));
      actions.append(takeDown);
    }
    return h(
      'li',
      { class: 'ed-picture', 'data-media-id': picture.id },
      // The alt text is written out beside it: the thumbnail itself would only say it twice.
      h('img', {
        src: picture.thumbnail,
        // The picture's proportions: the thumbnail's box is kept before it loads.
        width: String(picture.width),
        height: String(picture.height),
        alt: '',
        loading: 'lazy',
        decoding: 'async',
      }),
      h(
        'div',
        {},
        h('p', { class: 'ed-picture__alt' }, h('span', { class: 'ed-hint' }, 'Alt text: '), picture.alt),
        about ? h('p', { class: 'ed-hint' }, about) : null,
        h('p', { class: 'ed-hint' }, `Uploaded ${shortTime(picture.createdAt)}${picture.uploadedBy === this.me ? ' by you' : ''}`),
        actions,
      ),
    );
  }

  private ask(picture: ListedMedia, button: HTMLButtonElement): void {
    this.asking = { picture, button };
    this.confirmText.textContent = `“${picture.alt}” will be removed from every update of this blog that shows it (readers see “Picture not available.” in its place) and deleted from storage, in every size. This cannot be undone: to show it again, upload it again.`;
    this.dialog.showModal();
  }

  private async takeDown(picture: ListedMedia): Promise<void> {
    const item = this.list.querySelector<HTMLElement>(`[data-media-id="${picture.id}"]`);
    try {
      await this.session.call('DELETE', `/api/blogs/${this.blogId}/media/${picture.id}`);
      this.say(`Taken down: “${picture.alt}”. Updates that showed it now say “Picture not available.”`);
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) {
        this.say(`Not taken down: ${describeError(error)}`);
        item?.querySelector<HTMLButtonElement>('.ed-danger')?.focus();
        return;
      }
      this.say(`“${picture.alt}” was already taken down.`);
    }
    // The focus goes on to the next picture (or the previous one), never to the page.
    const next = (item?.nextElementSibling ?? item?.previousElementSibling)?.querySelector<HTMLElement>('button');
    item?.remove();
    if (next) next.focus();
    else focusQuietly($('#pictures-heading'));
  }
}
