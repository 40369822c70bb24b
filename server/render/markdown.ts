/**
 * Markdown → HTML that is safe to put in any page: markdown-it renders, sanitize-html keeps only an
 * allow-list. Raw HTML in the Markdown is parsed too, so that the sanitiser (not the renderer's
 * escaping) is the one gate everything passes.
 */
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { recogniseCard, renderCard } from '../../shared/cards';
import { LIMITS } from '../../shared/limits';

const markdown = new MarkdownIt({ html: true, linkify: true, typographer: false, breaks: false });

const LINK_SCHEME = /^(https?:\/\/|mailto:)/i;
const IMAGE_SCHEME = /^https:\/\//i;
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

const renderImage = markdown.renderer.rules.image!;
markdown.renderer.rules.image = (tokens, index, options, env, self) => {
  const token = tokens[index];
  const src = (token.attrGet('src') ?? '').trim();
  const caption = (token.meta as { caption?: string } | null)?.caption;
  const figcaption = caption ? `<figcaption>${markdown.utils.escapeHtml(caption)}</figcaption>` : '';
  if (IMAGE_SCHEME.test(src)) return renderImage(tokens, index, options, env, self) + figcaption;
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
    // A picture in raw HTML that is not https is refused with a word, as in Markdown (above).
    img: (tagName, attribs): sanitizeHtml.Tag =>
      IMAGE_SCHEME.test((attribs.src ?? '').trim())
        ? { tagName, attribs: { ...attribs, loading: 'lazy' } }
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

export function renderMarkdown(body: string): string {
  return withCards(sanitizeHtml(markdown.render(body), SANITIZE).trim());
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
export function renderBody(body: string): string {
  const html = renderMarkdown(body);
  if (html.length > LIMITS.renderedHtml) {
    throw new InvalidInput(
      'body',
      `renders to ${Math.ceil(html.length / 1000)} KB of HTML, more than the ${LIMITS.renderedHtml / 1000} KB allowed: shorten it, or use fewer links`,
    );
  }
  return html;
}
