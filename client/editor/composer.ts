/**
 * Writing a new entry: a draft saved at every keystroke, a live preview from the server's own renderer,
 * and a publish that keeps the text when it fails, publishes a corrected retry as corrected (see
 * publishing.ts), and never wipes what was typed while it was on its way.
 */
import { renderUpdate } from '../../shared/html';
import type { Blog, Update } from '../../shared/schemas';
import { $ } from '../lib/dom';
import { describeError } from './errors';
import { newChain, outcomeUnknown, publishContent, type PublishChain } from './publishing';
import type { Session } from './session';
import { stored, type Draft, type EntryContent } from './storage';
import { browserZone, clockTime, currentZoneName, instantToZoned, isZone, utcOffset, zonedToInstant } from './zones';

const PREVIEW_DELAY_MS = 250;

export class Composer {
  private readonly form = $<HTMLFormElement>('#composer-form');
  private readonly title = $<HTMLInputElement>('#entry-title');
  private readonly body = $<HTMLTextAreaElement>('#entry-body');
  private readonly author = $<HTMLInputElement>('#entry-author');
  private readonly time = $<HTMLInputElement>('#entry-time');
  private readonly zone = $<HTMLInputElement>('#entry-zone-name');
  /** The zone and its offset, in words: "Europe/Kyiv (UTC+02:00)". */
  private readonly offset = $('#entry-zone');
  private readonly timeSet = $('.ed-time__set');
  private readonly keyEvent = $<HTMLInputElement>('#entry-key');
  private readonly pinned = $<HTMLInputElement>('#entry-pinned');
  private readonly publishButton = $<HTMLButtonElement>('#publish');
  private readonly status = $('#composer-status');
  private readonly preview = $('#preview');
  private readonly endedNotice = $('#ended-notice');
  private blog: Blog | null = null;
  private chain: PublishChain = newChain();
  private publishing = false;
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  private previewSeq = 0;

