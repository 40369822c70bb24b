import { describe, expect, it } from '@jest/globals';
import { Parser } from 'htmlparser2';
import { loadMedia, mediaIdsIn, type MediaLookup } from '../../server/media/lookup';
import { MISSING_PICTURE, pictureMarkdown, withoutPicture } from '../../server/media/markup';
import type { MediaRecord } from '../../server/media/types';
import { plainText, renderBody, renderMarkdown } from '../../server/render/markdown';

const ID = 'abcdefghij0123456789';
const OTHER_ID = 'zyxwvutsrq9876543210';

function record(overrides: Partial<MediaRecord> = {}): MediaRecord {
  const variant = (format: 'avif' | 'webp' | 'jpeg', width: number, ext: string) => ({
    name: `${width}-${'0123456789abcdef'}.${ext}`,
    format,
    width,
    height: Math.round((width * 3) / 4),
    bytes: 1000,
  });
  return {
    id: ID,
    blogId: 'kursk',
    width: 1600,
    height: 1200,
    alt: 'Stored alt',
    credit: 'Photo: Olena <Press> & "Co"',
    fallback: 'jpeg',
    variants: [
      ...[480, 960, 1600].map((width) => variant('avif', width, 'avif')),
      ...[480, 960, 1600].map((width) => variant('webp', width, 'webp')),
      ...[480, 960, 1600].map((width) => variant('jpeg', width, 'jpg')),
    ],
    full: { name: 'full-fedcba9876543210.jpg', format: 'jpeg', width: 2560, height: 1920, bytes: 5000 },
    source: { format: 'jpeg', width: 4000, height: 3000, bytes: 9000 },
    createdAt: '2026-11-28T10:00:00.000Z',
    uploadedBy: 'admin',
    ...overrides,
  };
}

const lookup =
  (...records: MediaRecord[]): MediaLookup =>
  (mediaId) =>
    records.find((each) => each.id === mediaId);

/** Every element and attribute, as a browser's parser reads them. */
function parse(html: string): { name: string; attributes: Record<string, string> }[] {
  const found: { name: string; attributes: Record<string, string> }[] = [];
  const parser = new Parser({ onopentag: (name, attributes) => found.push({ name, attributes }) });
  parser.write(html);
  parser.end();
  return found;
}

function text(html: string): string {
  let out = '';
  const parser = new Parser({ ontext: (chunk) => (out += chunk) }, { decodeEntities: true });
  parser.write(html);
  parser.end();
  return out;
}

