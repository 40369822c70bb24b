/** Per-token limits on editor writes, counted in the store so they hold across processes. */
import type { Response } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import type { RateLimiter } from '../store/rate-limiter';
import { HttpError } from './errors';

export interface WriteLimit {
  /** Writes one token may make per window. @default 120 */
  perWindow: number;
  /** @default 60 000 (a minute) */
  windowMs: number;
}

/** Counts one hit on `bucket`; sets the RateLimit headers; throws 429 beyond the limit. */
export async function enforceLimit(limiter: RateLimiter, res: Response, bucket: string, limit: WriteLimit): Promise<void> {
  const result = await limiter.hit(bucket, limit.perWindow, limit.windowMs);
  const resetSeconds = Math.ceil(result.resetMs / 1000);
  res.setHeader('RateLimit-Limit', String(limit.perWindow));
  res.setHeader('RateLimit-Remaining', String(result.remaining));
  res.setHeader('RateLimit-Reset', String(resetSeconds));
  if (!result.allowed) {
    res.setHeader('Retry-After', String(Math.max(1, resetSeconds)));
    throw new HttpError(
      429,
      ERROR_CODES.rateLimited,
      `too many writes: at most ${limit.perWindow} a minute per token; try again in ${Math.max(1, resetSeconds)} s`,
    );
  }
}
