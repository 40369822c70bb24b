/** Which addresses become social cards (shared/cards.ts), and the embed each one loads on the click. */
import { describe, expect, it } from '@jest/globals';
import { blueskyEmbedWithDid, blueskyHandleLookup, CARD_FRAME_ORIGINS, MASTODON_RELAY_PATH, recogniseCard } from '../../shared/cards';
import { renderMarkdown } from '../../server/render/markdown';

const POSITIVES: [string, string, string][] = [
  ['https://www.youtube.com/watch?v=dQw4w9WgXcQ', 'youtube', 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ'],
  ['https://youtube.com/watch?v=dQw4w9WgXcQ&t=42s', 'youtube', 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ'],
  ['https://m.youtube.com/watch?feature=share&v=dQw4w9WgXcQ', 'youtube', 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ'],
  ['https://youtu.be/dQw4w9WgXcQ?si=abc', 'youtube', 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ'],
  ['https://www.youtube.com/shorts/dQw4w9WgXcQ', 'youtube', 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ'],
  ['https://www.youtube.com/live/dQw4w9WgXcQ', 'youtube', 'https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ'],
  ['https://vimeo.com/76979871', 'vimeo', 'https://player.vimeo.com/video/76979871?dnt=1'],
  ['https://vimeo.com/76979871/8d2a1ab3c4', 'vimeo', 'https://player.vimeo.com/video/76979871?dnt=1&h=8d2a1ab3c4'],
  ['https://player.vimeo.com/video/76979871', 'vimeo', 'https://player.vimeo.com/video/76979871?dnt=1'],
  ['https://x.com/jack/status/20', 'x', 'https://platform.twitter.com/embed/Tweet.html?id=20&dnt=true'],
  [
    'https://twitter.com/Jack_1/status/1234567890123456789?s=20',
    'x',
    'https://platform.twitter.com/embed/Tweet.html?id=1234567890123456789&dnt=true',
  ],
  ['https://mobile.twitter.com/jack/statuses/20', 'x', 'https://platform.twitter.com/embed/Tweet.html?id=20&dnt=true'],
  ['https://t.me/durov/123', 'telegram', 'https://t.me/durov/123?embed=1'],
  ['https://t.me/s/militarysummary/4567', 'telegram', 'https://t.me/militarysummary/4567?embed=1'],
  ['https://www.instagram.com/p/C1a2B3c4D5e/', 'instagram', 'https://www.instagram.com/p/C1a2B3c4D5e/embed/'],
  ['https://instagram.com/reel/C1a2B3c4D5e', 'instagram', 'https://www.instagram.com/p/C1a2B3c4D5e/embed/'],
  ['https://www.tiktok.com/@scout2015/video/6718335390845095173', 'tiktok', 'https://www.tiktok.com/player/v1/6718335390845095173'],
  [
    'https://bsky.app/profile/bsky.app/post/3l6oveex3ii2l',
    'bluesky',
    'https://embed.bsky.app/embed/bsky.app/app.bsky.feed.post/3l6oveex3ii2l',
  ],
  [
    'https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3l6oveex3ii2l',
    'bluesky',
    'https://embed.bsky.app/embed/did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3l6oveex3ii2l',
  ],
  [
    'https://mastodon.social/@Gargron/109274245498032934',
    'mastodon',
    `${MASTODON_RELAY_PATH}?url=${encodeURIComponent('https://mastodon.social/@Gargron/109274245498032934')}`,
  ],
  [
    'https://social.example.org/@desk_1/112233445566',
    'mastodon',
    `${MASTODON_RELAY_PATH}?url=${encodeURIComponent('https://social.example.org/@desk_1/112233445566')}`,
  ],
  [
    'https://www.facebook.com/nasa/posts/pfbid02abcDEF123',
    'facebook',
    `https://www.facebook.com/plugins/post.php?href=${encodeURIComponent('https://www.facebook.com/nasa/posts/pfbid02abcDEF123')}`,
  ],
  [
    'https://m.facebook.com/nasa/videos/1234567890',
    'facebook',
    `https://www.facebook.com/plugins/video.php?href=${encodeURIComponent('https://www.facebook.com/nasa/videos/1234567890')}`,
  ],
  [
    'https://www.facebook.com/watch/?v=1234567890',
    'facebook',
    `https://www.facebook.com/plugins/video.php?href=${encodeURIComponent('https://www.facebook.com/watch/?v=1234567890')}`,
  ],
];

const NEGATIVES = [
  // look-alike hosts
  'https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ',
  'https://evil-youtube.com/watch?v=dQw4w9WgXcQ',
  'https://www.youtube.com@evil.test/watch?v=dQw4w9WgXcQ',
  'https://user:pass@www.youtube.com/watch?v=dQw4w9WgXcQ',
  'https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ',
  'https://youtu.be.evil.test/dQw4w9WgXcQ',
  'https://x.com.evil.test/jack/status/20',
  'https://t.me.evil.test/durov/123',
  'https://vimeo.com.evil.test/76979871',
  'https://notinstagram.com/p/C1a2B3c4D5e/',
  'https://bsky.app.evil.test/profile/bsky.app/post/3l6oveex3ii2l',
  'https://facebook.com.evil.test/nasa/posts/123456',
  // the providers' other pages
  'https://www.youtube.com/',
  'https://www.youtube.com/watch?v=short',
  'https://www.youtube.com/@channel',
  'https://www.youtube.com/watch?v=dQw4w9WgXcQ"x',
  'https://vimeo.com/channels/staffpicks',
  'https://x.com/jack',
  'https://x.com/search?q=status',
  'https://t.me/durov',
  'https://t.me/joinchat/12345',
  'https://www.instagram.com/nasa/',
  'https://www.tiktok.com/@scout2015',
  'https://bsky.app/profile/bsky.app',
  'https://www.facebook.com/nasa',
  'https://www.facebook.com/plugins/post.php?href=javascript:alert(1)',
  // not Mastodon: plain http, other shapes, other providers' /@user/… pages, no domain
  'http://mastodon.social/@Gargron/109274245498032934',
  'https://mastodon.social/@Gargron',
  'https://mastodon.social/@Gargron/abc',
  'https://medium.com/@someone/123456789',
  'https://www.youtube.com/@someone/123456789',
  'https://127.0.0.1/@a/123456789',
  'https://localhost/@a/123456789',
  // other schemes and non-addresses
  'javascript:alert(1)//https://youtu.be/dQw4w9WgXcQ',
  'data:text/html,https://youtu.be/dQw4w9WgXcQ',
  'ftp://youtu.be/dQw4w9WgXcQ',
  '//youtu.be/dQw4w9WgXcQ',
  'youtu.be/dQw4w9WgXcQ',
  'not a url',
];

describe('recogniseCard', () => {
  it.each(POSITIVES)('%s is a %s post or video', (address, provider, embedUrl) => {
    expect(recogniseCard(address)).toMatchObject({ provider, embedUrl });
  });

  it.each(NEGATIVES.map((address) => [address]))('%s is no card', (address) => {
    expect(recogniseCard(address)).toBeNull();
  });

  it('loads every embed from the origins the CSP allows (or, for Mastodon, the service’s own relay page)', () => {
    for (const [address] of POSITIVES) {
      const { embedUrl } = recogniseCard(address)!;
      if (embedUrl.startsWith(MASTODON_RELAY_PATH)) continue;
      expect(CARD_FRAME_ORIGINS).toContain(new URL(embedUrl).origin);
    }
  });
});

describe('a Bluesky post behind a handle', () => {
  const embed = recogniseCard('https://bsky.app/profile/bsky.app/post/3l6oveex3ii2l')!.embedUrl;

  it('asks Bluesky’s API for the DID, and embeds with it', () => {
    const lookup = blueskyHandleLookup(embed)!;
    expect(lookup.url).toBe('https://public.api.bsky.app/xrpc/com.atproto.identity.resolveHandle?handle=bsky.app');
    expect(blueskyEmbedWithDid(embed, lookup.handle, 'did:plc:z72i7hdynmk6r22z27h6tvur')).toBe(
      'https://embed.bsky.app/embed/did:plc:z72i7hdynmk6r22z27h6tvur/app.bsky.feed.post/3l6oveex3ii2l',
    );
  });

  it('needs no lookup with a DID, and takes no answer that is not a DID', () => {
    expect(
      blueskyHandleLookup(recogniseCard('https://bsky.app/profile/did:plc:z72i7hdynmk6r22z27h6tvur/post/3l6oveex3ii2l')!.embedUrl),
    ).toBeNull();
    expect(blueskyHandleLookup(recogniseCard('https://youtu.be/dQw4w9WgXcQ')!.embedUrl)).toBeNull();
    for (const did of ['did:plc:x"><script>', 'javascript:alert(1)', 'https://evil.test/', 42, undefined]) {
      expect(blueskyEmbedWithDid(embed, 'bsky.app', did)).toBeNull();
    }
  });
});

describe('cards in rendered Markdown', () => {
  it('turns a paragraph holding only a post’s address into a card, with the link and a button', () => {
    const html = renderMarkdown('Before\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s\n\nAfter');
    expect(html).toBe(
      '<p>Before</p>\n' +
        '<div class="lb-card" data-provider="youtube"><p class="lb-card__provider">YouTube</p>' +
        '<p class="lb-card__link"><a href="https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=42s" rel="nofollow noopener noreferrer" target="_blank">' +
        'https://www.youtube.com/watch?v=dQw4w9WgXcQ&amp;t=42s</a></p>' +
        '<button type="button" class="lb-card__load">Load content from YouTube</button></div>\n' +
        '<p>After</p>',
    );
  });

  it('names each provider on its button', () => {
    for (const [address] of POSITIVES) {
      const { name } = recogniseCard(address)!;
      expect(renderMarkdown(address)).toContain(`>Load content from ${name}</button>`);
    }
  });

  it('leaves a post’s address inside a sentence, a link with other text, and unknown addresses as links', () => {
    for (const body of [
      'Watch https://youtu.be/dQw4w9WgXcQ now',
      '[the video](https://youtu.be/dQw4w9WgXcQ)',
      'https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ',
      'https://example.com/story',
    ]) {
      const html = renderMarkdown(body);
      expect(html).not.toContain('lb-card');
      expect(html).toMatch(/^<p>.*<a href="https:\/\//);
    }
  });

  it('makes no card of HTML that imitates one: the sanitiser drops its elements', () => {
    const html = renderMarkdown('<div class="lb-card" data-provider="youtube"><button class="lb-card__load">Load</button></div>');
    expect(html).not.toContain('lb-card');
    expect(html).not.toContain('<button');
  });
});
