/**
 * Readers per minute in an answer of bounded size (server/stats/series.ts): the step each stretch gets,
 * and the in-process store's figures over ten days, answered in quarter hours with every peak kept.
 */
import { describe, expect, it } from '@jest/globals';
import { MemoryFigures } from '../../server/stats/memory-figures';
import { SERIES_POINTS, SeriesBuilder, stepFor } from '../../server/stats/series';
import { MINUTE_MS } from '../../server/stats/types';

const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const T0 = Date.parse('2025-01-11T00:00:00Z');

describe('stepFor', () => {
  it('answers up to a day minute by minute, then in the smallest step that fits 1,440 points', () => {
    expect(stepFor(T0, T0)).toBe(1);
    expect(stepFor(T0, T0 + 3 * HOUR_MS)).toBe(1);
    expect(stepFor(T0, T0 + DAY_MS - MINUTE_MS)).toBe(1); // a whole day: 1,440 minutes
    expect(stepFor(T0 + 7 * MINUTE_MS, T0 + DAY_MS + 6 * MINUTE_MS)).toBe(1);
    expect(stepFor(T0, T0 + DAY_MS)).toBe(5);
    expect(stepFor(T0, T0 + 3 * DAY_MS)).toBe(5);
    expect(stepFor(T0, T0 + 7 * DAY_MS)).toBe(15);
    expect(stepFor(T0, T0 + 30 * DAY_MS)).toBe(60);
    expect(stepFor(T0, T0 + 200 * DAY_MS)).toBe(360);
    expect(stepFor(T0, T0 + 365 * DAY_MS)).toBe(1_440);
    expect(stepFor(T0, T0 + 1_400 * DAY_MS)).toBe(1_440);
    expect(stepFor(T0, T0 + 5 * 365 * DAY_MS)).toBe(10_080);
  });

  it('never gives more points than SERIES_POINTS for any stretch up to 25 years, wherever it starts', () => {
    for (let minutes = 1; minutes <= 25 * 365 * 1_440; minutes = Math.ceil(minutes * 1.37)) {
      for (const offset of [0, 1, 7, 59, 719]) {
        const from = T0 + offset * MINUTE_MS;
        const to = from + (minutes - 1) * MINUTE_MS;
        const stepMs = stepFor(from, to) * MINUTE_MS;
        // The points a stretch with readers in every minute would have: every step it touches.
        expect(Math.floor(to / stepMs) - Math.floor(from / stepMs) + 1).toBeLessThanOrEqual(SERIES_POINTS);
      }
    }
  });
});

describe('SeriesBuilder', () => {
  it('keeps the most readers of any minute in each step, oldest first, steps on UTC boundaries', () => {
    const series = new SeriesBuilder(15);
    series.add(T0 + 14 * MINUTE_MS, 7);
    series.add(T0 + 2 * MINUTE_MS, 90);
    series.add(T0 + 16 * MINUTE_MS, 3);
    series.add(T0 + 5 * MINUTE_MS, 12);
    expect(series.series()).toEqual([
      { at: T0, readers: 90 },
      { at: T0 + 15 * MINUTE_MS, readers: 3 },
    ]);
  });
});

describe('the in-process store over ten days', () => {
  it('answers in quarter hours with each peak kept, and a stretch asked for minute by minute', async () => {
    let clock = T0;
    const figures = new MemoryFigures(() => clock);
    for (let minute = 0; minute < 10 * 1_440; minute++) {
      clock = T0 + minute * MINUTE_MS;
      // A quiet story with one minute of 500 readers on day 4, at 17:45.
      const readers = minute === 4 * 1_440 + 17 * 60 + 45 ? 500 : 10 + (minute % 7);
      await figures.flush('story', { readers, sites: { self: readers } });
    }
    const whole = await figures.read('story');
    expect(whole.stepMinutes).toBe(15);
    expect(whole.series).toHaveLength(960);
    expect(whole.series.find((point) => point.at === T0 + 4 * DAY_MS + 17 * HOUR_MS + 45 * MINUTE_MS)?.readers).toBe(500);
    expect(Math.max(...whole.series.map((point) => point.readers))).toBe(500);
    expect(whole.peakReaders).toBe(500);

    const around = await figures.read('story', { since: T0 + 4 * DAY_MS + 17 * HOUR_MS, until: T0 + 4 * DAY_MS + 18 * HOUR_MS });
    expect(around.stepMinutes).toBe(1);
    expect(around.series).toHaveLength(61);
    expect(around.series[45]).toEqual({ at: T0 + 4 * DAY_MS + 17 * HOUR_MS + 45 * MINUTE_MS, readers: 500 });
  });
});
