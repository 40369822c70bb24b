/**
 * The blog itself: its title and description (Apply), and, apart from them, whether it is live. Ending
 * a live blog tells every reader the story is over, so it asks first, in a modal `<dialog>` (focus
 * inside, Escape cancels, focus back on the button after).
 */
import type { Blog } from '../../shared/schemas';
import { $ } from '../lib/dom';
import { describeError } from './errors';
import type { Session } from './session';

export class BlogPanel {
  private readonly status = $('#blog-status');
  private readonly lifeStatus = $('#blog-life-status');
  private readonly endButton = $<HTMLButtonElement>('#end-blog');
  private readonly reopenButton = $<HTMLButtonElement>('#reopen-blog');
  private readonly dialog = $<HTMLDialogElement>('#end-dialog');
  private blog: Blog | null = null;

  constructor(
    private readonly session: Session,
    /** The blog changed, as the server answered. */
    private readonly changed: (blog: Blog) => void,
  ) {
    $<HTMLFormElement>('#blog-form').addEventListener('submit', (event) => {
      event.preventDefault();
      void this.patch(
        {
          title: $<HTMLInputElement>('#blog-title').value.trim(),
          description: $<HTMLTextAreaElement>('#blog-description').value.trim() || null,
        },
        this.status,
        'Saved: readers see the new title and description.',
      );
    });
    this.endButton.addEventListener('click', () => this.dialog.showModal());
    $('#end-confirm').addEventListener('click', () => {
      this.dialog.close();
      void this.patch({ status: 'ended' }, this.lifeStatus, 'The blog has ended: readers see it is over. Reopen it to publish again.');
    });
    $('#end-cancel').addEventListener('click', () => this.dialog.close());
    this.dialog.addEventListener('close', () => {
      if (!this.endButton.hidden) this.endButton.focus();
    });
    this.reopenButton.addEventListener('click', () => void this.patch({ status: 'live' }, this.lifeStatus, 'The blog is live again.'));
  }

  show(blog: Blog): void {
    this.blog = blog;
    $<HTMLInputElement>('#blog-title').value = blog.title;
    $<HTMLTextAreaElement>('#blog-description').value = blog.description ?? '';
    $('#blog-life').textContent =
      blog.status === 'ended' ? 'Ended: readers see the story is over.' : 'Live: readers follow it as you publish.';
    $('#blog-life').dataset.status = blog.status;
    this.endButton.hidden = blog.status === 'ended';
    this.reopenButton.hidden = blog.status !== 'ended';
  }

  clearStatus(): void {
    this.status.textContent = '';
    this.lifeStatus.textContent = '';
  }

  private async patch(fields: Record<string, unknown>, status: HTMLElement, done: string): Promise<void> {
    if (!this.blog) return;
    try {
      const blog = await this.session.call<Blog>('PATCH', `/api/blogs/${this.blog.id}`, { body: fields });
      this.changed(blog);
      status.textContent = done;
      if (fields.status === 'ended') this.reopenButton.focus();
      if (fields.status === 'live') this.endButton.focus();
    } catch (error) {
      status.textContent = `Not saved: ${describeError(error)}`;
    }
  }
}
