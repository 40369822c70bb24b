/**
 * Figures for editors (docs/figures.md): readers now, the peak, readers per minute for the blog's life,
 * readers by site, and push's numbers, at `GET /api/blogs/:blogId/stats`.
 *
 * Nothing is written per reader event: every `flushMs` this process counts its readers from its rooms
 * (count.ts) and writes one script call per blog it has readers of (or had at the last flush) to Redis
 * (redis-figures.ts), or to memory on the in-process store (memory-figures.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Router } from 'express';
import type { Guards } from '../http/guards';
import type { Logger } from '../logger';
import type { LiveServer } from '../realtime/context';
import type { PushFigures } from '../reach/push';
import type { SharedRedis } from '../store/open';
import type { Timeline } from '../store/timeline';
import { countLocal } from './count';
import { MemoryFigures } from './memory-figures';
import { RedisFigures } from './redis-figures';
import { statsRouter } from './router';
import type { FiguresStore } from './types';

/** How often each process writes its figures. */
export const FLUSH_MS = 5_000;

export interface StatsDeps {
  io: LiveServer;
  timeline: Timeline;
  guards: Guards;
  logger: Logger;
  /** Absent on the in-process store: figures are this process's alone, kept in memory. */
  redis?: SharedRedis;
  /** Absent on the in-process store (no push there). */
  push?: PushFigures;
  /** @default FLUSH_MS */
  flushMs?: number;
}

export function startStats(deps: StatsDeps): { router: Router; close(): Promise<void> } {
  const flushMs = deps.flushMs ?? FLUSH_MS;
  const figures: FiguresStore = deps.redis ? new RedisFigures(deps.redis, randomBytes(6).toString('hex'), flushMs) : new MemoryFigures();
  /** Blogs this process had readers of at the last flush: they get one more, saying none are left. */
  let counted = new Set<string>();
  let running: Promise<void> | null = null;
  let failing = false;

  const flush = async (): Promise<void> => {
    const counts = countLocal(deps.io);
    const blogs = new Set([...counted, ...counts.keys()]);
    const results = await Promise.allSettled([...blogs].map((blogId) => figures.flush(blogId, counts.get(blogId) ?? null)));
    const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed && !failing) deps.logger.warn({ err: failed.reason, blogs: blogs.size }, 'figures: could not flush; trying again');
    else if (!failed && failing) deps.logger.info('figures: flushing again');
    failing = Boolean(failed);
    // A blog whose last flush failed is tried again next time, even with no readers left.
    counted = new Set([...blogs].filter((blogId, index) => counts.has(blogId) || results[index]!.status === 'rejected'));
  };

  const timer = setInterval(() => {
    if (running) return; // the last flush is still out (a slow Redis): skip this one
    running = flush().finally(() => {
      running = null;
    });
  }, flushMs);
  timer.unref();

  return {
    router: statsRouter({ timeline: deps.timeline, guards: deps.guards, figures, ...(deps.push ? { push: deps.push } : {}) }),
    close: async () => {
      clearInterval(timer);
      await running;
      // This process's readers have gone (app.close() disconnected them, and they are reconnecting
      // elsewhere): its entries go now, or they would be counted twice, and as a peak, until they aged out.
      await Promise.allSettled([...counted].map((blogId) => figures.flush(blogId, null)));
    },
  };
}
