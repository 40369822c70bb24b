/**
 * Writing a new entry: a draft saved at every keystroke, a live preview from the server's own renderer,
 * and a publish that keeps the text when it fails, publishes a corrected retry as corrected (see
 * publishing.ts), and never wipes what was typed while it was on its way.
 */
import { renderUpdate } from '../../shared/html';
import { LIMITS } from '../../shared/limits';
import type { Blog, PendingUpdate, Update } from '../../shared/schemas';
import { $ } from '../lib/dom';
import { describeError } from './errors';
import { newChain, outcomeUnknown, publishContent, type PublishChain } from './publishing';
import type { Session } from './session';
import { stored, type Draft, type EntryContent } from './storage';
import { browserZone, clockTime, currentZoneName, instantToZoned, isZone, readZonedTime, utcOffset, zonedToInstant } from './zones';

const PREVIEW_DELAY_MS = 250;
/** From this length on, the counter under the Update box shows how close the text is to the limit. */
const COUNT_FROM = Math.floor(LIMITS.body * 0.9);
const count = (n: number) => n.toLocaleString('en');

/** Why a hand-set time cannot be read, in the composer's words. */
const TIME_PROBLEMS = { zone: 'Choose a time zone from the list.', time: 'Set the time, or choose Now.' };

/**
 * What is left to publish when a publish completes after the editor typed on: when the form still
 * begins with the text just published, only what follows it (so that Publish again does not publish
 * that text twice), with the headline, flags and time dropped if they are the ones published. When
 * the editor changed the published text itself, everything stays (`rest` false): a correction of the
 * entry just published belongs in its Edit form, which the message says.
 */
export function typedSince(now: Draft, sent: Draft): { draft: Draft; rest: boolean } {
  const published = sent.body.trim();
  const body = now.body.trimStart();
  if (!body.startsWith(published)) return { draft: now, rest: false };
  const sameTime = now.timeMode === sent.timeMode && now.time === sent.time && now.zone === sent.zone;
  return {
    rest: true,
    draft: {
      ...now,
      body: body.slice(published.length).trimStart(),
      title: now.title === sent.title ? '' : now.title,
      keyEvent: now.keyEvent === sent.keyEvent ? false : now.keyEvent,
      pinned: now.pinned === sent.pinned ? false : now.pinned,
      ...(sameTime ? { timeMode: 'now' as const, time: '' } : {}),
    },
  };
}

