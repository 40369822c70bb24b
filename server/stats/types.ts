/** Where the figures are kept: Redis (every process's) or this process's memory. */
import type { LocalCount } from './count';

/** A blog's figures as kept, before push's numbers are added. */
export interface StoredFigures {
  readersNow: number;
  peakReaders: number;
  /** Milliseconds since the epoch; null before anyone read. */
  peakAt: number | null;
  /**
   * Points (ms since the epoch, at the point's start) with the most readers at once in them, oldest
   * first: minutes, or longer steps over a long stretch (series.ts).
   */
  series: { at: number; readers: number }[];
  /** Each point's length in minutes. */
  stepMinutes: number;
  embeds: { origin: string; readers: number }[];
}

export interface FiguresStore {
  /** Records this process's count of a blog (null: it has no readers left there). */
  flush(blogId: string, count: LocalCount | null): Promise<void>;
  /** The series from `since` to `until` (ms since the epoch; by default the blog's first minute, and now). */
  read(blogId: string, range?: SeriesRange): Promise<StoredFigures>;
}

export interface SeriesRange {
  since?: number;
  until?: number;
}

export const MINUTE_MS = 60_000;

/** The minute's start. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
