/** Markdown a reporter types as they would anywhere: headings keep their structure, refused pictures say why. */
import { describe, expect, it } from '@jest/globals';
import { renderMarkdown } from '../../server/render/markdown';

describe('headings', () => {
  it('# and ## become the update’s own sub-headings (h3, h4), not one run-on line', () => {
    const html = renderMarkdown('# Morning\n\n## At the border\n\nText.');
    expect(html).toBe('<h3>Morning</h3>\n<h4>At the border</h4>\n<p>Text.</p>');
  });

  it('### and deeper stay headings, at h4 (the allow-list stops there)', () => {
    expect(renderMarkdown('### Three\n\n###### Six')).toBe('<h4>Three</h4>\n<h4>Six</h4>');
  });

  it('raw HTML headings outside the allow-list still keep only their text', () => {
    expect(renderMarkdown('<h1>Raw</h1>')).toBe('Raw');
  });
});

describe('a picture not shown says why', () => {
  it.each([
    ['![a](http://example.com/a.jpg)', /Image not shown: not https\./],
    ['<img src="http://example.com/a.jpg">', /Image not shown: not https\./],
    ['![a](x.jpg)', /Image not shown: not an https address\./],
    ['<img src=x>', /Image not shown: not an https address\./],
    ['<img src="//example.com/a.jpg">', /Image not shown: not an https address\./],
    ['<img src="data:image/png;base64,AAAA">', /Image not shown: not an https address\./],
  ])('%s', (body, note) => {
    const html = renderMarkdown(body);
    expect(html).toMatch(note);
    expect(html).not.toMatch(/not https\.[\s\S]*not https\./);
  });
});
