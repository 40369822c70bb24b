/**
 * An entry's history as an editor reads it: each correction of the text word by word against the one
 * before, pin and key-event changes said as such (they are not new text), and "Restore this version"
 * (a PATCH with If-Match on the current version, so that it never overwrites a change not yet seen).
 */
import { formatTime } from '../../shared/html';
import type { Update } from '../../shared/schemas';
import { ApiError } from '../lib/api';
import { h } from '../lib/dom';
import { wordDiff } from './diff-view';
import { auditHeadline, entryTrail } from './audit';
import { describeError } from './errors';
import type { Session } from './session';

export interface HistoryHost {
  readonly session: Session;
  readonly blogId: string;
  /** A version was restored: show it. */
  restored(update: Update): void;
}

const sameText = (a: Update, b: Update) =>
  a.body === b.body && (a.title ?? '') === (b.title ?? '') && (a.author ?? '') === (b.author ?? '') && a.publishedAt === b.publishedAt;

/** What changed between two versions that is not the text: "Pinned", "Marked as a key event"… */
function flagChanges(before: Update, after: Update): string[] {
  const changes: string[] = [];
  if (before.pinned !== after.pinned) changes.push(after.pinned ? 'Pinned to the top' : 'Unpinned');
  if (before.keyEvent !== after.keyEvent) changes.push(after.keyEvent ? 'Marked as a key event' : 'No longer a key event');
  return changes;
}

function fieldChange(label: string, before: string | undefined, after: string | undefined): HTMLElement | null {
  if ((before ?? '') === (after ?? '')) return null;
  return h('p', {}, `${label}: `, h('del', {}, before || '(none)'), ' → ', h('ins', {}, after || '(none)'));
}

export async function loadHistory(host: HistoryHost, updateId: string, container: HTMLElement): Promise<void> {
  const [{ versions }, trail] = await Promise.all([
    host.session.call<{ versions: Update[] }>('GET', `/api/blogs/${host.blogId}/updates/${updateId}/versions`),
    entryTrail(host.session, host.blogId, updateId),
  ]);
  /** Who made a version, from the audit trail: " by Olena". */
  const by = (version: Update) => {
    const made = trail.find((entry) => (entry.after as { version?: number } | undefined)?.version === version.version);
    return made ? ` by ${made.actor.kind === 'admin-token' ? 'the admin token' : made.actor.name}` : '';
  };
  const current = versions[versions.length - 1];
  const status = h('p', { class: 'ed-status', role: 'status' });
  const items = versions.map((version, index) => {
    const before = versions[index - 1];
    const label = `Version ${version.version}`;
    if (before && sameText(before, version)) {
      return h(
        'li',
        { class: 'ed-version ed-version--flag' },
        h('strong', {}, label),
        ` · ${flagChanges(before, version).join(', ') || 'No change'}${by(version)}`,
      );
    }
    const restore =
      version !== current && !sameText(version, current)
        ? h('button', { type: 'button', 'aria-label': `Restore this version (version ${version.version})` }, 'Restore this version')
        : null;
    restore?.addEventListener('click', () => void restoreVersion(host, version, current, status));
    const flags = before ? flagChanges(before, version) : [];
    return h(
      'li',
      { class: 'ed-version' },
      h('strong', {}, label),
      ` · ${before ? 'corrected' : 'published'} ${formatTime(before ? (version.editedAt ?? version.createdAt) : version.publishedAt)}${by(version)}`,
      version === current ? ' (as readers see it now)' : '',
      flags.length ? ` · ${flags.join(', ')}` : '',
      before ? fieldChange('Headline', before.title, version.title) : version.title ? h('p', {}, h('strong', {}, version.title)) : null,
      before ? fieldChange('Author', before.author, version.author) : null,
      before && before.publishedAt !== version.publishedAt
        ? fieldChange('Time', formatTime(before.publishedAt), formatTime(version.publishedAt))
        : null,
      h('pre', { class: 'ed-source' }, ...(before ? wordDiff(before.body, version.body) : [version.body])),
      restore,
    );
  });
  const who = trail.length
    ? [
        h('h4', {}, 'Who did what, newest first'),
        h('ul', { class: 'ed-audit' }, ...trail.map((entry) => h('li', {}, auditHeadline(entry)))),
      ]
    : [];
  container.replaceChildren(
    ...who,
    h('h4', {}, `History: ${versions.length} ${versions.length === 1 ? 'version' : 'versions'}, oldest first`),
    h('ol', { class: 'ed-versions-list' }, ...items),
    status,
  );
}

async function restoreVersion(host: HistoryHost, version: Update, current: Update, status: HTMLElement): Promise<void> {
  status.textContent = 'Restoring…';
  try {
    const restored = await host.session.call<Update>('PATCH', `/api/blogs/${host.blogId}/updates/${version.id}`, {
      body: { body: version.body, title: version.title ?? null, author: version.author ?? null, publishedAt: version.publishedAt },
      headers: { 'If-Match': `"${current.version}"` },
    });
    host.restored(restored);
  } catch (error) {
    status.textContent =
      error instanceof ApiError && error.status === 412
        ? 'Not restored: the entry changed since this history was opened. Close and open History again to see the change.'
        : `Not restored: ${describeError(error)}`;
  }
}
