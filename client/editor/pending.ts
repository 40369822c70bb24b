/**
 * The approval queue. Editors see every entry a contributor submitted to the open blog, live, with who
 * sent it and when; they can correct it first (with If-Match), **Approve** it (published with the time
 * of approval or the contributor's own) or **Reject** it with a reason. A contributor sees their own
 * entries waiting, and the rejected ones with the reason. New arrivals are said in a live region.
 */
import { SOCKET_EVENTS, type PendingEvent } from '../../shared/events';
import { excerpt, renderUpdate } from '../../shared/html';
import { LIMITS } from '../../shared/limits';
import type { PendingUpdate, Update } from '../../shared/schemas';
import { ApiError } from '../lib/api';
import { $, h } from '../lib/dom';
import type { ClientSocket } from '../lib/live-feed';
import { fromHtml } from '../lib/update-list';
import { describeError } from './errors';
import type { Session } from './session';
import { shortTime } from './zones';

const itemId = (updateId: string) => `ed-pending-${updateId}`;

export class PendingQueue {
  private readonly section = $('#pending');
  private readonly list = $<HTMLOListElement>('#pending-list');
  private readonly status = $('#pending-status');
  private entries = new Map<string, PendingUpdate>();
  /** Entries with their correction form open: a live change does not replace what is being typed. */
  private readonly editing = new Set<string>();
  private blogId = '';
  private seq = 0;
  /** What each row shows (the entry as JSON): a row whose entry has not changed is kept as it is. */
  private readonly shown = new WeakMap<Element, string>();

  constructor(
    private readonly session: Session,
    socket: ClientSocket,
  ) {
    socket.on(SOCKET_EVENTS.pending, (payload) => this.apply(payload));
    // After a reconnect, events may have been missed: read the queue again.
    let connectedBefore = false;
    socket.on('connect', () => {
      if (connectedBefore && this.blogId) void this.show(this.blogId);
      connectedBefore = true;
    });
  }

  /** Editors review; a contributor sees their own. */
  private get reviewing(): boolean {
    return this.session.canEdit(this.blogId);
  }

  async show(blogId: string): Promise<void> {
    const seq = ++this.seq;
    if (blogId !== this.blogId) {
      this.editing.clear();
      this.say('');
    }
    this.blogId = blogId;
    $('#pending-heading').textContent = this.reviewing ? 'Pending' : 'Your entries awaiting approval';
    try {
      const { pending } = await this.session.call<{ pending: PendingUpdate[] }>('GET', `/api/blogs/${blogId}/pending`);
      if (seq !== this.seq) return; // another blog was opened meanwhile
      this.entries = new Map(pending.map((entry) => [entry.id, entry]));
      this.render();
    } catch (error) {
      if (seq === this.seq) this.say(`The pending entries could not be read: ${describeError(error)}`);
    }
  }

  /** A contributor's own entry, just submitted from the composer. */
  upsert(entry: PendingUpdate): void {
    if (entry.blogId !== this.blogId) return;
    this.entries.set(entry.id, entry);
    this.render();
  }

