/** Server-rendered pages: readable with scripts off, then made live by the browser bundle. */
import { clip, escapeHtml, pageTitle, renderBlog } from '../../shared/html';
import type { Blog, Update } from '../../shared/schemas';
import type { BlogView } from '../service/blog-view';
import type { Assets } from '../assets';
import { layout } from './layout';
import { plainText } from './markdown';

export interface PageContext {
  assets: Assets;
  /** Scheme and host the page was asked for, for canonical links and structured data. */
  origin: string;
}

/** JSON for a `<script>` data block: `<` escaped so no string in it can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

/** The full-size pictures an update shows (media/markup.ts links each to it), as absolute URLs. */
/**
 * Each uploaded picture an update shows: its full-size file, or, for one inside a link the author wrote
 * (which has no link of its own, see render/markdown.ts), the file its <img> shows.
 */
const PICTURE = /(?:<a class="lb-picture" href="(\/media\/[^"]+)"[^>]*>)?<picture>.*?<img src="(\/media\/[^"]+)"/g;

function picturesOf(update: Update, origin: string): string[] {
  return [...update.html.matchAll(PICTURE)].map(([, full, shown]) => origin + (full ?? shown));
}

function liveBlogPosting(blog: Blog, updates: Update[], url: string, origin: string): Record<string, unknown> {
  return {
    '@context': 'https://schema.org',
    '@type': 'LiveBlogPosting',
    '@id': url,
    url,
    headline: blog.title,
    ...(blog.description ? { description: blog.description } : {}),
    datePublished: blog.createdAt,
    dateModified: blog.updatedAt,
    coverageStartTime: blog.createdAt,
    ...(blog.status === 'ended' ? { coverageEndTime: blog.updatedAt } : {}),
    liveBlogUpdate: updates.map((update) => {
      const images = picturesOf(update, origin);
      // The text readers read, not the Markdown: no picture's alt text or caption, no link syntax.
      const text = plainText(update.html);
      return {
        '@type': 'BlogPosting',
        '@id': `${url}#update-${update.id}`,
        url: `${url}#update-${update.id}`,
        headline: update.title ?? (clip(text, 110) || blog.title),
        articleBody: text,
        datePublished: update.publishedAt,
        dateModified: update.editedAt ?? update.publishedAt,
        ...(update.author ? { author: { '@type': 'Person', name: update.author } } : {}),
        ...(images.length ? { image: images } : {}),
      };
    }),
  };
}

/** Open Graph and Twitter card tags, for the preview shown when the page is shared. */
function socialTags(blog: Blog, url: string): string {
  const description = blog.description ?? blog.title;
  return (
    `<meta property="og:type" content="article"><meta property="og:title" content="${escapeHtml(blog.title)}">` +
    `<meta property="og:description" content="${escapeHtml(description)}"><meta property="og:url" content="${escapeHtml(url)}">` +
    `<meta property="article:published_time" content="${escapeHtml(blog.createdAt)}">` +
    `<meta property="article:modified_time" content="${escapeHtml(blog.updatedAt)}">` +
    `<meta name="twitter:card" content="summary"><meta name="twitter:title" content="${escapeHtml(blog.title)}">` +
    `<meta name="twitter:description" content="${escapeHtml(description)}">`
  );
}

/** Which part of the blog a reader's page shows, besides the latest. */
export interface PagePlace {
  /** An older page (the no-script "Load older updates"). */
  before?: string;
  /** A permalink's page: the update among its neighbours (`?around=`), reached with scripts off too. */
  around?: boolean;
  /** A line above the list: what the address led to (an update that is gone). */
  notice?: string;
}

/** The reader's page: the latest updates, or an earlier part of the blog (`place`). */
export function readerPage(view: BlogView, context: PageContext, place: PagePlace = {}): string {
  const { blog } = view;
  const older = !!place.before || !!place.around;
  const url = `${context.origin}/blogs/${blog.id}`;
  const head =
    `<meta name="description" content="${escapeHtml(blog.description ?? blog.title)}">` +
    (older || place.notice ? '<meta name="robots" content="noindex, follow">' : '') +
    `<link rel="canonical" href="${escapeHtml(url)}">` +
    `<link rel="alternate" type="application/atom+xml" title="${escapeHtml(blog.title)}" href="/blogs/${blog.id}/feed.atom">` +
    socialTags(blog, url) +
    `<script type="application/ld+json">${jsonForScript(liveBlogPosting(blog, view.updates, url, context.origin))}</script>`;
  // The older pages (no scripts) lead back to the latest, above and below the list.
  const latest = older ? `<p class="lb-latest"><a href="/blogs/${blog.id}">Back to the latest updates</a></p>` : '';
  const body =
    '<a class="lb-skip" href="#updates-start">Skip to the updates</a>' +
    `<main class="lb-page" data-liveblog-reader>` +
    latest +
    renderBlog(blog, view.updates, view.keyEvents, {
      cursor: view.cursor,
      next: view.next,
      olderHref: view.next ? `/blogs/${blog.id}?before=${encodeURIComponent(view.next)}` : undefined,
      headingLevel: 1,
      timeZone: 'UTC',
      listId: 'updates-start',
      older,
      linkAround: true,
      notice: place.notice,
    }) +
    latest +
    `<footer class="lb-footer"><a href="/blogs/${blog.id}/feed.atom">Atom feed</a> · <a href="/">All live blogs</a></footer></main>`;
  return layout({
    title: pageTitle(blog),
    head,
    body,
    stylesheets: [context.assets.url('reader.css')],
    scripts: [context.assets.url('reader.js')],
  });
}

/**
 * The blog as a page for an `<iframe>` on another site: no site furniture; it reports its height (up to
 * a cap, then it scrolls within) and always offers the full live blog.
 */
export function embedPage(view: BlogView, context: PageContext): string {
  const url = `${context.origin}/blogs/${view.blog.id}`;
  return layout({
    title: view.blog.title,
    head: `<link rel="canonical" href="${escapeHtml(url)}"><meta name="robots" content="noindex">`,
    body:
      '<main class="lb-page lb-page--framed" data-liveblog-reader data-framed>' +
      renderBlog(view.blog, view.updates, view.keyEvents, { cursor: view.cursor, next: view.next, headingLevel: 2, timeZone: 'UTC' }) +
      `</main><footer class="lb-frame-footer"><a href="${escapeHtml(url)}" target="_blank">Open the full live blog</a></footer>`,
    stylesheets: [context.assets.url('reader.css')],
    scripts: [context.assets.url('reader.js')],
  });
}

/** For people who mistyped an address (or followed an old link): what happened, and the way back. */
export function notFoundPage(context: PageContext, framed = false): string {
  // In another site's iframe, the way back opens the service in a tab of its own.
  const target = framed ? ' target="_blank"' : '';
  return layout({
    title: 'Live blog not found',
    head: '<meta name="robots" content="noindex">',
    body:
      '<main class="lb-page lb-not-found"><h1>Live blog not found</h1>' +
      '<p>There is no live blog at this address. It may have been mistyped, or the blog may have been removed.</p>' +
      `<p><a href="/"${target}>All live blogs</a></p></main>`,
    stylesheets: [context.assets.url('reader.css')],
  });
}

export function indexPage(blogs: Blog[], context: PageContext): string {
  const items = blogs
    .map(
      (blog) =>
        `<li><a href="/blogs/${blog.id}">${escapeHtml(blog.title)}</a> ` +
        `<span class="lb-flag${blog.status === 'ended' ? ' lb-flag--ended' : ''}">${blog.status === 'ended' ? 'Ended' : 'Live'}</span>` +
        (blog.description ? `<p>${escapeHtml(blog.description)}</p>` : '') +
        '</li>',
    )
    .join('');
  return layout({
    title: 'Live blogs',
    body: `<main class="lb-page"><h1>Live blogs</h1>${items ? `<ul class="lb-blog-list">${items}</ul>` : '<p>No blogs yet.</p>'}</main>`,
    stylesheets: [context.assets.url('reader.css')],
  });
}