describe('uploaded pictures in updates', () => {
  it('renders the snippet alone in its paragraph as a figure from the record: sources, srcset, sizes, caption and credit', () => {
    const html = renderBody(
      pictureMarkdown({ blogId: 'kursk', id: ID, alt: 'Smoke over Sudzha', caption: 'Sudzha, 8 August' }),
      lookup(record()),
    );
    const elements = parse(html);
    expect(elements.map((element) => element.name)).toEqual(['figure', 'a', 'picture', 'source', 'source', 'img', 'figcaption', 'small']);
    const img = elements.find((element) => element.name === 'img')!.attributes;
    expect(img).toMatchObject({
      alt: 'Smoke over Sudzha',
      width: '1600',
      height: '1200',
      loading: 'lazy',
      decoding: 'async',
      src: `/media/kursk/${ID}/960-0123456789abcdef.jpg`,
    });
    expect(img.srcset).toBe(['480', '960', '1600'].map((width) => `/media/kursk/${ID}/${width}-0123456789abcdef.jpg ${width}w`).join(', '));
    expect(elements.find((element) => element.name === 'a')!.attributes.href).toBe(`/media/kursk/${ID}/full-fedcba9876543210.jpg`);
    expect(elements.filter((element) => element.name === 'source').map((element) => element.attributes.type)).toEqual([
      'image/avif',
      'image/webp',
    ]);
    expect(text(html.slice(html.indexOf('<figcaption>')))).toBe('Sudzha, 8 August Photo: Olena <Press> & "Co"');
  });

  it('renders a picture within a paragraph as a picture, without a figure', () => {
    const html = renderBody(`Before ![Inline](/media/kursk/${ID}) after`, lookup(record()));
    expect(html.startsWith('<p>Before <a class="lb-picture"')).toBe(true);
    expect(html).not.toContain('<figure');
    expect(html).toContain('alt="Inline"');
  });

  it('escapes hostile alt text and captions exactly once, and they never make markup', () => {
    const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)> & it's`;
    const body = `![${hostile.replace(/[[\]\\]/g, (c) => `\\${c}`)}](/media/kursk/${ID} "${hostile.replace(/"/g, '\\"')}")`;
    const html = renderBody(body, lookup(record()));
    const elements = parse(html);
    expect(elements.map((element) => element.name)).toEqual(['figure', 'a', 'picture', 'source', 'source', 'img', 'figcaption', 'small']);
    expect(elements.find((element) => element.name === 'img')!.attributes.alt).toBe(hostile);
    expect(text(html.slice(html.indexOf('<figcaption>'), html.indexOf('<small'))).trim()).toBe(hostile);
    expect(html).not.toContain('&amp;amp;');
    expect(html).not.toContain('&amp;lt;');
    expect(html).not.toContain('<script');
    expect(elements.flatMap((element) => Object.keys(element.attributes)).filter((name) => name.startsWith('on'))).toEqual([]);
  });

  it('shows nothing of an unknown or taken-down picture but a word: no alt text, no caption', () => {
    const body = `![Secret alt](/media/kursk/${ID} "Secret caption")\n\nText ![Other secret](/media/kursk/${OTHER_ID}) here`;
    for (const media of [undefined, lookup(), lookup(record({ id: 'x'.repeat(20) }))]) {
      const html = renderBody(body, media);
      expect(html).not.toMatch(/Secret|<img|<figure|<picture/);
      expect(html.split(MISSING_PICTURE).length - 1).toBe(2);
    }
  });

  it('never shows another blog’s picture, even when the lookup has a record of that id', () => {
    const html = renderBody(`![Theirs](/media/other-blog/${ID})`, lookup(record()));
    expect(html).toBe(MISSING_PICTURE);
    expect(mediaIdsIn('kursk', `![a](/media/other-blog/${ID}) ![b](/media/kursk/${OTHER_ID}) ![c](/media/kursk/${OTHER_ID})`)).toEqual([
      OTHER_ID,
    ]);
  });

  it('takes an upload in raw HTML as well, from its record, and keeps nothing else the author wrote on it', () => {
    const html = renderBody(
      `<p>See <img src="/media/kursk/${ID}" alt="Raw &amp; ready" srcset="https://evil.example/a.jpg 1w" width="1" onerror="alert(1)"></p>`,
      lookup(record()),
    );
    const img = parse(html).find((element) => element.name === 'img')!.attributes;
    expect(img.alt).toBe('Raw & ready');
    expect(img.width).toBe('1600');
    expect(html).not.toMatch(/evil|onerror/);
  });

  it('strips <picture> and <source> an author writes, and media paths that are not exactly a picture’s', () => {
    const html = renderBody(
      `<picture><source srcset="https://evil.example/a.avif" type="image/avif"><img src="https://img.example/a.jpg" alt="a"></picture>\n\n` +
        `![dots](/media/kursk/${ID}/../../etc) ![file](/media/kursk/${ID}/full-fedcba9876543210.jpg) ![short](/media/kursk/abc)`,
      lookup(record()),
    );
    const names = parse(html).map((element) => element.name);
    expect(names).not.toContain('picture');
    expect(names).not.toContain('source');
    expect(html).not.toContain('evil');
    expect(html).not.toContain('/media/');
    expect(html.match(/Image not shown/g)).toHaveLength(3);
  });

  it('does not nest links: a linked picture keeps the author’s link only', () => {
    const html = renderBody(`[![Linked](/media/kursk/${ID})](https://example.com/story)`, lookup(record()));
    const links = parse(html).filter((element) => element.name === 'a');
    expect(links).toHaveLength(1);
    expect(links[0].attributes.href).toBe('https://example.com/story');
    expect(html).toContain('<picture>');
  });

  it('keeps the alt text faithful, whatever characters it holds: the snippet’s escapes are undone, nothing is dropped', () => {
    const alts = [
      'A] b [x]',
      'back\\slash \\[ and \\]',
      'a *b* _c_ ~~d~~ `e` <b>f</b> &amp; g & h',
      '![nested](x) [link](https://example.com)',
      '<https://example.com/a> &#65; \\* end',
    ];
    for (const alt of alts) {
      for (const caption of [undefined, 'A caption']) {
        const snippet = pictureMarkdown({ blogId: 'kursk', id: ID, alt, caption });
        for (const body of [snippet, `Inline ${snippet} here`]) {
          const img = parse(renderBody(body, lookup(record()))).find((element) => element.name === 'img');
          expect([body, img?.attributes.alt]).toEqual([body, alt]);
        }
      }
    }
    // Hand-typed escapes, as the snippet writes them.
    const html = renderBody(`![A\\] b \\[x\\]](/media/kursk/${ID})`, lookup(record()));
    expect(parse(html).find((element) => element.name === 'img')!.attributes.alt).toBe('A] b [x]');
  });

  it('gives a picture with an empty alt text the upload’s own, so neither it nor its full-size link is without a name', () => {
    for (const body of [`![](/media/kursk/${ID})`, `Text ![ ](/media/kursk/${ID} "Cap") more`, `<img src="/media/kursk/${ID}" alt="">`]) {
      const html = renderBody(body, lookup(record()));
      const img = parse(html).find((element) => element.name === 'img')!.attributes;
      expect([body, img.alt]).toEqual([body, 'Stored alt']);
    }
  });

  it('an https picture renders as before', () => {
    expect(renderMarkdown('![photo](https://img.example/a.jpg)')).toBe(
      '<figure><img src="https://img.example/a.jpg" alt="photo" loading="lazy" /></figure>',
    );
  });
});

