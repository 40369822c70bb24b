/**
 * Markdown → HTML that is safe to put in any page: markdown-it renders, sanitize-html keeps only an
 * allow-list. Raw HTML in the Markdown is parsed too, so that the sanitiser (not the renderer's
 * escaping) is the one gate everything passes.
 */
import MarkdownIt, { type Token } from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { cardsAsLinks, recogniseCard, renderCard } from '../../shared/cards';
import { LIMITS } from '../../shared/limits';
import { NO_MEDIA, type MediaLookup } from '../media/lookup';
import { figureMarkup, MISSING_PICTURE, pictureMarkup } from '../media/markup';
import { MEDIA_PATH } from '../media/types';

const markdown = new MarkdownIt({ html: true, linkify: true, typographer: false, breaks: false });

const LINK_SCHEME = /^(https?:\/\/|mailto:)/i;
const IMAGE_SCHEME = /^https:\/\//i;
/** A picture is shown when it is https, or one of this service's uploads (`/media/<blog>/<id>`, see withMedia). */
const shownImage = (src: string) => IMAGE_SCHEME.test(src) || MEDIA_PATH.test(src);
const REFUSED_CLASS = 'lb-image-refused';
/** The heading tags the allow-list keeps: an update's title is an h2, so its own headings start below it. */
const HEADING_TAGS = ['h3', 'h4'] as const;

/** Why a picture is not shown: a plain-http one is not https; anything else (`x.jpg`, `//host/a`, `data:`) is no https address at all. */
function refusedText(src: string): string {
  return /^http:\/\//i.test(src) ? 'Image not shown: not https.' : 'Image not shown: not an https address.';
}

// `#` is h3, `##` and deeper h4: the sanitiser would drop an h1 or h2 to its bare text, running a
// heading into the next paragraph, and the page already has its h1 and each update's h2.
markdown.core.ruler.push('heading_levels', (state) => {
  for (const token of state.tokens) {
    if (token.type !== 'heading_open' && token.type !== 'heading_close') continue;
    const level = Number(token.tag.slice(1));
    token.tag = HEADING_TAGS[Math.min(level, HEADING_TAGS.length) - 1];
  }
});

// A picture alone in its paragraph is a <figure>; its Markdown title ("![alt](url "caption")") is the
// <figcaption> (the contract's Media form), not a tooltip.
markdown.core.ruler.push('figures', (state) => {
  const tokens = state.tokens;
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [open, inline, close] = [tokens[i], tokens[i + 1], tokens[i + 2]];
    if (open.type !== 'paragraph_open' || open.hidden || inline.type !== 'inline' || close.type !== 'paragraph_close') continue;
    const children = (inline.children ?? []).filter((token) => !(token.type === 'text' && !token.content.trim()));
    if (children.length !== 1 || children[0].type !== 'image') continue;
    open.tag = close.tag = 'figure';
    const image = children[0];
    inline.children = [image];
    const caption = image.attrGet('title');
    if (caption) {
      image.meta = { caption };
      image.attrs = (image.attrs ?? []).filter(([name]) => name !== 'title');
    }
  }
});

/** A picture's alt text: the text of its label, escapes and entities undone, code and inline HTML kept as text, emphasis marks gone. */
function altText(children: readonly Token[]): string {
  return children
    .map((token) => {
      if (['text', 'text_special', 'code_inline', 'html_inline'].includes(token.type)) return token.content;
      if (token.type === 'image') return altText(token.children ?? []);
      return token.type === 'softbreak' || token.type === 'hardbreak' ? ' ' : '';
    })
    .join('');
}

// markdown-it makes an image's alt from its label's text tokens only, dropping the `text_special` ones
// that backslash escapes and entities become (`![A\] b](…)` was "A b"): the label becomes one text token
// holding all of it, so that the alt text is what was written (the snippet escapes what it must).
markdown.core.ruler.push('image_alt', (state) => {
  const visit = (tokens: readonly Token[]) => {
    for (const token of tokens) {
      if (token.type === 'image') {
        const text = new state.Token('text', '', 0);
        text.content = altText(token.children ?? []);
        token.children = [text];
      } else if (token.children) visit(token.children);
    }
  };
  visit(state.tokens);
});

