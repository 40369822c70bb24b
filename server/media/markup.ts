/**
 * A picture's markup in an update, built from its record (never from what the author wrote, besides the
 * alt text and caption, which are escaped): `<picture>` with AVIF and WebP sources and the JPEG/PNG
 * `<img>` (srcset, sizes, width, height, lazy, async), inside a link to the full-size picture. Made after
 * the sanitiser ran (render/markdown.ts), like the social cards, so its allow-list stays free of it.
 *
 * URLs are root-relative (`/media/…`): the reader's page and the iframe page are on this origin; the
 * widget and the feed make them absolute with the service's own origin (absoluteMedia, shared/media.ts).
 */
import { escapeHtml } from '../../shared/html';
import { fileUrl, MEDIA_REFERENCE, type MediaFile, type MediaRecord, type VariantFormat, VARIANT_CONTENT_TYPES } from './types';

/** The reader's column is at most about 42rem wide; a phone shows the picture edge to edge. */
export const PICTURE_SIZES = '(min-width: 46rem) 42rem, 100vw';

function srcset(record: MediaRecord, format: VariantFormat): string {
  return record.variants
    .filter((file) => file.format === format)
    .map((file) => `${fileUrl(record, file)} ${file.width}w`)
    .join(', ');
}

function middle(record: MediaRecord): MediaFile {
  const fallbacks = record.variants.filter((file) => file.format === record.fallback);
  return fallbacks.find((file) => file.width >= 900) ?? fallbacks[fallbacks.length - 1];
}

/** `<a><picture>…</picture></a>`: the picture, a tap away from its full size. */
export function pictureMarkup(record: MediaRecord, alt: string): string {
  const sources = (['avif', 'webp'] as const)
    .map((format) => [format, srcset(record, format)] as const)
    .filter(([, set]) => set)
    .map(([format, set]) => `<source type="${VARIANT_CONTENT_TYPES[format]}" srcset="${set}" sizes="${PICTURE_SIZES}">`)
    .join('');
  const img =
    `<img src="${fileUrl(record, middle(record))}" srcset="${srcset(record, record.fallback)}" sizes="${PICTURE_SIZES}"` +
    ` width="${record.width}" height="${record.height}" alt="${escapeHtml(alt)}" loading="lazy" decoding="async">`;
  return (
    `<a class="lb-picture" href="${fileUrl(record, record.full)}" target="_blank" rel="noopener">` +
    `<picture>${sources}${img}</picture></a>`
  );
}

/** A picture rendered from its record (pictureMarkup), by its blog and media id: nothing an author writes makes it (the sanitiser keeps no class). */
const RENDERED_PICTURE = /<a class="lb-picture" href="\/media\/([a-z0-9][a-z0-9-]{0,63})\/([0-9a-z]{20})\//g;

/**
 * The blog's pictures that an update or waiting entry shows from their records (in `html`), or names in
 * `body` in a form withoutPicture removes (a Markdown image or an `<img>`, with their alt text and
 * caption): what a takedown must keep out of every later write (Timeline.markTakenDown). A form it does
 * not remove is left out: it renders as MISSING_PICTURE, and the takedown's own sweep leaves it too.
 */
export function picturesIn(blogId: string, body: string, html: string): string[] {
  const ids = new Set<string>();
  for (const [, blog, mediaId] of html.matchAll(RENDERED_PICTURE)) if (blog === blogId) ids.add(mediaId!);
  for (const [, blog, mediaId] of body.matchAll(MEDIA_REFERENCE)) {
    if (blog === blogId && !ids.has(mediaId!) && withoutPicture(body, blogId, mediaId!) !== body) ids.add(mediaId!);
  }
  return [...ids];
}

/** The figure: the picture, then its caption (from the update's Markdown) and credit (from the upload). */
export function figureMarkup(record: MediaRecord, alt: string, caption: string | undefined): string {
  const credit = record.credit ? `<small class="lb-credit">${escapeHtml(record.credit)}</small>` : '';
  const text = caption ? escapeHtml(caption) : '';
  const figcaption = text || credit ? `<figcaption>${[text, credit].filter(Boolean).join(' ')}</figcaption>` : '';
  return `<figure class="lb-figure">${pictureMarkup(record, alt)}${figcaption}</figure>`;
}

