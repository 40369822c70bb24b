import { describe, expect, it } from '@jest/globals';
import { Parser } from 'htmlparser2';
import { renderMarkdown } from '../../server/render/markdown';
import { HOSTILE_MARKDOWN } from '../fixtures/xss-markdown';

const FORBIDDEN =
  /^(script|iframe|object|embed|svg|math|style|link|meta|base|form|input|button|template|body|video|audio|source|marquee|details|isindex|noscript)$/;

/**
 * What must never survive, read by a real HTML parser (as a browser would read it): forbidden elements,
 * event handlers, style attributes, and URLs other than http(s) and mailto.
 */
function dangers(html: string): string[] {
  const found: string[] = [];
  const parser = new Parser({
    onopentag(name, attributes) {
      // The one button allowed: a social card's, made by the server after sanitising (shared/cards.ts).
      const cardButton = name === 'button' && JSON.stringify(attributes) === '{"type":"button","class":"lb-card__load"}';
      if (FORBIDDEN.test(name) && !cardButton) found.push(`<${name}>`);
      for (const [attribute, value] of Object.entries(attributes)) {
        if (/^on/i.test(attribute)) found.push(`${name}[${attribute}]`);
        if (attribute === 'style') found.push(`${name}[style]`);
        if ((attribute === 'href' || attribute === 'src') && !/^(https?:\/\/|mailto:)/i.test(value))
          found.push(`${name}[${attribute}=${value}]`);
      }
    },
  });
  parser.write(html);
  parser.end();
  return found;
}

describe('renderMarkdown', () => {
  it('keeps ordinary editorial Markdown', () => {
    const html = renderMarkdown(
      '**Bold** and *italic*, a [link](https://example.com "Title"), `code`\n\n> quote\n\n- one\n- two\n\n1. first\n\n![photo](https://img.example/a.jpg)\n\nmail [us](mailto:desk@example.com)',
    );
    expect(html).toContain('<strong>Bold</strong>');
    expect(html).toContain('<em>italic</em>');
    expect(html).toContain('<a href="https://example.com" title="Title" rel="nofollow noopener noreferrer" target="_blank">link</a>');
    expect(html).toContain('<code>code</code>');
    expect(html).toContain('<blockquote>');
    expect(html).toContain('<ul>');
    expect(html).toContain('<ol>');
    expect(html).toContain('<img src="https://img.example/a.jpg" alt="photo" loading="lazy" />');
    expect(html).toContain('href="mailto:desk@example.com"');
    expect(dangers(html)).toEqual([]);
  });

  it('turns bare URLs into safe links', () => {
    expect(renderMarkdown('see https://example.com/x')).toContain('<a href="https://example.com/x"');
  });

  it('uses a checker that does find dangers in unsanitised HTML', () => {
    expect(dangers('<img src=x onerror=alert(1)><a href="javascript:x">a</a><script></script><p style="x">')).toHaveLength(5);
  });

  it.each(HOSTILE_MARKDOWN.map((body) => [body]))('neutralises %j', (body) => {
    const html = renderMarkdown(body);
    expect(dangers(html)).toEqual([]);
  });

  it('keeps the text of a refused link, without the link', () => {
    expect(renderMarkdown('<a href="javascript:alert(1)">read more</a>')).toBe('<p><span>read more</span></p>'.replace(/<\/?span>/g, ''));
  });

  it('shows code as text, never as markup', () => {
    expect(renderMarkdown('`<script>alert(1)</script>`')).toBe('<p><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></p>');
  });
});