const isPending = (update: Update): update is PendingUpdate => (update as Partial<PendingUpdate>).status === 'pending';

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
  private readonly counter = $('#entry-count');
  /** The open blog's id; its status is read from the desk (`currentBlog`), the one place that knows it. */
  private blogId: string | null = null;
  /** The time mode as last seen: switching to Set by hand fills in the time, clearing it later does not. */
  private lastTimeMode: 'now' | 'set' = 'now';
  /** The status says why a publish was refused here (an empty box…): it goes once the editor acts. */
  private refused = false;
  private chain: PublishChain = newChain();
  private publishing = false;
  private previewTimer: ReturnType<typeof setTimeout> | undefined;
  private previewSeq = 0;

  constructor(
    private readonly session: Session,
    private readonly currentBlog: () => Blog | null,
    /** A contributor's entry went to the approval queue (202): show it among theirs. */
    private readonly submitted: (entry: PendingUpdate) => void = () => undefined,
  ) {
    this.author.value = stored.author();
    if (session.contributes) {
      // A contributor's entry waits for an editor: the button says so, and there is nothing to pin.
      this.publishButton.textContent = 'Submit for approval';
      $('#composer-heading').textContent = 'New entry, for an editor to approve';
      this.pinned.closest('label')!.hidden = true;
    }
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
    this.blogId = blog.id;
    const draft = stored.draft(blog.id);
    this.fillForm(draft);
    this.chain = draft?.idempotencyKey ? { key: draft.idempotencyKey, unresolved: draft.unresolved ?? [] } : newChain();
    this.say(
      draft?.unresolved?.length
        ? 'Draft restored. An earlier publish of it got no answer and may have reached readers: Publish will not make a second entry.'
        : draft?.body
          ? 'Draft restored.'
          : '',
    );
    this.showBlogStatus();
    this.schedulePreview(0);
  }

  private fillForm(draft: Draft | null): void {
    this.title.value = draft?.title ?? '';
    this.body.value = draft?.body ?? '';
    this.keyEvent.checked = draft?.keyEvent ?? false;
    this.pinned.checked = draft?.pinned ?? false;
    this.time.value = draft?.time ?? '';
    this.zone.value = currentZoneName(draft?.zone ?? browserZone());
    this.setTimeMode(draft?.timeMode ?? 'now');
    this.showOffset();
    this.showCount();
  }

  private get ended(): boolean {
    return this.currentBlog()?.status === 'ended';
  }

  /** Shows whether the open blog takes entries (call when its status may have changed). */
  showBlogStatus(): void {
    this.endedNotice.hidden = !this.ended;
    this.publishButton.disabled = this.ended || this.publishing;
  }

  private get timeMode(): 'now' | 'set' {
    return $<HTMLInputElement>('input[name="time-mode"]:checked', this.form).value === 'set' ? 'set' : 'now';
  }

  private setTimeMode(mode: 'now' | 'set'): void {
    $<HTMLInputElement>(`input[name="time-mode"][value="${mode}"]`, this.form).checked = true;
    this.lastTimeMode = mode;
    this.time.disabled = this.zone.disabled = this.timeSet.hidden = mode === 'now';
  }

  private changed(): void {
    const mode = this.timeMode;
    this.time.disabled = this.zone.disabled = this.timeSet.hidden = mode === 'now';
    // Switching to Set by hand starts from now; a time the editor clears stays cleared.
    if (mode === 'set' && this.lastTimeMode === 'now' && !this.time.value)
      this.time.value = instantToZoned(Date.now(), this.zoneForTimes());
    this.lastTimeMode = mode;
    if (this.refused) this.say('');
    this.showOffset();
    this.showCount();
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
    if (!this.blogId) return;
    const empty = !this.body.value.trim() && !this.title.value.trim();
    // An empty form with nothing on its way to the server leaves nothing to keep.
    stored.setDraft(this.blogId, empty && !this.chain.unresolved.length ? null : this.draft());
  }

  /** The zone to suggest a time in: the one chosen, or the browser's until one is (never used to publish). */
  private zoneForTimes(): string {
    const zone = this.zone.value.trim();
    return isZone(zone) ? zone : browserZone();
  }

  /** Near the limit, how long the text is: a text over it is refused when published, never cut. */
  private showCount(): void {
    const length = this.body.value.trim().length;
    this.counter.hidden = length < COUNT_FROM;
    this.counter.dataset.over = String(length > LIMITS.body);
    this.counter.textContent = `${count(length)} characters of ${count(LIMITS.body)}${length > LIMITS.body ? ': too long to publish.' : ''}`;
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
    if (this.timeMode === 'now') return undefined;
    const time = readZonedTime(this.time.value, this.zone.value);
    return 'iso' in time ? time.iso : undefined;
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
      pinned: this.pinned.checked && !this.session.contributes,
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
    const blogId = this.blogId;
    if (!body || !blogId) {
      this.preview.textContent = 'The preview shows here as readers will see it.';
      return;
    }
    try {
      // The blog's own pictures show in the preview (another blog's would say "Picture not available.").
      const { html } = await this.session.call<{ html: string }>('POST', '/api/preview', { body: { body, blogId } });
      if (seq !== this.previewSeq) return; // a newer preview is on its way
      const now = new Date().toISOString();
      const content = this.content();
      const update: Update = {
        ...content,
        id: 'preview',
        blogId,
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
    this.refused = false;
  }

  /** Says why Publish did nothing this time, until the editor changes the form. */
  private refuse(text: string, field?: HTMLElement): void {
    this.say(text, 'error');
    this.refused = true;
    field?.focus();
  }

  async publish(): Promise<void> {
    // Every way out before the request says why: Publish never does nothing without a word.
    if (this.publishing) return; // "Publishing…" is on screen: this press is the same publish
    const blogId = this.blogId;
    if (!blogId) return this.refuse('Choose a blog first.');
    if (this.ended) return this.refuse('This blog has ended: Reopen live blog (under This blog) to publish again.');
    const content = this.content();
    if (!content.body) return this.refuse('Write the update first.', this.body);
    if (content.body.length > LIMITS.body) {
      return this.refuse(`The update is ${count(content.body.length)} characters; the most is ${count(LIMITS.body)}.`, this.body);
    }
    if (this.timeMode === 'set') {
      const time = readZonedTime(this.time.value, this.zone.value);
      if ('problem' in time) return this.refuse(TIME_PROBLEMS[time.problem], time.problem === 'zone' ? this.zone : this.time);
    }
    if (!navigator.onLine) {
      // Nothing leaves a browser that knows it is offline: no "it may have reached readers" to wonder about.
      return this.refuse(
        'Not published: this browser is offline, so nothing was sent. Your text is kept: publish when the connection is back.',
      );
    }
    const sentDraft = this.draft();
    const sent = this.formState(sentDraft);
    this.publishing = true;
    this.publishButton.disabled = true;
    this.say(this.session.contributes ? 'Submitting…' : 'Publishing…');
    try {
      const chain = this.chain;
      // The chain is saved with its draft, also when another blog was opened meanwhile.
      const saveChain = () => {
        if (this.blogId === blogId && this.chain === chain) return this.saveDraft();
        const left = stored.draft(blogId);
        if (left) stored.setDraft(blogId, { ...left, idempotencyKey: chain.key, unresolved: chain.unresolved });
      };
      const published = await publishContent(this.session, blogId, content, chain, saveChain);
      const pending = isPending(published.update) ? published.update : null;
      if (pending) this.submitted(pending);
      const at = clockTime(published.kind === 'corrected' ? published.earlier.createdAt : published.update.createdAt);
      const earlier = `Your earlier attempt had been published at ${at} (its answer was lost); it is now corrected to the text you sent: readers see one entry, marked edited.`;
      // The key is spent: the next content of this blog's form starts a chain of its own.
      if (this.blogId === blogId) this.chain = newChain();
      if (this.blogId !== blogId) {
        // Another blog is open now: its form is not this draft. What was typed into this one since stays.
        const left = stored.draft(blogId);
        const kept = left && this.formState(left) !== sent ? typedSince(left, sentDraft).draft : null;
        stored.setDraft(blogId, kept ? { ...kept, idempotencyKey: '', unresolved: [] } : null);
        return;
      }
      if (this.formState() !== sent) {
        // What the editor typed while the publish was on its way stays, as the next draft, without what was published.
        const { draft, rest } = typedSince(this.draft(), sentDraft);
        this.fillForm(draft);
        this.saveDraft();
        this.schedulePreview(0);
        const done =
          published.kind === 'corrected'
            ? earlier
            : pending
              ? `Submitted for approval at ${at}, as it was when you pressed Submit.`
              : `Published at ${at}, as it was when you pressed Publish.`;
        this.say(
          rest
            ? `${done} What you typed after it is kept below, not published.`
            : `${done} Your changes since are kept below, not published: to correct the entry just published, use its Edit.`,
          'done',
        );
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
      this.showCount();
      this.schedulePreview(0);
      this.body.focus();
      this.say(
        published.kind === 'corrected'
          ? earlier
          : pending
            ? `Submitted for approval at ${at}: an editor will publish it, or tell you why not (under Your entries awaiting approval).`
            : `Published at ${at}.`,
        'done',
      );
    } catch (error) {
      // The text stays, in the form and in the saved draft: the editor can simply try again.
      this.saveDraft();
      const unknown = outcomeUnknown(error)
        ? ' It may have reached readers all the same: publishing again, even after a correction, never makes a second entry.'
        : '';
      this.say(`Not published: ${describeError(error)}${unknown} Your text is kept.`, 'error');
    } finally {
      this.publishing = false;
      this.showBlogStatus();
    }
  }
}