  private apply(payload: PendingEvent): void {
    if (payload.blogId !== this.blogId) return;
    if ('removedId' in payload) {
      const had = this.entries.get(payload.removedId);
      if (!had) return;
      this.entries.delete(payload.removedId);
      if (this.editing.has(payload.removedId)) {
        // Approved by another editor while this one corrects it: the form and its text stay, with a word.
        document
          .getElementById(itemId(payload.removedId))
          ?.querySelector('.ed-error')
          ?.replaceChildren(
            'Another editor approved or rejected this entry meanwhile: your correction is not saved. Copy what you need, then Cancel.',
          );
        return;
      }
      this.render();
      if (!this.reviewing && had.status === 'pending') this.say(`An editor published your entry “${excerpt(had, 40)}”.`);
      return;
    }
    const { entry } = payload;
    // Rejected, it has left the editors' queue (the contributor still sees it, with the reason).
    if (this.reviewing && entry.status !== 'pending') return this.apply({ blogId: payload.blogId, removedId: entry.id });
    const known = this.entries.get(entry.id);
    this.entries.set(entry.id, entry);
    if (this.editing.has(entry.id)) return; // its form stays; the save's If-Match finds the change
    this.render();
    if (this.reviewing && !known && entry.status === 'pending') {
      this.say(`New entry from ${entry.submittedBy.name} waiting for approval: “${excerpt(entry, 60)}”.`);
    } else if (!this.reviewing && entry.status === 'rejected' && known?.status !== 'rejected') {
      this.say(`An editor did not publish your entry “${excerpt(entry, 40)}”. ${this.reason(entry)}`);
    }
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  private reason(entry: PendingUpdate): string {
    const rejection = entry.rejection;
    if (!rejection) return '';
    const by = `Rejected by ${rejection.by} at ${shortTime(rejection.at)}`;
    return rejection.reason ? `${by}: ${rejection.reason}` : `${by}, with no reason given.`;
  }

  private render(): void {
    const entries = [...this.entries.values()]
      .filter((entry) => (this.reviewing ? entry.status === 'pending' : entry.status === 'pending' || entry.status === 'rejected'))
      .sort((a, b) => b.submittedAt.localeCompare(a.submittedAt));
    const focused = this.list.contains(document.activeElement) ? document.activeElement : null;
    const hadFocus = focused?.closest('li')?.id;
    const kept = new Map([...this.list.children].map((item) => [item.id, item as HTMLElement]));
    const rows = entries.map((entry) => this.row(entry, kept.get(itemId(entry.id))));
    // Rows are moved only where the order changed: a row taken out of the page, even to be put back, loses the focus.
    rows.forEach((row, index) => {
      if (this.list.children[index] !== row) this.list.insertBefore(row, this.list.children[index] ?? null);
    });
    while (this.list.children.length > rows.length) this.list.lastElementChild!.remove();
    // A row moved, or made again for a changed entry (the twin of the field), keeps the focus.
    const refocus = focused && (this.list.contains(focused) ? focused : focused.id ? document.getElementById(focused.id) : null);
    if (refocus && document.activeElement !== refocus) (refocus as HTMLElement).focus();
    if (!entries.length) {
      this.list.append(
        h('li', { class: 'ed-hint' }, this.reviewing ? 'Nothing is waiting for approval.' : 'Nothing of yours is waiting for approval.'),
      );
    }
    // Focus never falls to the page when the entry that had it is gone (approved by another editor).
    if (hadFocus && !this.list.contains(document.activeElement)) this.section.focus();
  }

  /**
   * The row for `entry`: the one shown if it is being corrected or its entry has not changed, so that a
   * live event for another entry leaves the editor's choices (the time, a reason being typed) and focus
   * where they were; else a new row that takes over the old one's choices (render() its focused field).
   */
  private row(entry: PendingUpdate, old: HTMLElement | undefined): HTMLElement {
    const json = JSON.stringify(entry);
    if (old && (this.editing.has(entry.id) || this.shown.get(old) === json)) return old;
    const row = this.item(entry);
    this.shown.set(row, json);
    if (old) {
      for (const field of old.querySelectorAll<HTMLInputElement | HTMLSelectElement>('select[id], input[id]')) {
        const twin = row.querySelector<HTMLInputElement | HTMLSelectElement>(`#${CSS.escape(field.id)}`);
        if (twin) twin.value = field.value;
      }
    }
    return row;
  }

  private item(entry: PendingUpdate): HTMLElement {
    const rejected = entry.status === 'rejected';
    const meta = this.reviewing
      ? `From ${entry.submittedBy.name}, submitted at ${shortTime(entry.submittedAt)}`
      : rejected
        ? this.reason(entry)
        : `Waiting for approval since ${shortTime(entry.submittedAt)}`;
    const item = h(
      'li',
      { id: itemId(entry.id), class: `ed-item ed-pending-item${rejected ? ' ed-pending-item--rejected' : ''}` },
      h('p', { class: 'ed-pending-meta' }, h('strong', {}, meta)),
      fromHtml(renderUpdate(entry)),
    );
    if (this.reviewing && !rejected) item.append(this.actions(entry, item));
    return item;
  }

  private actions(entry: PendingUpdate, item: HTMLElement): HTMLElement {
    const label = excerpt(entry, 40);
    const id = (name: string) => `pending-${name}-${entry.id}`;
    const when = h(
      'select',
      { id: id('time') },
      h('option', { value: 'now' }, 'The time of approval'),
      h('option', { value: 'submitted' }, `The contributor’s time (${shortTime(entry.publishedAt)})`),
    );
    const reason = h('input', { id: id('reason'), type: 'text', maxlength: String(LIMITS.rejectReason) });
    const button = (text: string, action: (button: HTMLButtonElement) => Promise<void> | void, cls?: string) => {
      const element = h('button', { type: 'button', class: cls }, text);
      element.addEventListener('click', () => void action(element));
      return element;
    };
    // The reason and Reject are a form of their own: Enter in the reason rejects, as Reject does.
    const reject = h('button', { type: 'submit', class: 'ed-danger' }, 'Reject');
    const rejecting = h(
      'form',
      { class: 'ed-pending-reject' },
      h('span', {}, h('label', { for: reason.id }, 'Reason, if you reject (the contributor sees it)'), reason),
      h('div', { class: 'ed-row' }, reject),
    );
    rejecting.addEventListener('submit', (event) => {
      event.preventDefault();
      if (!reject.disabled) void this.reject(entry, reason.value.trim(), reject);
    });
    return h(
      'div',
      { class: 'ed-pending-actions', role: 'group', 'aria-label': `Pending entry: ${label}` },
      h('span', {}, h('label', { for: when.id }, 'Publish it with'), when),
      h(
        'div',
        { class: 'ed-row' },
        button('Approve', (b) => this.approve(entry, when.value === 'submitted' ? 'submitted' : 'now', b)),
        button('Edit', () => this.openEditor(entry, item)),
      ),
      rejecting,
    );
  }

  private path(entry: PendingUpdate, action: string): string {
    return `/api/blogs/${this.blogId}/updates/${entry.id}/${action}`;
  }

  private gone(error: unknown): boolean {
    return error instanceof ApiError && (error.status === 404 || error.status === 409);
  }

  private async approve(entry: PendingUpdate, publishedAt: 'now' | 'submitted', button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      // If-Match: what is approved is the version this editor read, never a change made since unseen.
      const update = await this.session.call<Update>('POST', this.path(entry, 'approve'), {
        body: { publishedAt },
        headers: { 'If-Match': `"${entry.version}"` },
      });
      this.drop(entry.id);
      this.say(`Approved: “${excerpt(update, 40)}” is published, at ${shortTime(update.publishedAt)}.`);
    } catch (error) {
      button.disabled = false;
      if (error instanceof ApiError && error.status === 412 && error.details) {
        const current = error.details as unknown as PendingUpdate;
        this.upsert(current);
        this.say(`Not approved: it was changed meanwhile, now “${excerpt(current, 60)}”. Read it again, then approve.`);
        document.getElementById(itemId(current.id))?.querySelector<HTMLButtonElement>('button')?.focus();
        return;
      }
      // A retried approve never publishes twice: pressing again after a lost answer is safe.
      this.say(
        this.gone(error)
          ? 'It is no longer waiting: another editor may have approved or rejected it.'
          : `Not approved: ${describeError(error)}`,
      );
    }
  }

