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

/** The desk's readers chart (uPlot and its stylesheet): loaded by the desk alone, when its Figures show. */
const CHART_BUDGET_BYTES = 26 * 1024;

describe('desk-stats.js', () => {
  it(`weighs at most ${CHART_BUDGET_BYTES / 1024} KB gzipped, and editor.js holds none of it`, () => {
    const chart = readFileSync('dist/public/desk-stats.js');
    expect(gzipSync(chart, { level: 9 }).length).toBeLessThanOrEqual(CHART_BUDGET_BYTES);
    expect(chart.toString()).toMatch(/liveblogChart/);
    // uPlot's class names: in the chart's bundle, never in the desk's own.
    expect(chart.toString()).toMatch(/u-over/);
    expect(/u-over|u-axis/.test(readFileSync('dist/public/editor.js', 'utf8'))).toBe(false);
  });
});
