/**
 * Correcting a published entry: every field, saved with If-Match on the version being edited, so that
 * nobody's save silently replaces another editor's. Changes to different fields are merged as they
 * arrive; changes to the same field put both versions side by side and the editor chooses. An entry
 * deleted under the form leaves the form and its text, with a way to publish it as a new entry.
 */
import { LIMITS } from '../../shared/limits';
import type { Update } from '../../shared/schemas';
import { ApiError } from '../lib/api';
import { h } from '../lib/dom';
import { changedBy } from './audit';
import { wordDiff } from './diff-view';
import { describeError, sentence } from './errors';
import { pictureControls, takePictures, type PictureDialog } from './picture-dialog';
import { newChain, outcomeUnknown, publishContent } from './publishing';
import type { Session } from './session';
import { stored, type EditDraft, type EntryContent } from './storage';
import { browserZone, instantToZoned, isZone, readZonedTime, shortTime } from './zones';

type Field = 'body' | 'title' | 'author' | 'publishedAt' | 'pinned' | 'keyEvent';
type Patch = Partial<Record<Field, string | boolean | null>>;
const FIELDS: Field[] = ['body', 'title', 'author', 'publishedAt', 'pinned', 'keyEvent'];
/** Automatic merges in a row before the desk gives up and asks. */
const MERGES_MAX = 3;
/** A save whose answer was lost, when the server cannot be asked what it holds either. */
class OutcomeUnknown extends Error {}

/** Why a hand-set time cannot be read, in the edit form's words. */
const TIME_PROBLEMS = { zone: 'Not saved: choose a time zone from the list.', time: 'Not saved: set the publish time.' };

export interface EditFormHost {
  readonly session: Session;
  readonly blogId: string;
  readonly pictures: PictureDialog;
  /** The form is done: show `update` in its place (nothing with null) and, with `focus`, move focus to it. */
  closed(updateId: string, update: Update | null, focus: boolean): void;
}

export class EditForm {
  readonly element: HTMLFormElement;
  private readonly title: HTMLInputElement;
  private readonly body: HTMLTextAreaElement;
  private readonly author: HTMLInputElement;
  private readonly time: HTMLInputElement;
  private readonly zone: HTMLInputElement;
  private readonly keyEvent: HTMLInputElement;
  private readonly pinned: HTMLInputElement;
  private readonly saveButton: HTMLButtonElement;
  private readonly panel = h('div', { class: 'ed-conflict', role: 'group', 'aria-live': 'polite', hidden: true });
  private readonly error = h('p', { class: 'ed-error', role: 'alert' });
  /** The version the form's fields were taken from: saves carry it in If-Match. */
  private base: Update;
  /** The newest version seen while saving (events may arrive before the answer). */
  private arrived: Update | null = null;
  private saving = false;
  private deleted = false;
  private readonly chain = newChain();

