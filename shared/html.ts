/** HTML escaping and the one update template shared by the server's pages and the browser clients. */
import type { Blog, Update } from './schemas';
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

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale: string, timeZone: string | undefined): Intl.DateTimeFormat {
  const key = `${locale}|${timeZone ?? ''}`;
  let format = formatters.get(key);
  if (!format) formatters.set(key, (format = new Intl.DateTimeFormat(locale, { ...TIME_FORMAT, timeZone })));
  return format;
}

/** "GMT-5", "UTC+02:00": an offset, where a zone's own short name says more. */
const OFFSET_NAME = /^(GMT|UTC)[+\-\u2212]/;

/**
 * "11 Jan 2025, 17:45 EET": the zone is always named, so nobody has to guess which 17:45 it was. British
 * English names European zones ("EET", "CET") but only numbers American ones ("GMT-5"); American English
 * names those ("EST", "PDT"). Where neither has a name, the offset stays ("GMT+9").
 */
export function formatTime(iso: string, timeZone?: string, locale = 'en-GB'): string {
  const date = new Date(iso);
  const parts = formatter(locale, timeZone).formatToParts(date);
  const zone = parts.find((part) => part.type === 'timeZoneName');
  if (zone && OFFSET_NAME.test(zone.value)) {
    const named = formatter('en-US', timeZone)
      .formatToParts(date)
      .find((part) => part.type === 'timeZoneName')?.value;
    if (named && !OFFSET_NAME.test(named)) zone.value = named;
  }
  return parts.map((part) => part.value).join('');
}

/** Characters of an update named in its permalink's accessible name. */
const PERMALINK_EXCERPT = 60;
/** Characters of an update shown in the Key events box: one or two lines on a phone. */
const KEY_EVENT_EXCERPT = 70;

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
    `<time class="lb-time" datetime="${escapeHtml(update.publishedAt)}">${escapeHtml(formatTime(update.publishedAt, timeZone))}</time>` +
    // Screen readers list links by name: each permalink names its update, not only a time.
    `<span class="lb-vh"> – ${escapeHtml(excerpt(update, PERMALINK_EXCERPT))}</span></a>` +
    `<time class="lb-ago" datetime="${escapeHtml(update.publishedAt)}" aria-hidden="true"></time>` +
    `${edited}${badges}</header>${title}<div class="lb-update__body">${update.html}</div>${author}</article>`
  );
}

/** "5 min ago", "2 h ago", "3 days ago": short, and correct whatever the reader's zone. */
export function relativeTime(iso: string, now = Date.now(), locale = 'en-GB'): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' });
  const abs = Math.abs(seconds);
  if (abs < 45) return 'just now';
  if (abs < 3600) return format.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return format.format(Math.round(seconds / 3600), 'hour');
  if (abs < 30 * 86_400) return format.format(Math.round(seconds / 86_400), 'day');
  if (abs < 365 * 86_400) return format.format(Math.round(seconds / (30 * 86_400)), 'month');
  return format.format(Math.round(seconds / (365 * 86_400)), 'year');
}

// Markdown images and links. Each bracket or parenthesis class excludes its own opening character, so
// that a match attempt stops at the next `[` or `(`: linear time on any input (`[[[[…` or `[a](((((…`
// made the earlier patterns quadratic: 250 ms for one 20,000-character body).
const MARKDOWN_IMAGE = /!\[[^[\]]*\]\([^()]*\)/g;
const MARKDOWN_LINK = /\[([^[\]]*)\]\([^()]*\)/g;
/** Only the start of a body can make an excerpt: this many characters of it per character shown (links and marks fall away). */
const EXCERPT_SOURCE_FACTOR = 20;

