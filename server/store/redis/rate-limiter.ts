/** Rate-limit counters on Redis, shared by every process (see ../rate-limiter.ts for the contract). */
import type { RedisClient } from './connection';
import { redisCall } from './errors';
import type { Keys } from './keys';
import type { RateLimiter, RateLimitResult } from '../rate-limiter';
import { runScript } from './scripts';

export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const [count, ttl] = await this.count(bucket, 1, windowMs);
    return { allowed: count <= limit, remaining: Math.max(0, limit - count), resetMs: Math.max(0, ttl) };
  }

  async add(bucket: string, hits: number, windowMs: number): Promise<{ count: number }> {
    const [count] = await this.count(bucket, hits, windowMs);
    return { count };
  }

  /** Adds `hits` to the bucket's current window: its total, and the ms until it resets. */
  private count(bucket: string, hits: number, windowMs: number): Promise<[number, number]> {
    const window = Math.floor(Date.now() / windowMs);
    return redisCall(
      () => runScript(this.redis, 'lbRateHit', [this.keys.rate(bucket, window)], [windowMs, hits]) as Promise<[number, number]>,
    );
  }
}
