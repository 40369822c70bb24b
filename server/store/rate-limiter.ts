/**
 * Fixed-window rate limits. On Redis the counters are shared, so a limit holds across every process.
 */
export interface RateLimitResult {
  allowed: boolean;
  /** Hits left in this window. */
  remaining: number;
  /** Until the window resets. */
  resetMs: number;
}

export interface RateLimiter {
  /** Counts one hit for `bucket`; allowed while the window holds at most `limit`. */
  hit(bucket: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  /** Adds `hits` to `bucket`'s current window; returns the window's total. */
  add(bucket: string, hits: number, windowMs: number): Promise<{ count: number }>;
}

export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = Date.now();
    const window = this.window(bucket, windowMs, now);
    window.count += 1;
    return { allowed: window.count <= limit, remaining: Math.max(0, limit - window.count), resetMs: window.resetAt - now };
  }

  async add(bucket: string, hits: number, windowMs: number): Promise<{ count: number }> {
    const window = this.window(bucket, windowMs, Date.now());
    window.count += hits;
    return { count: window.count };
  }

  private window(bucket: string, windowMs: number, now: number): { count: number; resetAt: number } {
    let window = this.windows.get(bucket);
    if (!window || window.resetAt <= now) {
      window = { count: 0, resetAt: now + windowMs };
      this.windows.set(bucket, window);
      this.sweep(now);
    }
    return window;
  }

  /** Drops finished windows so that the map does not grow with every bucket ever seen. */
  private sweep(now: number): void {
    if (this.windows.size < 10_000) return;
    for (const [bucket, window] of this.windows) if (window.resetAt <= now) this.windows.delete(bucket);
  }
}
