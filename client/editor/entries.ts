/**
 * The blog's updates as editors see them: newest first, live, each with Edit/Save, Delete (confirmed),
 * Pin/Unpin, a key-event toggle, and its history of versions.
 */
import { formatTime, renderUpdate } from '../../shared/html';
import { LIMITS } from '../../shared/limits';
import { updateOrderKey } from '../../shared/order';
import type { BlogEvent, Update } from '../../shared/schemas';
import { describeError } from '../lib/api';
import { $, h } from '../lib/dom';
import { fromHtml, UpdateList } from '../lib/update-list';
import type { Session } from './session';

const itemId = (updateId: string) => `ed-update-${updateId}`;

export class Entries {
  private readonly container = $<HTMLOListElement>('#entry-list');
  private readonly status = $('#entries-status');
  private readonly list = new UpdateList(this.container, { render: (update) => this.render(update), elementId: itemId });
  /** Updates open in an edit form, with the newest state that arrived meanwhile. */
  private readonly editing = new Map<string, Update>();
  private blogId = '';

  constructor(private readonly session: Session) {}

  show(blogId: string, updates: Update[]): void {
    this.blogId = blogId;
    this.editing.clear();
    this.list.clear();
    for (const update of updates) this.list.upsert(update);
    this.status.textContent = updates.length ? '' : 'Nothing published yet.';
  }

  apply(event: BlogEvent): void {
    const id = event.update?.id ?? event.updateId;
    if (event.update && id && this.editing.has(id)) {
      this.editing.set(id, event.update); // shown when the form closes
      return;
    }
    if (id) this.editing.delete(id);
    this.list.apply(event);
    if (event.type === 'update.created') this.status.textContent = '';
  }

  private render(update: Update): HTMLElement {
    const item = h('li', { id: itemId(update.id), 'data-order': updateOrderKey(update.publishedAt, update.id), class: 'ed-item' });
    item.append(fromHtml(renderUpdate(update)));
    const button = (label: string, action: () => Promise<void> | void, attributes: Record<string, string> = {}) => {
      const element = h('button', { type: 'button', ...attributes }, label);
      element.addEventListener('click', () => void action());
      return element;
    };
    const history = h('div', { class: 'ed-history', hidden: true });
    item.append(
      h(
        'div',
        { class: 'ed-actions' },
        button('Edit', () => this.openEditor(item, update)),
        button('Delete', () => this.remove(update)),
        button(update.pinned ? 'Unpin' : 'Pin', () => this.patch(update, { pinned: !update.pinned })),
        button('Key event', () => this.patch(update, { keyEvent: !update.keyEvent }), { 'aria-pressed': String(update.keyEvent) }),
        update.version > 1 ? button('History', () => this.showHistory(update, history), { 'aria-expanded': 'false' }) : null,
      ),
      history,
    );
    return item;
  }

  private openEditor(item: HTMLElement, update: Update): void {
    this.editing.set(update.id, update);
    const title = h('input', { id: `edit-title-${update.id}`, value: update.title ?? '', maxlength: String(LIMITS.updateTitle) });
    const body = h('textarea', { id: `edit-body-${update.id}`, rows: '6', maxlength: String(LIMITS.body) }, update.body);
    const error = h('p', { class: 'ed-error', role: 'alert' });
    const form = h(
      'form',
      { class: 'ed-edit' },
      h('label', { for: title.id }, 'Headline'),
      title,
      h('label', { for: body.id }, 'Update'),
      body,
      h('div', { class: 'ed-row' }, h('button', { type: 'submit' }, 'Save'), h('button', { type: 'button', class: 'ed-cancel' }, 'Cancel')),
      error,
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save(update, { body: body.value.trim(), title: title.value.trim() || null }, error);
    });
    $('.ed-cancel', form).addEventListener('click', () => this.closeEditor(update.id));
    item.replaceChildren(form);
    body.focus();
  }

  private closeEditor(updateId: string): void {
    const latest = this.editing.get(updateId);
    this.editing.delete(updateId);
    if (latest) this.list.upsert(latest);
  }

  private async save(update: Update, fields: { body: string; title: string | null }, error: HTMLElement): Promise<void> {
    try {
      const saved = await this.session.call<Update>('PATCH', `/api/blogs/${this.blogId}/updates/${update.id}`, { body: fields });
      const arrived = this.editing.get(update.id);
      this.editing.set(update.id, arrived && arrived.version > saved.version ? arrived : saved);
      this.closeEditor(update.id);
    } catch (failure) {
      error.textContent = `Not saved: ${describeError(failure)}`;
    }
  }

  private async remove(update: Update): Promise<void> {
    if (!confirm(`Delete this update? Readers will see it disappear.\n\n${update.title ?? update.body.slice(0, 80)}`)) return;
    try {
      await this.session.call('DELETE', `/api/blogs/${this.blogId}/updates/${update.id}`);
      this.list.remove(update.id);
    } catch (error) {
      this.status.textContent = `Not deleted: ${describeError(error)}`;
    }
  }

  private async patch(update: Update, fields: { pinned?: boolean; keyEvent?: boolean }): Promise<void> {
    try {
      this.list.upsert(await this.session.call<Update>('PATCH', `/api/blogs/${this.blogId}/updates/${update.id}`, { body: fields }));
    } catch (error) {
      this.status.textContent = `Not changed: ${describeError(error)}`;
    }
  }

  private async showHistory(update: Update, container: HTMLElement): Promise<void> {
    const toggle = container.previousElementSibling?.querySelector<HTMLButtonElement>('button[aria-expanded]');
    if (!container.hidden) {
      container.hidden = true;
      toggle?.setAttribute('aria-expanded', 'false');
      return;
    }
    try {
      const { versions } = await this.session.call<{ versions: Update[] }>(
        'GET',
        `/api/blogs/${this.blogId}/updates/${update.id}/versions`,
      );
      container.replaceChildren(
        h('h4', {}, `${versions.length} versions`),
        h(
          'ol',
          {},
          ...versions.map((version) =>
            h(
              'li',
              {},
              h('strong', {}, `Version ${version.version}`),
              ` · ${formatTime(version.editedAt ?? version.createdAt)}`,
              version.title ? h('p', {}, h('em', {}, version.title)) : null,
              h('pre', { class: 'ed-source' }, version.body),
            ),
          ),
        ),
      );
      container.hidden = false;
      toggle?.setAttribute('aria-expanded', 'true');
    } catch (error) {
      this.status.textContent = `History unavailable: ${describeError(error)}`;
    }
  }
}
