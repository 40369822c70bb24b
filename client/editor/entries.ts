/**
 * The blog's updates as editors see them: newest first, live, each with Edit, Delete (at once, with
 * Undo), Pin/Unpin, a key-event toggle and its history; older ones a "Load older" away, any one by
 * searching.
 */
import { excerpt, formatTime, renderUpdate } from '../../shared/html';
import { updateOrderKey } from '../../shared/order';
import type { BlogEvent, Update, UpdatePage } from '../../shared/schemas';
import { ApiError } from '../lib/api';
import { $, h } from '../lib/dom';
import { fromHtml, UpdateList } from '../lib/update-list';
import { EditForm, type EditFormHost } from './edit-form';
import { changedBy } from './audit';
import { describeError } from './errors';
import { loadHistory, type HistoryHost } from './history';
import { editingText, type Presence } from './presence';
import type { PictureDialog } from './picture-dialog';
import { outcomeUnknown } from './publishing';
import type { Session } from './session';
import { stored, type EditDraft } from './storage';

const itemId = (updateId: string) => `ed-update-${updateId}`;
/** Updates per page of the desk's list and of its search results (the most the API gives in one page). */
export const DESK_PAGE = 100;
/** Requests one search (or one "Load older" of it) may make while nothing has matched yet. */
const SEARCH_READS_MAX = 20;
/** …and once something matched, to fill the page. */
const SEARCH_READS_FOR_MORE = 3;

/** A deleted entry whose Undo notice is on screen. */
interface Deleted {
  update: Update;
  /** Undo is on its way: the entry it creates is this editor's own, not a republication. */
  undoing: boolean;
  /** Another editor published it again (an edit form's "Publish as a new entry"): say so beside Undo. */
  republished(by: Update): void;
}

/**
 * True when `created` looks like `deleted` published again: the same text, or the time an edit form
 * keeps (the deleted entry's publish time, to the minute: a fresh entry's time has seconds of its own).
 */
function republishes(created: Update, deleted: Update): boolean {
  const minute = Math.floor(Date.parse(deleted.publishedAt) / 60_000) * 60_000;
  return created.body === deleted.body || Date.parse(created.publishedAt) === minute;
}

export class Entries implements EditFormHost, HistoryHost {
  private readonly container = $<HTMLOListElement>('#entry-list');
  private readonly status = $('#entries-status');
  private readonly notices = $('#entries-notices');
  private readonly olderButton = $<HTMLButtonElement>('#load-older');
  private readonly searchForm = $<HTMLFormElement>('#entry-search');
  private readonly searchBox = $<HTMLInputElement>('#entry-search-text');
  private readonly clearSearch = $<HTMLButtonElement>('#entry-search-clear');
  private readonly list = new UpdateList(this.container, { render: (update) => this.render(update), elementId: itemId });
  /** Updates open in an edit form. */
  private readonly editing = new Map<string, EditForm>();
  /** Deleted entries with Undo on offer. */
  private readonly undoable = new Set<Deleted>();
  /** The search shown, if any: its text. */
  private query = '';
  private next: string | undefined;
  blogId = '';

