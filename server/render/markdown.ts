/**
 * Markdown → HTML that is safe to put in any page: markdown-it renders, sanitize-html keeps only an
 * allow-list. Raw HTML in the Markdown is parsed too, so that the sanitiser (not the renderer's
 * escaping) is the one gate everything passes.
 */
import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';
import { LIMITS } from '../../shared/limits';

const markdown = new MarkdownIt({ html: true, linkify: true, typographer: false, breaks: false });

const LINK_SCHEME = /^(https?:\/\/|mailto:)/i;
const IMAGE_SCHEME = /^https:\/\//i;

const SANITIZE: sanitizeHtml.IOptions = {
  allowedTags: [
    'p',
    'br',
    'hr',
    'h3',
    'h4',
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
  ],
  allowedAttributes: { a: ['href', 'title', 'rel', 'target'], img: ['src', 'alt', 'title', 'loading'], ol: ['start'] },
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
    img: (tagName, attribs) => ({ tagName, attribs: { ...attribs, loading: 'lazy' } }),
  },
  exclusiveFilter: (frame) => frame.tag === 'img' && !IMAGE_SCHEME.test((frame.attribs.src ?? '').trim()),
};

export function renderMarkdown(body: string): string {
  return sanitizeHtml(markdown.render(body), SANITIZE).trim();
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