  /** `restored`: a correction left unsaved (a reload, another blog opened), put back as it was. */
  constructor(
    update: Update,
    private readonly host: EditFormHost,
    restored?: EditDraft,
  ) {
    this.base = restored?.base ?? update;
    const id = (name: string) => `edit-${name}-${update.id}`;
    this.title = h('input', { id: id('title'), type: 'text', maxlength: String(LIMITS.updateTitle) });
    // The text also as the textarea's content, so that the entry still reads as itself (find-in-page, tests).
    // No maxlength: a text over the limit is refused with its length, never cut (see save).
    this.body = h('textarea', { id: id('body'), rows: '6' }, update.body);
    this.author = h('input', { id: id('author'), type: 'text', maxlength: String(LIMITS.author), autocomplete: 'name' });
    this.time = h('input', { id: id('time'), type: 'datetime-local', step: '60' });
    this.zone = h('input', { id: id('zone'), type: 'text', list: 'entry-zone-list', spellcheck: 'false', class: 'ed-zone' });
    this.keyEvent = h('input', { id: id('key'), type: 'checkbox' });
    this.pinned = h('input', { id: id('pinned'), type: 'checkbox' });
    this.saveButton = h('button', { type: 'submit' }, 'Save');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const picture = pictureControls('Add picture to entry');
    takePictures(host.pictures, { ...picture, textarea: this.body }, () => host.blogId);
    this.element = h(
      'form',
      { class: 'ed-edit', 'aria-label': 'Edit entry' },
      // Names of their own ("Entry update", not "Update"): the composer beside keeps its names unique.
      h('label', { for: this.title.id }, 'Entry headline'),
      this.title,
      h('label', { for: this.body.id }, 'Entry update'),
      this.body,
      picture.row,
      h(
        'div',
        { class: 'ed-row' },
        h('span', {}, h('label', { for: this.author.id }, 'Entry author'), this.author),
        h('span', {}, h('label', { for: this.time.id }, 'Entry publish time'), this.time),
        h('span', {}, h('label', { for: this.zone.id }, 'Entry time zone'), this.zone),
      ),
      h(
        'div',
        { class: 'ed-row' },
        h('label', {}, this.keyEvent, ' Entry is a key event'),
        h('label', {}, this.pinned, ' Entry pinned to the top'),
      ),
      this.panel,
      h('div', { class: 'ed-row' }, this.saveButton, cancel, h('span', { class: 'ed-hint' }, 'or Ctrl+Enter (⌘+Enter) to save')),
      this.error,
    );
    this.zone.value = browserZone();
    this.fill(this.base);
    if (restored) {
      this.zone.value = restored.zone;
      this.title.value = restored.title;
      this.body.value = restored.body;
      this.author.value = restored.author;
      this.time.value = restored.time;
      this.keyEvent.checked = restored.keyEvent;
      this.pinned.checked = restored.pinned;
      this.showPanel(h('p', {}, 'Your unsaved correction is back, as you left it: Save or Cancel it.'));
    }
    // Every change is kept in the browser until it is saved or given up: a reload loses nothing.
    this.element.addEventListener('input', () => this.keep());
    this.element.addEventListener('change', () => this.keep());
    if (restored && update.version > restored.base.version) this.remoteChange(update);
    this.element.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.save();
    });
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void this.save();
      } else if (event.key === 'Escape' && !this.changes(this.base).length) {
        this.close();
      }
    });
    cancel.addEventListener('click', () => this.close());
  }

  focus(): void {
    this.body.focus();
  }

  /** Closes without saving: the entry as it is now, or nothing once it was deleted. */
  private close(): void {
    if (this.deleted) this.host.closed(this.base.id, null, false);
    else this.host.closed(this.base.id, this.arrived ?? this.base, true);
  }

  private keep(): void {
    stored.setEditDraft(this.host.blogId, this.base.id, {
      base: this.base,
      title: this.title.value,
      body: this.body.value,
      author: this.author.value,
      time: this.time.value,
      zone: this.zone.value,
      keyEvent: this.keyEvent.checked,
      pinned: this.pinned.checked,
    });
  }

  /** Another version arrived live (another editor's change, or the echo of this form's own save). */
  remoteChange(update: Update): void {
    if (this.saving) {
      if (!this.arrived || update.version > this.arrived.version) this.arrived = update;
      return;
    }
    if (update.version <= this.base.version || this.deleted) return;
    const mine = this.changes(this.base);
    const theirs = changedFields(this.base, update);
    if (this.clashes(mine, theirs, update)) {
      this.showConflict(update);
    } else {
      // Different fields: take theirs into the untouched fields; what the editor typed stays.
      this.fill(update, theirs);
      this.base = update;
      if (mine.length) this.keep();
    }
  }

  /** The entry was deleted (by another editor, or elsewhere). */
  remoteDelete(): void {
    if (this.deleted) return;
    this.deleted = true;
    this.saveButton.disabled = true;
    const publish = h('button', { type: 'button' }, 'Publish as a new entry');
    const discard = h('button', { type: 'button' }, 'Discard');
    publish.addEventListener('click', () => void this.publishAsNew(publish));
    discard.addEventListener('click', () => this.host.closed(this.base.id, null, false));
    this.showPanel(
      h(
        'p',
        {},
        'Another editor deleted this entry: readers no longer see it. Your text is still here: publish it as a new entry, or discard it.',
      ),
      h('div', { class: 'ed-row' }, publish, discard),
    );
  }

  private fill(update: Update, fields: Field[] = FIELDS): void {
    const zone = this.zoneForTimes();
    for (const field of fields) {
      if (field === 'body') this.body.value = update.body;
      else if (field === 'title') this.title.value = update.title ?? '';
      else if (field === 'author') this.author.value = update.author ?? '';
      else if (field === 'publishedAt') this.time.value = instantToZoned(Date.parse(update.publishedAt), zone);
      else if (field === 'pinned') this.pinned.checked = update.pinned;
      else this.keyEvent.checked = update.keyEvent;
    }
  }

  private zoneForTimes(): string {
    const zone = this.zone.value.trim();
    return isZone(zone) ? zone : browserZone();
  }

  /** The form's value of each field, as the API takes it. */
  private value(field: Field): string | boolean | null {
    switch (field) {
      case 'body':
        return this.body.value.trim();
      case 'title':
        return this.title.value.trim() || null;
      case 'author':
        return this.author.value.trim() || null;
      case 'publishedAt': {
        const time = readZonedTime(this.time.value, this.zone.value);
        return 'iso' in time ? time.iso : null;
      }
      case 'pinned':
        return this.pinned.checked;
      case 'keyEvent':
        return this.keyEvent.checked;
    }
  }

  /** The fields whose form value differs from `update`'s. */
  private changes(update: Update): Field[] {
    return FIELDS.filter((field) => this.differs(field, update));
  }

  private differs(field: Field, update: Update): boolean {
    if (field === 'publishedAt') return this.time.value !== instantToZoned(Date.parse(update.publishedAt), this.zoneForTimes());
    return this.value(field) !== (update[field] ?? null);
  }

  /** Both sides changed a field, to different values: only then is there something to choose. */
  private clashes(mine: Field[], theirs: Field[], current: Update): boolean {
    return mine.some((field) => theirs.includes(field) && this.differs(field, current));
  }

  private patch(fields: Field[]): Patch {
    return Object.fromEntries(fields.map((field) => [field, this.value(field)]));
  }

  private async save(): Promise<void> {
    if (this.saving || this.deleted) return;
    this.error.textContent = '';
    if (!this.body.value.trim()) {
      this.error.textContent = 'Not saved: the update must not be empty.';
      this.body.focus();
      return;
    }
    const length = this.body.value.trim().length;
    if (length > LIMITS.body) {
      this.error.textContent = `Not saved: the update is ${length.toLocaleString('en')} characters; the most is ${LIMITS.body.toLocaleString('en')}.`;
      this.body.focus();
      return;
    }
    const time = readZonedTime(this.time.value, this.zone.value);
    if ('problem' in time) {
      this.error.textContent = TIME_PROBLEMS[time.problem];
      (time.problem === 'zone' ? this.zone : this.time).focus();
      return;
    }
    this.saving = true;
    this.saveButton.disabled = true;
    try {
      for (let merges = 0; ; merges += 1) {
        const fields = this.changes(this.base);
        if (!fields.length) return this.host.closed(this.base.id, this.arrived ?? this.base, true);
        let current: Update;
        try {
          const saved = await this.host.session.call<Update>('PATCH', `/api/blogs/${this.host.blogId}/updates/${this.base.id}`, {
            body: this.patch(fields),
            headers: { 'If-Match': `"${this.base.version}"` },
          });
          const newest = this.arrived && this.arrived.version > saved.version ? this.arrived : saved;
          return this.host.closed(saved.id, newest, true);
        } catch (failure) {
          if (!(failure instanceof ApiError)) throw failure;
          if (failure.status === 404) return this.remoteDelete();
          if (outcomeUnknown(failure)) {
            // The answer was lost: the server may hold the correction. Ask it rather than guess.
            const found = await this.current(failure);
            if (!found) return this.remoteDelete();
            current = found;
            if (current.version === this.base.version) throw failure; // it did not arrive: nothing changed
          } else if (failure.status === 412 && failure.details) {
            current = failure.details as unknown as Update;
          } else {
            throw failure;
          }
        }
        // Saved already (a lost answer) or saved the same by someone else: nothing left to send.
        if (!fields.some((field) => this.differs(field, current))) return this.host.closed(current.id, current, true);
        const theirs = changedFields(this.base, current);
        if (merges >= MERGES_MAX || this.clashes(fields, theirs, current)) return this.showConflict(current);
        this.fill(
          current,
          theirs.filter((field) => !fields.includes(field)),
        );
        this.base = current; // different fields: save again on top of theirs
      }
    } catch (failure) {
      this.error.textContent =
        failure instanceof OutcomeUnknown
          ? sentence(failure.message)
          : outcomeUnknown(failure)
            ? `Not saved: ${describeError(failure)} The server still holds the version you started from. Your text is kept: Save again.`
            : `Not saved: ${describeError(failure)} Your text is kept.`;
    } finally {
      this.saving = false;
      this.saveButton.disabled = this.deleted;
      this.arrived = null;
    }
  }

  /**
   * The entry as the server holds it now, after a save whose answer was lost (null: it is deleted).
   * When the server cannot be asked either, the outcome stays unknown, and the editor is told so.
   */
  private async current(lost: ApiError): Promise<Update | null> {
    try {
      return await this.host.session.call<Update>('GET', `/api/blogs/${this.host.blogId}/updates/${this.base.id}`);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 404) return null;
      throw new OutcomeUnknown(
        `the server did not answer (${describeError(lost)}), so the desk cannot tell whether your correction was saved. Your text is kept: Save again when the server is reachable; it never overwrites another editor’s change`,
      );
    }
  }

  private showConflict(current: Update): void {
    const mine = this.body.value;
    const saveMine = h('button', { type: 'button' }, 'Save mine over theirs');
    const useTheirs = h('button', { type: 'button' }, 'Use theirs');
    saveMine.addEventListener('click', () => {
      // Only what this editor changed goes over theirs: a field only they changed keeps their value.
      const fresh = this.arrived && this.arrived.version > current.version ? this.arrived : current;
      const changed = this.changes(this.base);
      this.fill(
        fresh,
        changedFields(this.base, fresh).filter((field) => !changed.includes(field)),
      );
      this.base = fresh; // the editor has seen theirs: save on top of it
      this.panel.hidden = true;
      void this.save();
    });
    useTheirs.addEventListener('click', () => {
      this.fill(current);
      this.base = current;
      // The editor's own text stays on screen until they dismiss it.
      const dismiss = h('button', { type: 'button' }, 'Dismiss');
      dismiss.addEventListener('click', () => (this.panel.hidden = true));
      this.showPanel(
        h('p', {}, 'Their version is in the form now. Your text, not saved:'),
        h('pre', { class: 'ed-source' }, mine),
        dismiss,
      );
    });
    // Who and when, from the audit trail once it answers; until then, the time the entry carries.
    const title = h(
      'p',
      { class: 'ed-conflict__title' },
      `Changed by another editor at ${shortTime(current.editedAt ?? current.createdAt)} — your text is kept. Nothing of yours is saved yet.`,
    );
    void changedBy(this.host.session, this.host.blogId, current).then((said) => {
      title.textContent = `${said} — your text is kept. Nothing of yours is saved yet.`;
    });
    this.showPanel(
      title,
      h(
        'div',
        { class: 'ed-versions' },
        h(
          'div',
          {},
          h('h4', {}, 'Their version'),
          current.title ? h('p', {}, h('strong', {}, current.title)) : null,
          h('pre', { class: 'ed-source' }, current.body),
        ),
        h(
          'div',
          {},
          h('h4', {}, 'Yours, word by word against theirs'),
          h('pre', { class: 'ed-source' }, ...wordDiff(current.body, mine.trim())),
        ),
      ),
      h('div', { class: 'ed-row' }, saveMine, useTheirs),
    );
  }

  private showPanel(...children: (Node | null)[]): void {
    this.panel.replaceChildren(...children.filter((child): child is Node => child !== null));
    this.panel.hidden = false;
  }

  private async publishAsNew(button: HTMLButtonElement): Promise<void> {
    this.error.textContent = '';
    const time = readZonedTime(this.time.value, this.zone.value);
    if ('problem' in time) {
      this.error.textContent = TIME_PROBLEMS[time.problem].replace('Not saved', 'Not published');
      return;
    }
    button.disabled = true;
    const publishedAt = this.value('publishedAt');
    const content: EntryContent = {
      body: this.body.value.trim(),
      ...(this.value('title') ? { title: this.value('title') as string } : {}),
      ...(this.value('author') ? { author: this.value('author') as string } : {}),
      ...(typeof publishedAt === 'string' ? { publishedAt } : {}),
      pinned: this.pinned.checked,
      keyEvent: this.keyEvent.checked,
    };
    try {
      const published = await publishContent(this.host.session, this.host.blogId, content, this.chain, () => undefined);
      this.host.closed(this.base.id, null, false);
      this.host.closed(published.update.id, published.update, true);
    } catch (failure) {
      this.error.textContent = `Not published: ${describeError(failure)} Your text is kept.`;
    } finally {
      button.disabled = false;
    }
  }
}

/** The fields in which `b` differs from `a`. */
export function changedFields(a: Update, b: Update): Field[] {
  return FIELDS.filter((field) => (a[field] ?? null) !== (b[field] ?? null));
}
