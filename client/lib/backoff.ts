/**
 * Delays between attempts that grow exponentially and are spread at random, as Socket.IO's own
 * reconnection does, so that thousands of clients told "try again" by one server do not all come
 * back in the same instant.
 */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly minMs = 1_000,
    private readonly maxMs = 30_000,
    /** ± this share of each delay is random. */
    private readonly jitter = 0.5,
  ) {}

  /** The delay before the next attempt. */
  next(): number {
    const base = Math.min(this.maxMs, this.minMs * 2 ** this.attempts);
    this.attempts += 1;
    const spread = base * this.jitter;
    return Math.round(Math.min(this.maxMs, base - spread + Math.random() * 2 * spread));
  }

  /** After a success: the next failure starts from the shortest delay again. */
  reset(): void {
    this.attempts = 0;
  }
}