describe('withoutPicture (a takedown)', () => {
  const path = `/media/kursk/${ID}`;
  const gone = (body: string) => withoutPicture(body, 'kursk', ID);

  it('removes every form of the reference, and the line of one that stood alone', () => {
    const snippet = pictureMarkdown({ blogId: 'kursk', id: ID, alt: 'A] b [x] \\ *y*', caption: 'Say "cheese" \\ now' });
    expect(gone(`Intro.\n\n${snippet}\n\nAfter.`)).toBe('Intro.\n\nAfter.');
    expect(gone(`${snippet}\n\nAfter.`)).toBe('After.');
    expect(gone(`Intro.\n\n${snippet}`)).toBe('Intro.');
    expect(gone(snippet)).toBe('');
    expect(gone(`Intro.\n${snippet}\nStill the paragraph.`)).toBe('Intro.\nStill the paragraph.');
    expect(gone(`Before ![alt](${path}) after`)).toBe('Before  after');
    expect(gone(`a ![t1](${path} 'single') b ![t2](${path} (parens)) c ![t3]( <${path}>  "x" ) d`)).toBe('a  b  c  d');
    expect(gone(`a ![with [nested] brackets](${path}) b`)).toBe('a  b');
    expect(gone(`a ![multi\nline alt](${path} "multi\nline title") b`)).toBe('a  b');
    expect(gone(`Linked: [![alt](${path} "t")](https://example.com/story "s") end`)).toBe('Linked:  end');
    expect(gone(`Raw <img src="${path}" alt="a > b"> and <IMG alt='x' SRC='${path}' /> and <img src=${path}>.`)).toBe('Raw  and  and .');
    expect(gone(`- item\n- ![alt](${path})\n- other`)).toBe('- item\n- \n- other');
  });

  it('leaves everything else as it was: other pictures, other blogs, files, other text', () => {
    const body =
      `Keep ![other](/media/kursk/${OTHER_ID}) and ![theirs](/media/elsewhere/${ID}) and ![file](${path}/full-fedcba9876543210.jpg)\n\n` +
      `<img src="/media/kursk/${OTHER_ID}" alt="x"> [link](${path}) ![ref][pic]\n\n[pic]: ${path}`;
    expect(gone(body)).toBe(body);
    // A form it does not know still shows nothing of the picture: its record is gone.
    expect(renderBody(body, lookup(record({ id: OTHER_ID })))).not.toContain('alt="ref"');
  });

  it('takes linear time on hostile bodies', () => {
    for (const body of [
      '!['.repeat(5000),
      `![${'\\['.repeat(5000)}`,
      `![a](${path}${' '.repeat(10000)}x`,
      '<img '.repeat(4000) + `src="${path}"`,
    ]) {
      const started = performance.now();
      gone(body);
      expect(performance.now() - started).toBeLessThan(200);
    }
  });
});

describe('plainText', () => {
  it('decodes character references, but none to a character XML forbids (the feed is XML)', () => {
    expect(plainText('<p>a &#8; b &#x1F600; &#65;&amp;&#0;&#x110000; &bogus; &NBSP;</p>')).toBe('a &#8; b 😀 A&&#0;&#x110000; &bogus;');
  });

  it('is the text readers read: no tags, no pictures (alt, caption or credit), entities decoded, cards as their link', () => {
    const body =
      `**Breaking:** troops *crossed* the [border](https://example.com/a "t") ![Heron](https://img.example/a.jpg "cap") at \`dawn\`.\n\n` +
      `${pictureMarkdown({ blogId: 'kursk', id: ID, alt: 'Stored', caption: 'Caption' })}\n\n` +
      `Inline ![x](/media/kursk/${ID}) and ![y](/media/kursk/${OTHER_ID}) and ![z](http://plain.example/a.jpg).\n\n` +
      `https://www.youtube.com/watch?v=dQw4w9WgXcQ\n\n- one & two\n- 1 < 2 "q" it's`;
    expect(plainText(renderBody(body, lookup(record())))).toBe(
      `Breaking: troops crossed the border at dawn. Inline and and . https://www.youtube.com/watch?v=dQw4w9WgXcQ one & two 1 < 2 "q" it's`,
    );
  });
});

describe('loadMedia', () => {
  it('reads each of this blog’s pictures once, in parallel, and nothing without a catalog', async () => {
    const asked: string[] = [];
    const catalog = {
      get: async (blogId: string, mediaId: string) => {
        asked.push(`${blogId}/${mediaId}`);
        return mediaId === ID ? record() : null;
      },
    };
    const media = await loadMedia(
      catalog,
      'kursk',
      `![a](/media/kursk/${ID}) ![a](/media/kursk/${ID}) ![b](/media/kursk/${OTHER_ID}) ![c](/media/other/${ID})`,
    );
    expect(asked.sort()).toEqual([`kursk/${ID}`, `kursk/${OTHER_ID}`]);
    expect(media(ID)?.id).toBe(ID);
    expect(media(OTHER_ID)).toBeUndefined();
    expect((await loadMedia(undefined, 'kursk', `![a](/media/kursk/${ID})`))(ID)).toBeUndefined();
  });
});
