/** Where the figures are kept: Redis (every process's) or this process's memory. */
import type { LocalCount } from './count';

/** A blog's figures as kept, before push's numbers are added. */
export interface StoredFigures {
  readersNow: number;
  peakReaders: number;
  /** Milliseconds since the epoch; null before anyone read. */
  peakAt: number | null;
  /** Minutes (ms since the epoch, at the minute's start) with the most readers at once then, oldest first. */
  series: { at: number; readers: number }[];
  embeds: { origin: string; readers: number }[];
}

export interface FiguresStore {
  /** Records this process's count of a blog (null: it has no readers left there). */
  flush(blogId: string, count: LocalCount | null): Promise<void>;
  /** The series from `since` on (ms since the epoch), or all of it. */
  read(blogId: string, since?: number): Promise<StoredFigures>;
}

export const MINUTE_MS = 60_000;

/** The minute's start. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;
