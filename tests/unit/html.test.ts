import { describe, expect, it } from '@jest/globals';
import { escapeHtml, excerpt, formatTime, relativeTime, renderUpdate } from '../../shared/html';
import { LIMITS } from '../../shared/limits';
import { updateOrderKey } from '../../shared/order';
import type { Update } from '../../shared/schemas';

const update: Update = {
  id: 'abc123',
  blogId: 'kursk',
  body: 'x',
  html: '<p>x</p>',
  title: '<img src=x onerror=alert(1)> "quoted"',
  author: '<b>Desk</b>',
  publishedAt: '2025-01-11T15:45:00.000Z',
  createdAt: '2025-01-11T15:45:00.000Z',
  pinned: true,
  keyEvent: true,
  version: 1,
};

describe('renderUpdate', () => {
  it('escapes plain-text fields and links the update to its permalink', () => {
    const html = renderUpdate(update, 'UTC');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt; &quot;quoted&quot;');
    expect(html).toContain('By &lt;b&gt;Desk&lt;/b&gt;');
    expect(html).not.toContain('<img');
    expect(html).toContain('id="update-abc123"');
    expect(html).toContain('href="#update-abc123"');
    expect(html).toContain('<time class="lb-time" datetime="2025-01-11T15:45:00.000Z">11 Jan 2025, 15:45 UTC</time>');
    expect(html).toContain('Pinned');
    expect(html).toContain('Key event');
  });

  it('names the zone, so 17.45 in Kyiv reads as such', () => {
    expect(formatTime('2025-01-11T15:45:00.000Z', 'Europe/Kyiv')).toBe('11 Jan 2025, 17:45 EET');
  });

  it('escapes every HTML-significant character', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('relativeTime', () => {
  it('says how long ago, in the largest unit that fits', () => {
    const now = Date.parse('2025-01-11T18:00:00Z');
    expect(relativeTime('2025-01-11T17:59:40Z', now)).toBe('just now');
    expect(relativeTime('2025-01-11T17:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2025-01-11T15:45:00Z', now)).toBe('2 hr ago');
    expect(relativeTime('2025-01-08T18:00:00Z', now)).toBe('3 days ago');
    expect(relativeTime('2023-01-11T18:00:00Z', now)).toBe('2 yr ago');
  });
});

describe('updateOrderKey', () => {
  it('sorts newest first by publishedAt as a string, ties by id, a back-dated update in its place', () => {
    const keys = [
      updateOrderKey('2025-01-11T12:00:00.000Z', 'a'),
      updateOrderKey('2025-01-11T17:45:00.000Z', 'b'),
      updateOrderKey('2025-01-11T12:30:00.000Z', 'c'),
      updateOrderKey('2025-01-11T12:00:00.000Z', 'd'),
      updateOrderKey('1999-12-31T23:59:59.000Z', 'e'),
    ];
    expect(
      [...keys]
        .sort()
        .reverse()
        .map((k) => k.split(':')[1]),
    ).toEqual(['b', 'c', 'd', 'a', 'e']);
  });
});

describe('text helpers on hostile input', () => {
  /** The best of a few runs, in ms. */
  function timeOf(work: () => void): number {
    let best = Infinity;
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      work();
      best = Math.min(best, performance.now() - started);
    }
    return best;
  }

  it('make excerpts in linear time: pathological bodies cost about what ordinary ones of the same length do', () => {
    const length = LIMITS.body;
    const ordinary = 'Paratroopers [report](https://example.com/a) **heavy** fighting near the border. '.repeat(300).slice(0, length);
    const hostile = [
      '['.repeat(length),
      '[a]('.repeat(length / 4),
      '!['.repeat(length / 2),
      `[${'a'.repeat(length - 2)}(`,
      '('.repeat(length),
      ']('.repeat(length / 2),
    ];
    const baseline = Math.max(
      timeOf(() => excerpt({ body: ordinary })),
      0.05,
    );
    for (const body of hostile) {
      const took = timeOf(() => excerpt({ body }));
      // Generous against noise; the quadratic version took thousands of times longer.
      expect({ body: body.slice(0, 12), ratio: took / baseline < 20 }).toEqual({ body: body.slice(0, 12), ratio: true });
      expect(took).toBeLessThan(20);
    }
    expect(excerpt({ body: '[Kursk](https://example.com) **captured** soldiers' })).toBe('Kursk captured soldiers');
    expect(excerpt({ body: '![a photo](https://example.com/a.jpg) The text' })).toBe('The text');
  });
});