const renderImage = markdown.renderer.rules.image!;
markdown.renderer.rules.image = (tokens, index, options, env, self) => {
  const token = tokens[index];
  const src = (token.attrGet('src') ?? '').trim();
  const caption = (token.meta as { caption?: string } | null)?.caption;
  const figcaption = caption ? `<figcaption>${markdown.utils.escapeHtml(caption)}</figcaption>` : '';
  if (shownImage(src)) return renderImage(tokens, index, options, env, self) + figcaption;
  // Refused (only https pictures are shown, so no page is mixed content): say so, and link to a plain-http
  // one; the sanitiser below checks the link like any other.
  const alt = self.renderInlineAsText(token.children ?? [], options, env) || 'the image';
  const link = /^http:\/\//i.test(src) ? ` <a href="${markdown.utils.escapeHtml(src)}">${markdown.utils.escapeHtml(alt)}</a>` : '';
  return `<small class="${REFUSED_CLASS}">${refusedText(src)}${link}</small>${figcaption}`;
};

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'hr',
    ...HEADING_TAGS,
    'strong',
    'em',
    'b',
    'i',
    's',
    'del',
    'a',
    'ul',
    'ol',
    'li',
    'blockquote',
    'code',
    'pre',
    'img',
    'figure',
    'figcaption',
    'small',
  ],
  allowedAttributes: { a: ['href', 'title', 'rel', 'target'], img: ['src', 'alt', 'title', 'loading'], ol: ['start'], small: ['class'] },
  allowedClasses: { small: [REFUSED_CLASS] },
  allowedSchemes: ['http', 'https', 'mailto'],
  allowedSchemesByTag: { img: ['https'] },
  allowProtocolRelative: false,
  disallowedTagsMode: 'discard',
  transformTags: {
    // Relative links would resolve against whichever site embeds the blog: only absolute ones are kept.
    a: (tagName, attribs) => {
      const { href, title } = attribs;
      if (!href || !LINK_SCHEME.test(href.trim())) return { tagName: 'span', attribs: {} }; // not allowed: text only
      return {
        tagName,
        attribs: { href: href.trim(), ...(title ? { title } : {}), rel: 'nofollow noopener noreferrer', target: '_blank' },
      };
    },
    // A picture in raw HTML that is not https (nor an upload) is refused with a word, as in Markdown (above).
    img: (tagName, attribs): sanitizeHtml.Tag =>
      shownImage((attribs.src ?? '').trim())
        ? { tagName, attribs: { ...attribs, src: (attribs.src ?? '').trim(), loading: 'lazy' } }
        : { tagName: 'small', attribs: { class: REFUSED_CLASS }, text: refusedText((attribs.src ?? '').trim()) },
  },
};

/**
 * A paragraph holding one link whose text is its own address, as the sanitiser writes it (markdown-it
 * puts each block on its own line). Matched in the sanitised HTML, so that the sanitiser's allow-list
 * stays free of cards: what an author writes can never make one, or shape its markup.
 */
const LONE_LINK = /^<p><a href="([^"<>]*)" rel="nofollow noopener noreferrer" target="_blank">([^<>]*)<\/a><\/p>$/gm;

function unescapeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39);/g, (_entity, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[name]!);
}

/** Social posts and videos alone in their paragraph become click-to-load cards (shared/cards.ts); any other link stays one. */
function withCards(html: string): string {
  return html.replace(LONE_LINK, (paragraph, href: string, text: string) => {
    const address = unescapeHtml(href);
    if (unescapeHtml(text) !== address) return paragraph;
    const card = recogniseCard(address);
    return card ? renderCard(card, address) : paragraph;
  });
}

/**
 * A figure holding an upload's `<img>` as the sanitiser writes it (Markdown's `![alt](/media/… "caption")`
 * alone in its paragraph); any other `<img>`; and the links around them (a picture inside a link keeps
 * that link rather than its own: links never nest).
 */
const MEDIA_TAGS = /<figure><img ([^<>]*) \/>(?:<figcaption>([^<>]*)<\/figcaption>)?<\/figure>|<img ([^<>]*) \/>|<a [^<>]*>|<\/a>/g;
const ATTRIBUTE = /([a-z-]+)="([^"]*)"/g;
const OWN_LINK = /<a class="lb-picture" [^<>]*>(<picture>.*<\/picture>)<\/a>/;

/**
 * Uploaded pictures as the markup their records make (media/markup.ts), after the sanitiser ran, as the
 * cards are: what an author writes can never shape it beyond the alt text and caption (unescaped here,
 * escaped again there), and `<picture>`/`<source>` stay out of the allow-list. A picture that is unknown,
 * taken down or another blog's is MISSING_PICTURE, with nothing of its alt text or caption.
 */
