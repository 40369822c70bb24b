/** Server-rendered pages: readable with scripts off, then made live by the browser bundle. */
import { escapeHtml, formatTime, renderUpdate } from '../../shared/html';
import type { Blog, Update, UpdatePage } from '../../shared/schemas';
import type { Assets } from '../assets';
import { layout } from './layout';

export interface PageContext {
  assets: Assets;
  /** Scheme and host the page was asked for, for canonical links and structured data. */
  origin: string;
}

/** JSON for a `<script>` data block: `<` escaped so no string in it can close the element. */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function liveBlogPosting(blog: Blog, updates: Update[], url: string): Record<string, unknown> {
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
    liveBlogUpdate: updates.map((update) => ({
      '@type': 'BlogPosting',
      '@id': `${url}#update-${update.id}`,
      url: `${url}#update-${update.id}`,
      headline: update.title ?? update.body.slice(0, 110),
      articleBody: update.body,
      datePublished: update.publishedAt,
      dateModified: update.editedAt ?? update.publishedAt,
      ...(update.author ? { author: { '@type': 'Person', name: update.author } } : {}),
    })),
  };
}

export function readerPage(blog: Blog, page: UpdatePage, context: PageContext): string {
  const url = `${context.origin}/blogs/${blog.id}`;
  const ended = blog.status === 'ended';
  const updates = page.updates.map((update) => renderUpdate(update, 'UTC')).join('');
  const head =
    `<meta name="description" content="${escapeHtml(blog.description ?? blog.title)}">` +
    `<link rel="canonical" href="${escapeHtml(url)}">` +
    `<link rel="alternate" type="application/atom+xml" title="${escapeHtml(blog.title)}" href="/blogs/${blog.id}/feed.atom">` +
    `<script type="application/ld+json">${jsonForScript(liveBlogPosting(blog, page.updates, url))}</script>`;
  const body =
    `<main class="lb-page" data-liveblog-reader data-blog-id="${blog.id}" data-cursor="${escapeHtml(page.cursor)}">` +
    `<header class="lb-header"><p class="lb-kicker"><span class="lb-flag${ended ? ' lb-flag--ended' : ''}">${ended ? 'Ended' : 'Live'}</span>` +
    `<span class="lb-connection" role="status"></span></p>` +
    `<h1 class="lb-title">${escapeHtml(blog.title)}</h1>` +
    (blog.description ? `<p class="lb-description">${escapeHtml(blog.description)}</p>` : '') +
    (ended ? `<p class="lb-ended">This live blog has ended. Updated ${escapeHtml(formatTime(blog.updatedAt, 'UTC'))}.</p>` : '') +
    `</header><section class="lb-updates" aria-label="Updates">` +
    (updates || '<p class="lb-empty">No updates yet.</p>') +
    `</section></main>`;
  return layout({
    title: `${blog.title}${ended ? '' : ' – live'}`,
    head,
    body,
    stylesheets: [context.assets.url('reader.css')],
    scripts: ended ? [] : [context.assets.url('reader.js')],
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