/** A one-line label for an update: its title, or the start of its text without Markdown marks. */
export function excerpt(update: Pick<Update, 'title' | 'body'>, length = 90): string {
  const text = (update.title ?? update.body.slice(0, length * EXCERPT_SOURCE_FACTOR))
    .replace(MARKDOWN_IMAGE, '')
    .replace(MARKDOWN_LINK, '$1')
    .replace(/[*_`#>~]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  return clip(text, length);
}

/** One line of plain text cut to `length` characters at most, at a word, with an ellipsis when it was longer. */
export function clip(text: string, length: number): string {
  if (text.length <= length) return text;
  // Cut at a word where one ends near the limit, and never leave "40.0%.…": punctuation goes before the ellipsis.
  let cut = text.slice(0, length - 1);
  const space = cut.lastIndexOf(' ');
  if (space > length * 0.6) cut = cut.slice(0, space);
  return `${cut.replace(/[\s.,;:!?…\-–—]+$/u, '')}…`;
}

export function keyEventElementId(updateId: string): string {
  return `key-${updateId}`;
}

/**
 * Where a link to an update leads: its fragment when the page shows it; otherwise the page of it among
 * its neighbours (`?around=`), which works with scripts off too (with them, it opens in place).
 */
export function updateHref(updateId: string, onPage = true): string {
  return onPage ? `#${updateElementId(updateId)}` : `?around=${updateId}#${updateElementId(updateId)}`;
}

/** One entry of the "Key events" list, linking to its update (`onPage`: the page shows it). */
export function renderKeyEvent(update: Update, timeZone?: string, onPage = true): string {
  return (
    `<li id="${keyEventElementId(update.id)}" data-order="${escapeHtml(displayOrderKey({ ...update, pinned: false }))}">` +
    `<a href="${escapeHtml(updateHref(update.id, onPage))}"><time class="lb-time" datetime="${escapeHtml(update.publishedAt)}">${escapeHtml(formatTime(update.publishedAt, timeZone))}</time> ` +
    `${escapeHtml(excerpt(update, KEY_EVENT_EXCERPT))}</a></li>`
  );
}

/** The tab's title: "– live" while the blog is, unless its title says so already ("Kursk offensive: live"). */
export function pageTitle(blog: Pick<Blog, 'title' | 'status'>): string {
  return blog.status === 'ended' || /\blive\b/i.test(blog.title) ? blog.title : `${blog.title} – live`;
}

export interface BlogHtmlOptions {
  /** The blog's latest cursor when `updates` were read: live events start after it. */
  cursor: string;
  /** Page token of the next, older page. */
  next?: string;
  /** With scripts off, "Load older updates" is a link here; without one, a button for the script. */
  olderHref?: string;
  /** h1 on the blog's own page, h2 inside another site's article. */
  headingLevel: 1 | 2;
  timeZone?: string;
  /** An id for the list of updates (a skip link's target). */
  listId?: string;
  /** The updates are an older page (`?before=`, `?around=`): the list does not reach the latest. */
  older?: boolean;
  /**
   * On a page of its own (the reader's): key events the page does not show link to `?around=<id>`, so
   * that they lead somewhere with scripts off. The widget's links stay fragments of the host's address.
   */
  linkAround?: boolean;
  /** A line above the list about what the address led to (an update gone). */
  notice?: string;
  /**
   * Inside another site's page (the widget): no banner, navigation or region landmarks of its own, which
   * would stand beside the host's (twice, with two widgets); the blog is one region named by its title.
   */
  embedded?: boolean;
}

/**
 * A live blog as readers see it: header, key events, updates (the pinned one first), "Load older".
 * The server renders it into the reader's page; the embed widget into its shadow root.
 */
export function renderBlog(blog: Blog, updates: Update[], keyEvents: Update[], options: BlogHtmlOptions): string {
  const ended = blog.status === 'ended';
  const h = `h${options.headingLevel}`;
  const older = options.olderHref
    ? `<a class="lb-older" href="${escapeHtml(options.olderHref)}">Load older updates</a>`
    : '<button type="button" class="lb-older">Load older updates</button>';
  const [header, nav, list] = options.embedded ? ['div', 'div', 'div'] : ['header', 'nav', 'section'];
  const listLabel = options.embedded ? '' : ' aria-label="Updates"';
  const shown = new Set(updates.map((update) => update.id));
  const empty = options.older ? 'No older updates.' : 'No updates yet.';
  return (
    `<div class="lb-blog" data-blog-id="${escapeHtml(blog.id)}" data-cursor="${escapeHtml(options.cursor)}"` +
    `${options.next ? ` data-next="${escapeHtml(options.next)}"` : ''}${options.older ? ' data-older' : ''} data-status="${blog.status}"` +
    `${options.embedded ? ' role="region" aria-labelledby="lb-title"' : ''}>` +
    `<${header} class="lb-header"><p class="lb-kicker"><span class="lb-flag${ended ? ' lb-flag--ended' : ''}">${ended ? 'Ended' : 'Live'}</span>` +
    `<span class="lb-connection" role="status"></span></p>` +
    `<${h} class="lb-title" id="lb-title">${escapeHtml(blog.title)}</${h}>` +
    `<p class="lb-description"${blog.description ? '' : ' hidden'}>${escapeHtml(blog.description ?? '')}</p>` +
    `<p class="lb-ended"${ended ? '' : ' hidden'}>This live blog has ended.</p></${header}>` +
    `<${nav} class="lb-key-events"${options.embedded ? '' : ' aria-label="Key events"'}${keyEvents.length ? '' : ' hidden'}>` +
    `<h${options.headingLevel + 1} class="lb-key-events__title">Key events</h${options.headingLevel + 1}>` +
    `<ol>${keyEvents.map((update) => renderKeyEvent(update, options.timeZone, !options.linkAround || shown.has(update.id))).join('')}</ol></${nav}>` +
    '<div class="lb-announcer" aria-live="polite"></div>' +
    (options.notice ? `<p class="lb-message" role="alert">${escapeHtml(options.notice)}</p>` : '') +
    `<${list} class="lb-updates"${options.listId ? ` id="${escapeHtml(options.listId)}" tabindex="-1"` : ''}${listLabel}>` +
    (updates.map((update) => renderUpdate(update, options.timeZone)).join('') || `<p class="lb-empty">${empty}</p>`) +
    `</${list}><p class="lb-more"${options.next ? '' : ' hidden'}>${older}</p></div>`
  );
}
