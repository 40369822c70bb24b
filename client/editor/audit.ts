/**
 * The audit trail in an editor's words: "Olena edited at 17:46", with what changed word by word, what a
 * delete took away, why an entry was rejected. The blog's History panel pages through it newest first
 * (Load older); an entry's history (history.ts) names who made each version; a refused save names who
 * changed the entry meanwhile.
 */
import { excerpt } from '../../shared/html';
import type { AuditEntry, AuditPage, Update } from '../../shared/schemas';
import { $, h } from '../lib/dom';
import { wordDiff } from './diff-view';
import { describeError } from './errors';
import type { Session } from './session';
import { shortTime } from './zones';

const PAGE = 50;

const VERBS: Record<AuditEntry['action'], string> = {
  'blog.created': 'created the blog',
  'blog.changed': 'changed the blog',
  'update.created': 'published',
  'update.edited': 'edited',
  'update.pinned': 'pinned',
  'update.unpinned': 'unpinned',
  'update.deleted': 'deleted',
  'update.submitted': 'submitted for approval',
  'update.approved': 'approved',
  'update.rejected': 'rejected',
  'person.invited': 'invited',
  'person.changed': 'changed',
  'person.removed': 'removed',
  'token.created': 'created a token',
  'token.revoked': 'revoked a token',
  'webhook.created': 'added a webhook',
  'webhook.changed': 'turned a webhook on or off',
  'webhook.removed': 'removed a webhook',
  'media.uploaded': 'uploaded a picture',
  'media.removed': 'took down a picture',
};

type Content = Partial<Pick<Update, 'body' | 'title' | 'author' | 'publishedAt' | 'pinned' | 'keyEvent' | 'version'>> & {
  description?: string;
  status?: string;
  name?: string;
};

const content = (value: unknown): Content => (value && typeof value === 'object' ? (value as Content) : {});

/** "Olena edited at 17:46". */
export function auditHeadline(entry: AuditEntry): string {
  const who = entry.actor.kind === 'admin-token' ? 'The admin token' : entry.actor.name;
  const whom = entry.action.startsWith('person.') ? ` ${content(entry.after).name ?? content(entry.before).name ?? 'someone'}` : '';
  return `${who} ${VERBS[entry.action] ?? entry.action}${whom} at ${shortTime(entry.at)}`;
}

/** What an entry's text, headline and flags were and became, readably. */
export function auditDetails(entry: AuditEntry): HTMLElement[] {
  const before = content(entry.before);
  const after = content(entry.after);
  const parts: HTMLElement[] = [];
  const change = (label: string, a: string | undefined, b: string | undefined) => {
    if ((a ?? '') !== (b ?? '')) parts.push(h('p', {}, `${label}: `, h('del', {}, a || '(none)'), ' → ', h('ins', {}, b || '(none)')));
  };
  if (entry.action === 'update.edited' || entry.action === 'blog.changed') {
    change('Headline', before.title, after.title);
    change('Author', before.author, after.author);
    change('Description', before.description, after.description);
    change('Status', before.status, after.status);
    if (before.keyEvent !== after.keyEvent && after.keyEvent !== undefined)
      parts.push(h('p', {}, after.keyEvent ? 'Marked as a key event' : 'No longer a key event'));
    if (before.body !== undefined && after.body !== undefined && before.body !== after.body)
      parts.push(h('pre', { class: 'ed-source' }, ...wordDiff(before.body, after.body)));
  } else if (entry.action === 'update.deleted') {
    if (before.title) parts.push(h('p', {}, h('strong', {}, before.title)));
    if (before.body !== undefined) parts.push(h('pre', { class: 'ed-source ed-deleted' }, h('del', {}, before.body)));
  } else if (entry.action.startsWith('update.') && entry.action !== 'update.pinned' && entry.action !== 'update.unpinned') {
    const shown = after.body !== undefined ? after : before;
    if (shown.title) parts.push(h('p', {}, h('strong', {}, shown.title)));
    if (shown.body !== undefined) parts.push(h('pre', { class: 'ed-source' }, shown.body));
  }
  if (entry.action === 'update.rejected') parts.push(h('p', {}, entry.reason ? `Reason: ${entry.reason}` : 'No reason given.'));
  return parts;
}

/** The desk's list item of an entry (entries.ts), when the list holds it. */
const listed = (updateId: string) => document.getElementById(`ed-update-${updateId}`);

/**
 * Which entry a line of the blog's history is about: its headline or the start of its text, a link to
 * it in the desk's list while the list holds it (the link focuses it there).
 */