  constructor(
    readonly session: Session,
    private readonly presence: Presence,
    /** Pictures pasted, dropped or picked into an edit form's text. */
    readonly pictures: PictureDialog,
  ) {
    presence.onChange = (updateId) => {
      const item = this.list.find(updateId);
      if (item) this.showEditors(item, updateId);
    };
    this.olderButton.addEventListener('click', () => void this.loadOlder());
    this.searchForm.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.search(this.searchBox.value.trim());
    });
    this.clearSearch.addEventListener('click', () => {
      this.searchBox.value = '';
      void this.search('');
      this.searchBox.focus();
    });
  }

  show(blogId: string, page: UpdatePage): void {
    this.blogId = blogId;
    this.query = '';
    this.searchBox.value = '';
    this.clearSearch.hidden = true;
    this.fill(page);
    this.say(page.updates.length ? '' : 'Nothing published yet.');
  }

  private fill(page: UpdatePage): void {
    this.presence.closeAll();
    this.editing.clear();
    this.undoable.clear();
    this.notices.replaceChildren();
    this.container.replaceChildren();
    for (const update of page.updates) this.list.upsert(update);
    this.reopenKept(page.updates);
    this.setNext(page.next);
  }

  /** Entries with a correction left unsaved (a reload, another blog opened) open again in their form. */
  private reopenKept(updates: Update[]): void {
    // No longer an editor here (a role or blogs changed): the correction stays stored, its form closed.
    if (!this.session.canEdit(this.blogId)) return;
    for (const update of updates) {
      const kept = stored.editDraft(this.blogId, update.id);
      const item = kept && !this.editing.has(update.id) ? this.list.find(update.id) : null;
      if (item && kept) this.openEditor(item, update, kept, false);
    }
  }

  private setNext(next: string | undefined): void {
    this.next = next;
    this.olderButton.hidden = !next;
    this.olderButton.disabled = false;
  }

  private say(text: string): void {
    this.status.textContent = text;
  }

  private path(extra: string): string {
    const q = this.query ? `&q=${encodeURIComponent(this.query)}` : '';
    return `/api/blogs/${this.blogId}/updates?limit=${DESK_PAGE}${q}${extra}`;
  }

  /**
   * One page of the list, or of the search: a search reads a bounded stretch of the blog per request
   * and may answer short, with a `next`, so it reads on until it has something to show or the blog ends.
   */
  private async readPage(before: string | undefined): Promise<UpdatePage> {
    const query = this.query;
    let page = await this.session.call<UpdatePage>('GET', this.path(before ? `&before=${encodeURIComponent(before)}` : ''));
    const updates = [...page.updates];
    for (let reads = 1; query && updates.length < DESK_PAGE && page.next && reads < SEARCH_READS_MAX; reads += 1) {
      if (updates.length && reads >= SEARCH_READS_FOR_MORE) break;
      page = await this.session.call<UpdatePage>('GET', this.path(`&before=${encodeURIComponent(page.next)}`));
      if (this.query !== query) break;
      updates.push(...page.updates);
    }
    return { ...page, updates };
  }

  private async loadOlder(): Promise<void> {
    if (!this.next) return;
    this.olderButton.disabled = true;
    try {
      const query = this.query;
      const page = await this.readPage(this.next);
      if (this.query !== query) return; // a search was asked for meanwhile
      const first = page.updates[0];
      for (const update of page.updates) if (!this.editing.has(update.id)) this.list.upsert(update);
      this.reopenKept(page.updates);
      this.setNext(page.next);
      // Focus moves to the first of the older entries, so a keyboard user reads on from there.
      if (first) this.list.find(first.id)?.querySelector<HTMLElement>('.lb-permalink, button')?.focus();
      if (!page.next) this.say(this.query ? 'Every matching entry is shown.' : 'Every entry is shown, down to the first.');
      else if (!first) this.say('No older match in this stretch of the blog: Load older searches further back.');
    } catch (error) {
      this.olderButton.disabled = false;
      this.say(`Older entries could not be loaded: ${describeError(error)}`);
    }
  }

  private async search(query: string): Promise<void> {
    this.say(query ? 'Searching…' : '');
    try {
      this.query = query;
      const page = await this.readPage(undefined);
      if (this.query !== query) return; // another search was asked for meanwhile
      this.fill(page);
      this.clearSearch.hidden = !query;
      const count = page.updates.length;
      const more = page.next ? ' or more' : '';
      this.say(
        query
          ? count
            ? `${count}${more} ${count === 1 && !more ? 'entry matches' : 'entries match'} “${query}”.`
            : page.next
              ? `No entry matches “${query}” among the newest: Load older searches further back.`
              : `No entry matches “${query}”.`
          : count
            ? ''
            : 'Nothing published yet.',
      );
    } catch (error) {
      this.say(`Search failed: ${describeError(error)}`);
    }
  }

  apply(event: BlogEvent): void {
    const id = event.update?.id ?? event.updateId;
    if (event.type === 'update.created' && event.update) {
      for (const deleted of this.undoable) if (republishes(event.update, deleted.update)) deleted.republished(event.update);
    }
    const form = id ? this.editing.get(id) : undefined;
    if (form) {
      if (event.type === 'update.deleted') form.remoteDelete();
      else if (event.update) form.remoteChange(event.update);
      return;
    }
    // A search shows what matched: new entries are not added to it, changed ones are kept up to date.
    if (this.query && event.type === 'update.created') return;
    if (this.query && event.type === 'update.edited' && id && !this.list.find(id)) return;
    this.list.apply(event);
    if (event.type === 'update.created' && !this.query) this.say('');
  }

  // EditFormHost
  closed(updateId: string, update: Update | null, focus: boolean): void {
    this.editing.delete(updateId);
    this.presence.editing(this.blogId, updateId, false);
    stored.setEditDraft(this.blogId, updateId, null);
    if (update) {
      const element = this.list.upsert(update);
      if (focus) element.querySelector<HTMLButtonElement>('.ed-actions button')?.focus();
    } else {
      const hadFocus = this.list.find(updateId)?.contains(document.activeElement);
      this.list.remove(updateId);
      // Focus never falls to the page: it goes to the list's first entry (or the search box).
      if (hadFocus) (this.container.querySelector<HTMLElement>('.ed-actions button') ?? this.searchBox).focus();
    }
  }

  // HistoryHost
  restored(update: Update): void {
    const element = this.list.upsert(update);
    element.querySelector<HTMLButtonElement>('.ed-actions button')?.focus();
    this.say(`Version restored: readers see it now, marked edited.`);
  }

  /** "Olena is editing" on an entry (also over its open edit form), or nothing. */
  private showEditors(item: HTMLElement, updateId: string): void {
    const text = editingText(this.presence.names(updateId));
    let line = item.querySelector<HTMLElement>(':scope > .ed-presence');
    if (!text) return line?.remove();
    if (!line) {
      line = h('p', { class: 'ed-presence' });
      item.prepend(line);
    }
    line.textContent = `${text} this entry now.`;
  }

  private render(update: Update): HTMLElement {
    const item = h('li', { id: itemId(update.id), 'data-order': updateOrderKey(update.publishedAt, update.id), class: 'ed-item' });
    item.append(fromHtml(renderUpdate(update)));
    this.showEditors(item, update.id);
    // A contributor reads what is published; changing it is an editor's.
    if (!this.session.canEdit(this.blogId)) return item;
    const label = excerpt(update, 40);
    const button = (text: string, action: () => Promise<void> | void, attributes: Record<string, string> = {}) => {
      const element = h('button', { type: 'button', ...attributes }, text);
      element.addEventListener('click', () => void action());
      return element;
    };
    const history = h('div', { class: 'ed-history', hidden: true });
    const historyButton: HTMLButtonElement = button('History', () => this.toggleHistory(update, history, historyButton), {
      'aria-expanded': 'false',
    });
    item.append(
      h(
        'div',
        { class: 'ed-actions', role: 'group', 'aria-label': `Entry: ${label}` },
        button('Edit', () => this.openEditor(item, update)),
        button('Delete', () => this.remove(item, update)),
        button(update.pinned ? 'Unpin' : 'Pin', () => this.toggle(update, { pinned: !update.pinned })),
        button('Key event', () => this.toggle(update, { keyEvent: !update.keyEvent }), { 'aria-pressed': String(update.keyEvent) }),
        historyButton,
      ),
      history,
    );
    return item;
  }

  private openEditor(item: HTMLElement, update: Update, kept?: EditDraft, focus = true): void {
    const form = new EditForm(update, this, kept);
    this.editing.set(update.id, form);
    item.replaceChildren(form.element);
    this.showEditors(item, update.id);
    this.presence.editing(this.blogId, update.id, true);
    if (focus) form.focus();
  }

  /**
   * Deletes at once (a takedown cannot wait for a dialog), then offers Undo in a notice above the list
   * (outside it: the list shows only what readers see).
   */
  private async remove(item: HTMLElement, update: Update): Promise<void> {
    item.hidden = true;
    const attempt = { target: update };
    let deleted: Update;
    try {
      deleted = await this.deleteLatest(attempt);
    } catch (error) {
      const gone = outcomeUnknown(error) ? await this.gone(attempt.target) : false;
      if (gone !== true) {
        item.hidden = false;
        // "Not deleted" only when the server said so; a lost answer it could not be asked about is unknown.
        this.say(
          gone === false
            ? `Not deleted: ${describeError(error)}`
            : `The delete got no answer (${describeError(error)}): the entry may or may not be deleted. When the server is reachable again, the list shows which (a deleted entry leaves it); delete again if it is still there.`,
        );
        return;
      }
      deleted = attempt.target;
    }
    item.remove();
    this.offerUndo(deleted);
  }

  /** After a delete whose answer was lost: true when the server no longer has the entry; null when it cannot say. */
  private async gone(update: Update): Promise<boolean | null> {
    try {
      await this.session.call<Update>('GET', `/api/blogs/${this.blogId}/updates/${update.id}`);
      return false;
    } catch (error) {
      return error instanceof ApiError && error.status === 404 ? true : null;
    }
  }

  private offerUndo(update: Update): void {
    const undo = h('button', { type: 'button' }, 'Undo');
    const dismiss = h('button', { type: 'button', 'aria-label': 'Dismiss this notice' }, 'Dismiss');
    const text = h('span', {}, `Deleted the entry published ${formatTime(update.publishedAt)}: readers no longer see it. `);
    const notice = h('p', { class: 'ed-notice' }, text, undo, ' ', dismiss);
    const deleted: Deleted = {
      update,
      undoing: false,
      republished: (by) => {
        if (deleted.undoing) return;
        text.textContent = `Another editor has published this entry again since (${formatTime(by.createdAt)}, “${excerpt(by, 40)}”): Undo would put it back beside theirs, so readers would see it twice. `;
        notice.dataset.republished = 'true';
      },
    };
    this.undoable.add(deleted);
    const close = () => {
      notice.remove();
      this.undoable.delete(deleted);
    };
    undo.addEventListener('click', () => void this.undo(deleted, close, undo));
    dismiss.addEventListener('click', () => {
      close();
      this.container.querySelector<HTMLButtonElement>('.ed-actions button')?.focus();
    });
    this.notices.prepend(notice);
    undo.focus();
  }

  /** DELETE with If-Match; when the entry moved on meanwhile, the newer version is deleted, and kept for Undo. */
  private async deleteLatest(attempt: { target: Update }): Promise<Update> {
    for (let tries = 0; ; tries += 1) {
      try {
        await this.session.call('DELETE', `/api/blogs/${this.blogId}/updates/${attempt.target.id}`, {
          headers: { 'If-Match': `"${attempt.target.version}"` },
        });
        return attempt.target;
      } catch (error) {
        if (!(error instanceof ApiError && error.status === 412 && error.details) || tries >= 3) throw error;
        attempt.target = error.details as unknown as Update;
      }
    }
  }

  /** Publishes the deleted content again, at its original time, with its flags: a new entry (with a new link). */
  private async undo(entry: Deleted, close: () => void, button: HTMLButtonElement): Promise<void> {
    const deleted = entry.update;
    button.disabled = true;
    entry.undoing = true;
    try {
      const restored = await this.session.call<Update>('POST', `/api/blogs/${this.blogId}/updates`, {
        body: {
          body: deleted.body,
          ...(deleted.title ? { title: deleted.title } : {}),
          ...(deleted.author ? { author: deleted.author } : {}),
          publishedAt: deleted.publishedAt,
          pinned: deleted.pinned,
          keyEvent: deleted.keyEvent,
        },
        headers: { 'Idempotency-Key': crypto.randomUUID() },
      });
      close();
      const element = this.list.upsert(restored);
      element.querySelector<HTMLButtonElement>('.ed-actions button')?.focus();
      this.say(
        `Put back as a new entry, at its original time (${formatTime(restored.publishedAt)}). Links to the deleted entry do not lead to it.`,
      );
    } catch (error) {
      button.disabled = false;
      entry.undoing = false;
      this.say(`Not put back: ${describeError(error)}`);
    }
  }

  /** Pin or key event, with If-Match: a toggle pressed on a version another editor has changed since is not applied. */
  private async toggle(update: Update, fields: { pinned?: boolean; keyEvent?: boolean }): Promise<void> {
    try {
      const changed = await this.session.call<Update>('PATCH', `/api/blogs/${this.blogId}/updates/${update.id}`, {
        body: fields,
        headers: { 'If-Match': `"${update.version}"` },
      });
      const element = this.list.upsert(changed);
      const name = 'pinned' in fields ? (changed.pinned ? 'Unpin' : 'Pin') : 'Key event';
      Array.from(element.querySelectorAll<HTMLButtonElement>('.ed-actions button'))
        .find((b) => b.textContent === name)
        ?.focus();
    } catch (error) {
      if (error instanceof ApiError && error.status === 412 && error.details) {
        const current = error.details as unknown as Update;
        this.list.upsert(current);
        this.say(
          `Not changed: ${await changedBy(this.session, this.blogId, current)}. The entry shows it now: press again if it is still needed.`,
        );
        return;
      }
      this.say(`Not changed: ${describeError(error)}`);
    }
  }

  private async toggleHistory(update: Update, container: HTMLElement, toggle: HTMLButtonElement): Promise<void> {
    if (!container.hidden) {
      container.hidden = true;
      toggle.setAttribute('aria-expanded', 'false');
      return;
    }
    try {
      await loadHistory(this, update.id, container);
      container.hidden = false;
      toggle.setAttribute('aria-expanded', 'true');
    } catch (error) {
      this.say(`History unavailable: ${describeError(error)}`);
    }
  }
}
