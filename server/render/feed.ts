/** The Atom feed (RFC 4287) of a blog's latest updates, newest first. */
import { cardsAsLinks } from '../../shared/cards';
import { absoluteMedia } from '../../shared/media';
import { clip, escapeHtml } from '../../shared/html';
import type { Blog, Update } from '../../shared/schemas';
import { plainText } from './markdown';

/** Updates in the feed. */
export const FEED_SIZE = 50;

const xml = escapeHtml;

export function atomFeed(blog: Blog, updates: Update[], origin: string): string {
  const page = `${origin}/blogs/${blog.id}`;
  const updated = [blog.updatedAt, ...updates.map((update) => update.editedAt ?? update.publishedAt)].sort().at(-1)!;
  const entries = updates
    .map((update) => {
      const link = `${page}#update-${update.id}`;
      return (
        '<entry>' +
        `<id>${xml(link)}</id>` +
        // The text readers read (no Markdown, nothing of a picture), or the blog's title for an update without any.
        `<title>${xml(update.title ?? (clip(plainText(update.html), 120) || blog.title))}</title>` +
        `<link rel="alternate" type="text/html" href="${xml(link)}"/>` +
        `<published>${xml(update.publishedAt)}</published>` +
        `<updated>${xml(update.editedAt ?? update.publishedAt)}</updated>` +
        (update.author ? `<author><name>${xml(update.author)}</name></author>` : '') +
        (update.keyEvent ? '<category term="key-event" label="Key event"/>' : '') +
        // A social card is its link here: a feed reader has no use for its button. Pictures are named by
        // absolute URLs: a feed reader resolves relative ones against no page of ours.
        `<content type="html">${xml(absoluteMedia(cardsAsLinks(update.html), origin))}</content>` +
        '</entry>'
      );
    })
    .join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    '<feed xmlns="http://www.w3.org/2005/Atom">' +
    `<id>${xml(page)}</id>` +
    `<title>${xml(blog.title)}</title>` +
    (blog.description ? `<subtitle>${xml(blog.description)}</subtitle>` : '') +
    `<updated>${xml(updated)}</updated>` +
    `<link rel="alternate" type="text/html" href="${xml(page)}"/>` +
    `<link rel="self" type="application/atom+xml" href="${xml(`${page}/feed.atom`)}"/>` +
    `<author><name>${xml(blog.title)}</name></author>` +
    '<generator>liveblog</generator>' +
    entries +
    '</feed>'
  );
}