  private async reject(entry: PendingUpdate, reason: string, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await this.session.call<PendingUpdate>('POST', this.path(entry, 'reject'), { body: reason ? { reason } : {} });
      this.drop(entry.id);
      this.say(
        `Rejected: “${excerpt(entry, 40)}”. ${entry.submittedBy.name} sees ${reason ? 'your reason' : 'that it was not published'}.`,
      );
    } catch (error) {
      button.disabled = false;
      this.say(
        this.gone(error)
          ? 'It is no longer waiting: another editor may have approved or rejected it.'
          : `Not rejected: ${describeError(error)}`,
      );
    }
  }

  private drop(updateId: string): void {
    this.entries.delete(updateId);
    this.editing.delete(updateId);
    this.render();
    if (!this.list.contains(document.activeElement)) this.section.focus();
  }

  /** Corrects a pending entry before approving it: PATCH with If-Match, so no one's change is lost. */
  private openEditor(entry: PendingUpdate, item: HTMLElement): void {
    this.editing.add(entry.id);
    const id = (name: string) => `pending-edit-${name}-${entry.id}`;
    const title = h('input', { id: id('title'), type: 'text', maxlength: String(LIMITS.updateTitle) });
    title.value = entry.title ?? '';
    const body = h('textarea', { id: id('body'), rows: '5' }, entry.body);
    const error = h('p', { class: 'ed-error', role: 'alert' });
    const save = h('button', { type: 'submit' }, 'Save correction');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h(
      'form',
      { class: 'ed-edit', 'aria-label': 'Correct the pending entry' },
      h('label', { for: title.id }, 'Headline before approval'),
      title,
      h('label', { for: body.id }, 'Text before approval'),
      body,
      h('div', { class: 'ed-row' }, save, cancel),
      error,
    );
    const close = (focus: boolean) => {
      this.editing.delete(entry.id);
      this.render();
      if (focus) document.getElementById(itemId(entry.id))?.querySelector<HTMLButtonElement>('button')?.focus();
    };
    cancel.addEventListener('click', () => close(true));
    form.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') close(true);
    });
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void (async () => {
        error.textContent = '';
        const text = body.value.trim();
        if (!text) {
          error.textContent = 'Not saved: the text must not be empty.';
          return body.focus();
        }
        save.disabled = true;
        try {
          const saved = await this.session.call<PendingUpdate>('PATCH', `/api/blogs/${this.blogId}/pending/${entry.id}`, {
            body: { body: text, title: title.value.trim() || null },
            headers: { 'If-Match': `"${entry.version}"` },
          });
          this.entries.set(saved.id, saved);
          close(true);
          this.say('Correction saved: approve it when it is ready.');
        } catch (failure) {
          save.disabled = false;
          if (failure instanceof ApiError && failure.status === 412 && failure.details) {
            entry = failure.details as unknown as PendingUpdate;
            this.entries.set(entry.id, entry);
            error.textContent = `Not saved: it was changed meanwhile (now: “${excerpt(entry, 60)}”). Your text is kept: Save correction again to put yours over it.`;
          } else {
            error.textContent = this.gone(failure)
              ? 'Not saved: it is no longer waiting (another editor approved or rejected it). Your text is kept here until you cancel.'
              : `Not saved: ${describeError(failure)} Your text is kept.`;
          }
        }
      })();
    });
    item.replaceChildren(form);
    body.focus();
  }
}
