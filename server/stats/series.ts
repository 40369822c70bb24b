/**
 * Readers per minute, in one answer of bounded size: a stretch longer than SERIES_POINTS minutes is
 * answered in coarser steps (5 minutes, 15, an hour, 6 hours, a day, a week), each step the most readers at once
 * in any of its minutes, so a peak is never averaged away. A year-long blog answers 366 points (a day each),
 * not 525,600, and the points are added up as the stored minutes are read, never all held at once.
 */
import { MINUTE_MS } from './types';

/** The most points one answer holds: a day, minute by minute. */
export const SERIES_POINTS = 1_440;

/** The steps, in minutes: each divides the next, so every step starts on UTC boundaries (a week's on the epoch's Thursdays). */
const STEPS = [1, 5, 15, 60, 360, 1_440, 10_080] as const;

/** The smallest step whose points for the minutes from `from` to `to` (ms, both included) are SERIES_POINTS or fewer. */
export function stepFor(from: number, to: number): number {
  const [first, last] = [Math.floor(from / MINUTE_MS), Math.floor(to / MINUTE_MS)];
  return STEPS.find((step) => Math.floor(last / step) - Math.floor(first / step) + 1 <= SERIES_POINTS) ?? STEPS[STEPS.length - 1]!;
}

/** Gathers minutes (in any order) into points of `stepMinutes`, keeping each point's largest figure. */
export class SeriesBuilder {
  private readonly points = new Map<number, number>();
  private readonly stepMs: number;

  constructor(readonly stepMinutes: number) {
    this.stepMs = stepMinutes * MINUTE_MS;
  }

  /** A builder for the minutes from `from` to `to` (ms), in the step stepFor gives them (none: minutes). */
  static over(from: number, to: number): SeriesBuilder {
    return new SeriesBuilder(from <= to ? stepFor(from, to) : 1);
  }

  add(at: number, readers: number): void {
    const start = Math.floor(at / this.stepMs) * this.stepMs;
    if (readers > (this.points.get(start) ?? 0)) this.points.set(start, readers);
  }

  /** The points with readers, oldest first. */
  series(): { at: number; readers: number }[] {
    return [...this.points].sort((a, b) => a[0] - b[0]).map(([at, readers]) => ({ at, readers }));
  }
}