/** What stands where a picture was taken down (or never existed): no alt text, no caption, nothing of it. */
export const MISSING_PICTURE = '<small class="lb-image-refused">Picture not available.</small>';

/**
 * Characters of an alt text the snippet escapes: brackets and backslashes (which would end or change the
 * label), and what would make emphasis, code, strikethrough, HTML, autolinks or entities of it. The
 * renderer undoes the escapes (render/markdown.ts, `image_alt`), so the alt text arrives as uploaded.
 */
const ALT_SYNTAX = /[\\[\]*_`~<]|&(?=#?[0-9a-z]+;)/gi;

/** The Markdown that places a picture in an update: `![alt](/media/blog/id "caption")`, escaped for Markdown. */
export function pictureMarkdown(record: Pick<MediaRecord, 'blogId' | 'id' | 'alt' | 'caption'>): string {
  const alt = record.alt.replace(/\s+/g, ' ').replace(ALT_SYNTAX, (c) => `\\${c}`);
  const title = record.caption ? ` "${record.caption.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\s+/g, ' ')}"` : '';
  return `![${alt}](/media/${record.blogId}/${record.id}${title})`;
}

// A picture's references in a body, for a takedown: the Markdown image (its label may hold backslash
// escapes and one level of brackets; its destination may be in <…>; an optional title in "…", '…' or
// (…)), alone or as the whole label of a link; and a raw-HTML <img> (its src is checked apart, below).
const LABEL = String.raw`(?:[^\\[\]]|\\[\s\S]|\[(?:[^\\[\]]|\\[\s\S])*\])*`;
const TITLE = String.raw`(?:\s+(?:"(?:[^"\\]|\\[\s\S])*"|'(?:[^'\\]|\\[\s\S])*'|\((?:[^()\\]|\\[\s\S])*\)))?`;
const LINK_DESTINATION = String.raw`(?:<[^<>\n]*>|[^\s()<>]*)`;
const HTML_ATTRIBUTE = String.raw`\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'<>=\x60]+))?`;
const IMG_TAG = new RegExp(String.raw`<img(?:${HTML_ATTRIBUTE})*\s*/?>`, 'gi');
const SRC_ATTRIBUTE = /\ssrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>=`]+))/i;

function pictureImage(path: string): string {
  const destination = String.raw`\(\s*(?:<${path}>|${path})${TITLE}\s*\)`;
  return String.raw`!\[${LABEL}\]${destination}`;
}

/**
 * `body` without its references to the picture `/media/<blogId>/<mediaId>` (after its takedown): Markdown
 * images (a link whose whole label is the image goes with it) and raw-HTML `<img>`s naming it. A line
 * that held nothing else goes too (with one of the blank lines around it, when it was a paragraph of its
 * own). A form this misses (a reference-style image, say) still renders as MISSING_PICTURE.
 */
export function withoutPicture(body: string, blogId: string, mediaId: string): string {
  const path = `/media/${blogId}/${mediaId}`;
  const quoted = path.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  const image = pictureImage(quoted);
  const markdown = new RegExp(String.raw`\[\s*${image}\s*\]\(\s*${LINK_DESTINATION}${TITLE}\s*\)|${image}`, 'g');
  let mark = '\u{E000}';
  while (body.includes(mark)) mark += '\u{E000}';
  const marked = body.replace(markdown, mark).replace(IMG_TAG, (tag) => {
    const src = SRC_ATTRIBUTE.exec(tag);
    const value = src ? (src[1] ?? src[2] ?? src[3]).trim() : '';
    return value === path ? mark : tag;
  });
  if (marked === body) return body;
  const lines = marked.split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!line.includes(mark)) {
      kept.push(line);
      continue;
    }
    const rest = line.split(mark).join('');
    if (rest.trim()) {
      kept.push(rest);
      continue;
    }
    // Alone on its line: the line goes; a paragraph of its own takes one blank line around it too.
    const blankBefore = kept.length === 0 || !kept[kept.length - 1].trim();
    if (blankBefore && i + 1 < lines.length && !lines[i + 1].trim()) i += 1;
  }
  return kept.join('\n').trim();
}
