/**
 * Per-IP limits on the public routes and on new Socket.IO connections, counted in Redis so that they
 * hold across processes — without a Redis round trip per request, which would undo the page cache:
 * each process counts hits in memory and adds them to the shared Redis counter every FLUSH_MS; a
 * request is judged on the shared count last read plus this process's hits since. A client can thus
 * overshoot by what the other processes saw in the last half second, and no more.
 */
import type { RequestHandler } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import type { Logger } from '../logger';
import type { RateLimiter } from '../store/rate-limiter';
import { sendError } from './errors';

/** How often local hits are added to the shared counters. */
export const FLUSH_MS = 500;
const WINDOW_MS = 60_000;

interface Counter {
  window: number;
  /** The shared count (all processes) when last read. */
  shared: number;
  /** Hits here not yet added to the shared count. */
  unflushed: number;
}

export class IpLimiter {
  private readonly counters = new Map<string, Counter>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly store: RateLimiter,
    private readonly logger: Logger,
    /** Hits allowed per IP per minute, by kind of hit. */
    private readonly limits: Record<string, number>,
  ) {
    this.timer = setInterval(() => void this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Counts a hit of `kind` from `ip`; false when the IP is over its limit for this minute. */
  hit(kind: string, ip: string): boolean {
    const window = Math.floor(Date.now() / WINDOW_MS);
    const key = `${kind}:${ip}`;
    let counter = this.counters.get(key);
    if (!counter || counter.window !== window) {
      counter = { window, shared: 0, unflushed: 0 };
      this.counters.set(key, counter);
    }
    counter.unflushed += 1;
    return counter.shared + counter.unflushed <= this.limits[kind];
  }

  /** Adds local hits to the shared counters and reads their totals back. */
  async flush(): Promise<void> {
    const window = Math.floor(Date.now() / WINDOW_MS);
    const pending: [string, Counter, number][] = [];
    for (const [key, counter] of this.counters) {
      if (counter.window !== window) this.counters.delete(key);
      else if (counter.unflushed > 0) pending.push([key, counter, counter.unflushed]);
    }
    await Promise.all(
      pending.map(async ([key, counter, hits]) => {
        counter.unflushed -= hits;
        try {
          counter.shared = (await this.store.add(`ip:${key}`, hits, WINDOW_MS)).count;
        } catch (error) {
          // Redis away: judge on this process's own count until it is back.
          counter.unflushed += hits;
          this.logger.debug({ err: error }, 'ip limit counters not shared');
        }
      }),
    );
  }

  close(): void {
    clearInterval(this.timer);
  }
}

/** Answers 429 to an IP past its limit of public requests. */
export function limitPublicRequests(limiter: IpLimiter): RequestHandler {
  return (req, res, next) => {
    if (limiter.hit('requests', req.ip ?? 'unknown')) return next();
    res.setHeader('Retry-After', '30');
    sendError(res, 429, { code: ERROR_CODES.rateLimited, message: 'too many requests from this address: try again in a minute' });
  };
}
