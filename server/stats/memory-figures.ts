/**
 * The figures on the in-process store: one process, so they are its own counts, kept in memory for
 * the process's life (a minute is one Map entry: a 30-day blog is 43,200 of them).
 */
import type { LocalCount } from './count';
import { topSites } from './count';
import { SeriesBuilder } from './series';
import { minuteOf, type FiguresStore, type SeriesRange, type StoredFigures } from './types';

interface BlogFigures {
  now: LocalCount | null;
  peakReaders: number;
  peakAt: number | null;
  /** Minute start → the most readers at once in it. */
  series: Map<number, number>;
  /** The first flush's minute: where the series starts. */
  first: number;
}

export class MemoryFigures implements FiguresStore {
  private readonly blogs = new Map<string, BlogFigures>();

  constructor(private readonly now: () => number = Date.now) {}

  async flush(blogId: string, count: LocalCount | null): Promise<void> {
    let blog = this.blogs.get(blogId);
    if (!blog) this.blogs.set(blogId, (blog = { now: null, peakReaders: 0, peakAt: null, series: new Map(), first: minuteOf(this.now()) }));
    blog.now = count;
    const readers = count?.readers ?? 0;
    const at = this.now();
    const minute = minuteOf(at);
    if (readers > (blog.series.get(minute) ?? -1)) blog.series.set(minute, readers);
    if (readers > blog.peakReaders) {
      blog.peakReaders = readers;
      blog.peakAt = at;
    }
  }

  async read(blogId: string, range: SeriesRange = {}): Promise<StoredFigures> {
    const blog = this.blogs.get(blogId);
    if (!blog) return { readersNow: 0, peakReaders: 0, peakAt: null, series: [], stepMinutes: 1, embeds: [] };
    const from = Math.max(blog.first, minuteOf(range.since ?? 0));
    const to = Math.min(this.now(), range.until ?? Infinity);
    const series = SeriesBuilder.over(from, to);
    for (const [at, readers] of blog.series) if (readers > 0 && at >= from && at <= to) series.add(at, readers);
    return {
      readersNow: blog.now?.readers ?? 0,
      peakReaders: blog.peakReaders,
      peakAt: blog.peakAt,
      series: series.series(),
      stepMinutes: series.stepMinutes,
      embeds: blog.now ? topSites([blog.now.sites]) : [],
    };
  }
}
