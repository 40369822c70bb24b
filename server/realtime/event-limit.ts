/** Each connection's events are limited, so that one client cannot keep a process busy. */
import { ERROR_CODES } from '../../shared/codes';
import type { LiveSocket } from './context';

/** Events one connection may send a second, on average… */
export const SOCKET_EVENTS_PER_SECOND = 10;
/** …and at once, after a quiet spell (a page subscribing to its widgets). */
export const SOCKET_EVENT_BURST = 30;

/** A token bucket: `rate` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
  }

  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** Refuses a connection's events beyond its rate, answering their acks with `rate_limited`. */
export function limitEvents(socket: LiveSocket): void {
  const bucket = new TokenBucket(SOCKET_EVENTS_PER_SECOND, SOCKET_EVENT_BURST);
  socket.use((packet, next) => {
    if (bucket.take()) return next();
    const ack = packet.at(-1);
    if (typeof ack === 'function')
      ack({ ok: false, error: { code: ERROR_CODES.rateLimited, message: `at most ${SOCKET_EVENTS_PER_SECOND} events a second` } });
  });
}
