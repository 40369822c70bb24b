/**
 * Writing a new entry: a draft saved at every keystroke, a live preview from the server's own renderer,
 * and a publish that keeps the text when it fails and cannot make a duplicate when retried.
 */
import { renderUpdate } from '../../shared/html';
import type { Blog, Update } from '../../shared/schemas';
import { describeError } from '../lib/api';
import { $ } from '../lib/dom';
import type { Session } from './session';
import { stored, type Draft } from './storage';

const PREVIEW_DELAY_MS = 250;

export class Composer {
  private readonly form = $<HTMLFormElement>('#composer-form');
  private readonly title = $<HTMLInputElement>('#entry-title');
  private readonly body = $<HTMLTextAreaElement>('#entry-body');
  private readonly author = $<HTMLInputElement>('#entry-author');
  private readonly time = $<HTMLInputElement>('#entry-time');
  private readonly zone = $('#entry-zone');
  private readonly keyEvent = $<HTMLInputElement>('#entry-key');
  private readonly pinned = $<HTMLInputElement>('#entry-pinned');
  private readonly publishButton = $<HTMLButtonElement>('#publish');
  private readonly status = $('#composer-status');
  private readonly preview = $('#preview');
  private readonly endedNotice = $('#ended-notice');
  private blog: Blog | null = null;
  private idempotencyKey = '';
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  private previewSeq = 0;

  constructor(private readonly session: Session) {
    this.author.value = stored.author();
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.publish();
    });
    this.body.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void this.publish();
      }
    });
    this.form.addEventListener('input', () => this.changed());
    this.form.addEventListener('change', () => this.changed());
    this.author.addEventListener('input', () => stored.setAuthor(this.author.value));
  }

  /** Shows `blog`'s draft (or an empty one). */
  setBlog(blog: Blog): void {
    this.blog = blog;
    const draft = stored.draft(blog.id);
    this.title.value = draft?.title ?? '';
    this.body.value = draft?.body ?? '';
    this.keyEvent.checked = draft?.keyEvent ?? false;
    this.pinned.checked = draft?.pinned ?? false;
    this.time.value = draft?.time ?? '';
    this.setTimeMode(draft?.timeMode ?? 'now');
    this.idempotencyKey = draft?.idempotencyKey ?? '';
    this.status.textContent = draft?.body ? 'Draft restored.' : '';
    this.setEnded(blog.status === 'ended');
    this.showZone();
    this.schedulePreview(0);
  }

  setEnded(ended: boolean): void {
    this.endedNotice.hidden = !ended;
    this.publishButton.disabled = ended;
  }

  private get timeMode(): 'now' | 'set' {
    return $<HTMLInputElement>('input[name="time-mode"]:checked', this.form).value === 'set' ? 'set' : 'now';
  }

  private setTimeMode(mode: 'now' | 'set'): void {
    $<HTMLInputElement>(`input[name="time-mode"][value="${mode}"]`, this.form).checked = true;
    this.time.disabled = mode === 'now';
  }

  private changed(): void {
    this.time.disabled = this.timeMode === 'now';
    if (this.timeMode === 'set' && !this.time.value) this.time.value = localInputValue(new Date());
    this.showZone();
    this.saveDraft();
    this.schedulePreview(PREVIEW_DELAY_MS);
  }

  private saveDraft(): void {
    if (!this.blog) return;
    const empty = !this.body.value.trim() && !this.title.value.trim();
    if (empty) {
      stored.setDraft(this.blog.id, null);
      this.idempotencyKey = '';
      return;
    }
    // One key per draft: every retry of this draft's publish carries it.
    this.idempotencyKey ||= crypto.randomUUID();
    const draft: Draft = {
      title: this.title.value,
      body: this.body.value,
      timeMode: this.timeMode,
      time: this.time.value,
      keyEvent: this.keyEvent.checked,
      pinned: this.pinned.checked,
      idempotencyKey: this.idempotencyKey,
    };
    stored.setDraft(this.blog.id, draft);
  }

  /** The zone the hand-set time is read in, named with its offset on that date. */
  private showZone(): void {
    const when = this.time.value ? new Date(this.time.value) : new Date();
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    this.zone.textContent = `${zone} (${utcOffset(when)})`;
  }

  private publishedAt(): string | undefined {
    if (this.timeMode === 'now' || !this.time.value) return undefined;
    return new Date(this.time.value).toISOString();
  }

  private schedulePreview(delay: number): void {
    clearTimeout(this.previewTimer);
    this.previewTimer = setTimeout(() => void this.renderPreview(), delay);
  }

  private async renderPreview(): Promise<void> {
    const seq = ++this.previewSeq;
    const body = this.body.value.trim();
    if (!body || !this.blog) {
      this.preview.textContent = 'The preview shows here as readers will see it.';
      return;
    }
    try {
      const { html } = await this.session.call<{ html: string }>('POST', '/api/preview', { body: { body } });
      if (seq !== this.previewSeq) return; // a newer preview is on its way
      const now = new Date().toISOString();
      const update: Update = {
        id: 'preview',
        blogId: this.blog.id,
        body,
        html,
        ...(this.title.value.trim() ? { title: this.title.value.trim() } : {}),
        ...(this.author.value.trim() ? { author: this.author.value.trim() } : {}),
        publishedAt: this.publishedAt() ?? now,
        createdAt: now,
        pinned: this.pinned.checked,
        keyEvent: this.keyEvent.checked,
        version: 1,
      };
      this.preview.innerHTML = renderUpdate(update);
    } catch (error) {
      if (seq === this.previewSeq) this.preview.textContent = `Preview unavailable: ${describeError(error)}`;
    }
  }

  async publish(): Promise<void> {
    if (!this.blog || this.publishButton.disabled) return;
    const body = this.body.value.trim();
    if (!body) {
      this.status.textContent = 'Write the update first.';
      this.body.focus();
      return;
    }
    this.saveDraft();
    const blogId = this.blog.id;
    this.publishButton.disabled = true;
    this.status.textContent = 'Publishing…';
    try {
      const update = await this.session.call<Update>('POST', `/api/blogs/${blogId}/updates`, {
        body: {
          body,
          ...(this.title.value.trim() ? { title: this.title.value.trim() } : {}),
          ...(this.author.value.trim() ? { author: this.author.value.trim() } : {}),
          ...(this.publishedAt() ? { publishedAt: this.publishedAt() } : {}),
          keyEvent: this.keyEvent.checked,
          pinned: this.pinned.checked,
        },
        headers: { 'Idempotency-Key': this.idempotencyKey },
      });
      stored.setDraft(blogId, null);
      this.idempotencyKey = '';
      this.title.value = '';
      this.body.value = '';
      this.keyEvent.checked = false;
      this.pinned.checked = false;
      this.setTimeMode('now');
      this.status.textContent = `Published at ${new Date(update.createdAt).toLocaleTimeString()}.`;
      this.schedulePreview(0);
      this.body.focus();
    } catch (error) {
      // The text stays, in the form and in the saved draft: the editor can simply try again.
      this.status.textContent = `Not published: ${describeError(error)} Your text is kept.`;
    } finally {
      this.publishButton.disabled = this.blog?.status === 'ended';
    }
  }
}

/** `2025-01-11T17:45` for a datetime-local input, in the browser's zone. */
function localInputValue(date: Date): string {
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60_000);
  return local.toISOString().slice(0, 16);
}

function utcOffset(date: Date): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes >= 0 ? '+' : '−';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
