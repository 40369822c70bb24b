/** HTML escaping and the one update template shared by the server's pages and the browser clients. */
import type { Update } from './schemas';
import { displayOrderKey } from './order';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

const TIME_FORMAT: Intl.DateTimeFormatOptions = {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  timeZoneName: 'short',
};

/** "11 Jan 2025, 17:45 GMT+2": the zone is always named, so nobody has to guess which 17:45 it was. */
export function formatTime(iso: string, timeZone?: string, locale = 'en-GB'): string {
  return new Intl.DateTimeFormat(locale, { ...TIME_FORMAT, timeZone }).format(new Date(iso));
}

export function updateElementId(updateId: string): string {
  return `update-${updateId}`;
}

/**
 * One update as an `<article>`. `update.html` was sanitised by the server when it was stored; every
 * other field is plain text and escaped here. `timeZone` is unset in browsers (the reader's own zone)
 * and 'UTC' on the server.
 */
export function renderUpdate(update: Update, timeZone?: string): string {
  const elementId = updateElementId(update.id);
  const badges = [
    update.pinned ? '<span class="lb-badge lb-badge--pinned">Pinned</span>' : '',
    update.keyEvent ? '<span class="lb-badge lb-badge--key">Key event</span>' : '',
  ].join('');
  const edited = update.editedAt
    ? ` <span class="lb-edited">edited <time datetime="${escapeHtml(update.editedAt)}">${escapeHtml(formatTime(update.editedAt, timeZone))}</time></span>`
    : '';
  const title = update.title ? `<h2 class="lb-update__title">${escapeHtml(update.title)}</h2>` : '';
  const author = update.author ? `<p class="lb-update__author">By ${escapeHtml(update.author)}</p>` : '';
  return (
    `<article class="lb-update${update.pinned ? ' lb-update--pinned' : ''}${update.keyEvent ? ' lb-update--key' : ''}" ` +
    `id="${elementId}" data-order="${escapeHtml(displayOrderKey(update))}" data-version="${update.version}">` +
    `<header class="lb-update__meta"><a class="lb-permalink" href="#${elementId}">` +
    `<time class="lb-time" datetime="${escapeHtml(update.publishedAt)}">${escapeHtml(formatTime(update.publishedAt, timeZone))}</time></a>` +
    `${edited}${badges}</header>${title}<div class="lb-update__body">${update.html}</div>${author}</article>`
  );
}