function withMedia(html: string, media: MediaLookup): string {
  let linkDepth = 0;
  return html.replace(MEDIA_TAGS, (tag, figureAttributes?: string, caption?: string, imgAttributes?: string) => {
    if (tag.startsWith('<a ')) linkDepth += 1;
    else if (tag === '</a>') linkDepth = Math.max(0, linkDepth - 1);
    const attributes = figureAttributes ?? imgAttributes;
    if (attributes === undefined) return tag;
    const attribs = Object.fromEntries([...attributes.matchAll(ATTRIBUTE)].map(([, name, value]) => [name, unescapeHtml(value)]));
    const path = MEDIA_PATH.exec(attribs.src ?? '');
    if (!path) return tag;
    const [, blogId, mediaId] = path;
    const record = media(mediaId);
    if (!record || record.blogId !== blogId) return MISSING_PICTURE;
    // An empty alt text (`![](/media/…)` typed by hand) is the upload's own: no picture, nor the link to
    // its full size, is ever without a name.
    const alt = attribs.alt?.trim() ? attribs.alt : record.alt;
    const markup =
      figureAttributes !== undefined
        ? figureMarkup(record, alt, caption === undefined ? undefined : unescapeHtml(caption))
        : pictureMarkup(record, alt);
    return linkDepth > 0 ? markup.replace(OWN_LINK, '$1') : markup;
  });
}

/** `media`: the records of the pictures the body names (media/lookup.ts); without it, none is shown. */
export function renderMarkdown(body: string, media: MediaLookup = NO_MEDIA): string {
  return withMedia(withCards(sanitizeHtml(markdown.render(body), SANITIZE).trim()), media);
}

/** Pictures in rendered HTML, whole (a figure with its caption and credit, a `<picture>`), and the word standing for a refused or missing one. */
const PICTURES = /<figure[ >][\s\S]*?<\/figure>|<picture>[\s\S]*?<\/picture>|<small class="lb-image-refused">[\s\S]*?<\/small>/g;
/** Tags that end a run of text: a space where they stood (an inline tag, `<em>`, leaves none). */
const BLOCK_TAG = /^(?:p|br|hr|h[1-6]|li|ul|ol|blockquote|pre|figure|figcaption|div|button)$/i;
const ENTITY = /&(?:#(\d{1,7})|#x([0-9a-f]{1,6})|([a-z]+));/gi;
/** What XML allows (the feed is XML): a character reference to anything else stays as it is. */
// eslint-disable-next-line no-control-regex -- the control characters XML allows
const XML_CHAR = /^[\u0009\u000a\u000d\u0020-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]$/u;
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/**
 * An update's rendered HTML as plain text, for what is made of it outside the page (the JSON-LD's
 * headline and articleBody, the Atom entry's title): tags gone, entities decoded, whitespace collapsed.
 * Pictures give nothing (an alt text or caption is no headline); a card is its link's text.
 */
export function plainText(html: string): string {
  const text = cardsAsLinks(html)
    .replace(PICTURES, ' ')
    .replace(/<\/?([a-z][a-z0-9]*)\b[^<>]*>/gi, (_tag, name: string) => (BLOCK_TAG.test(name) ? ' ' : ''));
  return text
    .replace(ENTITY, (entity, decimal?: string, hex?: string, name?: string) => {
      if (name) return NAMED_ENTITIES[name.toLowerCase()] ?? entity;
      const code = decimal ? Number(decimal) : parseInt(hex!, 16);
      return code <= 0x10ffff && XML_CHAR.test(String.fromCodePoint(code)) ? String.fromCodePoint(code) : entity;
    })
    .replace(/\s+/g, ' ')
    .trim();
}

/** Input that is well formed but cannot be taken as it is: answered 400 with `details` naming the field. */
export class InvalidInput extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InvalidInput';
  }
}

/** renderMarkdown, refusing a body whose HTML would pass LIMITS.renderedHtml. */
export function renderBody(body: string, media: MediaLookup = NO_MEDIA): string {
  const html = renderMarkdown(body, media);
  if (html.length > LIMITS.renderedHtml) {
    throw new InvalidInput(
      'body',
      `renders to ${Math.ceil(html.length / 1000)} KB of HTML, more than the ${LIMITS.renderedHtml / 1000} KB allowed: shorten it, or use fewer links`,
    );
  }
  return html;
}