  constructor(private readonly session: Session) {
    this.author.value = stored.author();
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.publish();
    });
    this.form.addEventListener('keydown', (event) => {
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
    this.zone.value = currentZoneName(draft?.zone ?? browserZone());
    this.setTimeMode(draft?.timeMode ?? 'now');
    this.chain = draft?.idempotencyKey ? { key: draft.idempotencyKey, unresolved: draft.unresolved ?? [] } : newChain();
    this.say(
      draft?.unresolved?.length
        ? 'Draft restored. An earlier publish of it got no answer and may have reached readers: Publish will not make a second entry.'
        : draft?.body
          ? 'Draft restored.'
          : '',
    );
    this.setEnded(blog.status === 'ended');
    this.showOffset();
    this.schedulePreview(0);
  }

  setEnded(ended: boolean): void {
    this.endedNotice.hidden = !ended;
    this.publishButton.disabled = ended || this.publishing;
  }

  private get timeMode(): 'now' | 'set' {
    return $<HTMLInputElement>('input[name="time-mode"]:checked', this.form).value === 'set' ? 'set' : 'now';
  }

  private setTimeMode(mode: 'now' | 'set'): void {
    $<HTMLInputElement>(`input[name="time-mode"][value="${mode}"]`, this.form).checked = true;
    this.time.disabled = this.zone.disabled = this.timeSet.hidden = mode === 'now';
  }

  private changed(): void {
    this.time.disabled = this.zone.disabled = this.timeSet.hidden = this.timeMode === 'now';
    if (this.timeMode === 'set' && !this.time.value) this.time.value = instantToZoned(Date.now(), this.zoneForTimes());
    this.showOffset();
    this.saveDraft();
    this.schedulePreview(PREVIEW_DELAY_MS);
  }

  private draft(): Draft {
    return {
      title: this.title.value,
      body: this.body.value,
      timeMode: this.timeMode,
      time: this.time.value,
      zone: this.zone.value,
      keyEvent: this.keyEvent.checked,
      pinned: this.pinned.checked,
      idempotencyKey: this.chain.key,
      unresolved: this.chain.unresolved,
    };
  }

  /** What the editor has written (the form, without the publish chain). */
  private formState(draft: Draft = this.draft()): string {
    const { idempotencyKey: _key, unresolved: _unresolved, ...form } = draft;
    return JSON.stringify(form);
  }

  private saveDraft(): void {
    if (!this.blog) return;
    const empty = !this.body.value.trim() && !this.title.value.trim();
    // An empty form with nothing on its way to the server leaves nothing to keep.
    stored.setDraft(this.blog.id, empty && !this.chain.unresolved.length ? null : this.draft());
  }

  private zoneForTimes(): string {
    const zone = this.zone.value.trim();
    return isZone(zone) ? zone : browserZone();
  }

  /** The zone times are read in, with its offset on that date (today's, for Now). */
  private showOffset(): void {
    const zone = this.zone.value.trim();
    if (!isZone(zone)) {
      this.offset.textContent = 'Choose a time zone from the list.';
      return;
    }
    const when = this.time.value ? zonedToInstant(this.time.value, zone) : Date.now();
    this.offset.textContent = `${currentZoneName(zone)} (${utcOffset(zone, Number.isNaN(when) ? Date.now() : when)})`;
  }

  private publishedAt(): string | undefined {
    if (this.timeMode === 'now' || !this.time.value) return undefined;
    const instant = zonedToInstant(this.time.value, this.zoneForTimes());
    return Number.isNaN(instant) ? undefined : new Date(instant).toISOString();
  }

  private content(): EntryContent {
    const title = this.title.value.trim();
    const author = this.author.value.trim();
    const publishedAt = this.publishedAt();
    return {
      body: this.body.value.trim(),
      ...(title ? { title } : {}),
      ...(author ? { author } : {}),
      ...(publishedAt ? { publishedAt } : {}),
      pinned: this.pinned.checked,
      keyEvent: this.keyEvent.checked,
    };
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
      const content = this.content();
      const update: Update = {
        ...content,
        id: 'preview',
        blogId: this.blog.id,
        html,
        publishedAt: content.publishedAt ?? now,
        createdAt: now,
        version: 1,
      };
      this.preview.innerHTML = renderUpdate(update);
    } catch (error) {
      if (seq === this.previewSeq) this.preview.textContent = `Preview unavailable: ${describeError(error)}`;
    }
  }

  private say(text: string, tone: 'info' | 'error' | 'done' = 'info'): void {
    this.status.textContent = text;
    this.status.dataset.tone = tone;
  }

  async publish(): Promise<void> {
    if (!this.blog || this.publishing || this.blog.status === 'ended') return;
    const content = this.content();
    if (!content.body) {
      this.say('Write the update first.', 'error');
      this.body.focus();
      return;
    }
    if (this.timeMode === 'set' && !this.publishedAt()) {
      this.say(isZone(this.zone.value.trim()) ? 'Set the time, or choose Now.' : 'Choose a time zone from the list.', 'error');
      return;
    }
    const blogId = this.blog.id;
    const sent = this.formState();
    this.publishing = true;
    this.publishButton.disabled = true;
    this.say('Publishing…');
    try {
      const chain = this.chain;
      // The chain is saved with its draft, also when another blog was opened meanwhile.
      const saveChain = () => {
        if (this.blog?.id === blogId && this.chain === chain) return this.saveDraft();
        const left = stored.draft(blogId);
        if (left) stored.setDraft(blogId, { ...left, idempotencyKey: chain.key, unresolved: chain.unresolved });
      };
      const published = await publishContent(this.session, blogId, content, chain, saveChain);
      const at = clockTime(published.kind === 'corrected' ? published.earlier.createdAt : published.update.createdAt);
      const earlier = `Your earlier attempt had been published at ${at} (its answer was lost); it is now corrected to the text you sent: readers see one entry, marked edited.`;
      // The key is spent: the next content of this blog's form starts a chain of its own.
      if (this.blog?.id === blogId) this.chain = newChain();
      if (this.blog?.id !== blogId) {
        // Another blog is open now: its form is not this draft. What was typed into this one since stays.
        const left = stored.draft(blogId);
        stored.setDraft(blogId, left && this.formState(left) !== sent ? { ...left, idempotencyKey: '', unresolved: [] } : null);
        return;
      }
      if (this.formState() !== sent) {
        // What the editor typed while the publish was on its way stays, as the next draft.
        this.saveDraft();
        const done = published.kind === 'corrected' ? earlier : `Published at ${at}, as it was when you pressed Publish.`;
        this.say(`${done} What you typed since is kept below, not published.`, 'done');
        return;
      }
      stored.setDraft(blogId, null);
      this.title.value = '';
      this.body.value = '';
      this.keyEvent.checked = false;
      this.pinned.checked = false;
      this.time.value = '';
      this.setTimeMode('now');
      this.showOffset();
      this.schedulePreview(0);
      this.body.focus();
      this.say(published.kind === 'corrected' ? earlier : `Published at ${at}.`, 'done');
    } catch (error) {
      // The text stays, in the form and in the saved draft: the editor can simply try again.
      this.saveDraft();
      const unknown = outcomeUnknown(error)
        ? ' It may have reached readers all the same: publishing again, even after a correction, never makes a second entry.'
        : '';
      this.say(`Not published: ${describeError(error)}${unknown} Your text is kept.`, 'error');
    } finally {
      this.publishing = false;
      this.setEnded(!this.endedNotice.hidden);
    }
  }
}