function entryName(entry: AuditEntry, say: (text: string) => void): (HTMLElement | string)[] {
  if (!entry.action.startsWith('update.') || !entry.updateId) return [];
  const after = content(entry.after);
  const shown = after.body !== undefined || after.title ? after : content(entry.before);
  if (shown.body === undefined && !shown.title) return [];
  const name = excerpt({ title: shown.title, body: shown.body ?? '' }, 60);
  const updateId = entry.updateId;
  if (entry.action === 'update.deleted' || entry.action === 'update.rejected' || !listed(updateId)) return [': ', `“${name}”`];
  const link = h('a', { href: `#ed-update-${updateId}`, class: 'ed-audit__entry' }, name);
  link.addEventListener('click', (event) => {
    event.preventDefault();
    const item = listed(updateId);
    if (!item) {
      say(`“${name}” is no longer in the list of entries: it was deleted, or it is older than the list (Load older).`);
      return;
    }
    item.tabIndex = -1;
    item.scrollIntoView({ block: 'center' });
    item.focus();
  });
  return [': “', link, '”'];
}

export function auditItem(entry: AuditEntry, say: (text: string) => void = () => undefined): HTMLElement {
  return h(
    'li',
    { class: 'ed-audit__item' },
    h('p', { class: 'ed-audit__line' }, h('strong', {}, auditHeadline(entry)), ...entryName(entry, say)),
    ...auditDetails(entry),
  );
}

/** An entry's own trail, newest first (empty when it cannot be read: the versions still show). */
export async function entryTrail(session: Session, blogId: string, updateId: string): Promise<AuditEntry[]> {
  try {
    const page = await session.call<AuditPage>('GET', `/api/blogs/${blogId}/audit?updateId=${encodeURIComponent(updateId)}&limit=${PAGE}`);
    return page.entries;
  } catch (error) {
    console.warn('[liveblog] audit unavailable', error);
    return [];
  }
}

/** "Changed by Olena at 17:46": who made `current`, from the audit trail (its time from the entry when the trail cannot say). */
export async function changedBy(session: Session, blogId: string, current: Update): Promise<string> {
  const trail = await entryTrail(session, blogId, current.id);
  const made =
    trail.find((entry) => content(entry.after).version === current.version) ?? trail.find((entry) => entry.action !== 'update.deleted');
  return made
    ? `Changed by ${made.actor.kind === 'admin-token' ? 'the admin token' : made.actor.name} at ${shortTime(made.at)}`
    : `Changed by another editor at ${shortTime(current.editedAt ?? current.createdAt)}`;
}

/** The blog's History panel: newest first, "Load older" for the rest. */
export class BlogHistory {
  private readonly toggle = $<HTMLButtonElement>('#blog-history-toggle');
  private readonly body = $('#blog-history-body');
  private readonly list = $<HTMLOListElement>('#blog-history-list');
  private readonly status = $('#blog-history-status');
  private readonly older = $<HTMLButtonElement>('#blog-history-older');
  private blogId = '';
  private next: string | undefined;
  private seq = 0;

  constructor(private readonly session: Session) {
    this.toggle.addEventListener('click', () => {
      const open = this.toggle.getAttribute('aria-expanded') !== 'true';
      this.toggle.setAttribute('aria-expanded', String(open));
      this.toggle.textContent = open ? 'Hide history' : 'Show history';
      this.body.hidden = !open;
      if (open) void this.load(false);
    });
    this.older.addEventListener('click', () => void this.load(true));
  }

  /** Another blog is open: its history is read when asked for (or now, if the panel is open). */
  show(blogId: string): void {
    this.blogId = blogId;
    this.list.replaceChildren();
    this.status.textContent = '';
    this.older.hidden = true;
    if (!this.body.hidden) void this.load(false);
  }

  private async load(older: boolean): Promise<void> {
    const seq = ++this.seq;
    const before = older && this.next ? `&before=${encodeURIComponent(this.next)}` : '';
    this.older.disabled = true;
    this.status.textContent = 'Reading the history…';
    try {
      const page = await this.session.call<AuditPage>('GET', `/api/blogs/${this.blogId}/audit?limit=${PAGE}${before}`);
      if (seq !== this.seq) return;
      const items = page.entries.map((entry) => auditItem(entry, (text) => (this.status.textContent = text)));
      if (older) this.list.append(...items);
      else this.list.replaceChildren(...items);
      this.next = page.next;
      this.older.hidden = !page.next;
      this.status.textContent =
        page.entries.length || older ? (page.next ? '' : 'That is all of this blog’s history.') : 'Nothing has happened on this blog yet.';
      // A keyboard user reads on from the first of the older lines.
      if (older && items[0]) {
        items[0].tabIndex = -1;
        items[0].focus();
      }
    } catch (error) {
      if (seq === this.seq) this.status.textContent = `The history could not be read: ${describeError(error)}`;
    } finally {
      this.older.disabled = false;
    }
  }
}
