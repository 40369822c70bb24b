/** The widget's weight budget: everything embed.js brings (Socket.IO client included) in 20 KB gzipped. */
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const WIDGET_BUDGET_BYTES = 20 * 1024;

describe('embed.js', () => {
  it(`weighs at most ${WIDGET_BUDGET_BYTES / 1024} KB gzipped, and loads nothing else`, () => {
    const bundle = readFileSync('dist/public/embed.js');
    const gzipped = gzipSync(bundle, { level: 9 }).length;
    expect(gzipped).toBeLessThanOrEqual(WIDGET_BUDGET_BYTES);
    // One file: no dynamic import, no stylesheet link, no second script.
    expect(bundle.toString()).not.toMatch(/import\(|<link|\.css["']/);
  });
});
