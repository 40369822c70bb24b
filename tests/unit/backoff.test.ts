import { describe, expect, it } from '@jest/globals';
import { Backoff } from '../../client/lib/backoff';

describe('client back-off', () => {
  it('doubles its delay up to the cap, spreads each at random, and starts again after a success', () => {
    const runs = Array.from({ length: 200 }, () => {
      const backoff = new Backoff(1_000, 30_000, 0.5);
      return Array.from({ length: 8 }, () => backoff.next());
    });
    for (const delays of runs) {
      delays.forEach((delay, i) => {
        const base = Math.min(30_000, 1_000 * 2 ** i);
        expect(delay).toBeGreaterThanOrEqual(base * 0.5);
        expect(delay).toBeLessThanOrEqual(Math.min(30_000, base * 1.5));
      });
    }
    // Spread: clients told "try again" at once do not all come back at once.
    expect(new Set(runs.map((delays) => delays[0])).size).toBeGreaterThan(100);
    const backoff = new Backoff(1_000, 30_000, 0);
    backoff.next();
    backoff.next();
    expect(backoff.next()).toBe(4_000);
    backoff.reset();
    expect(backoff.next()).toBe(1_000);
  });
});
