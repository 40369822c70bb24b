/** Redis failures, as the rest of the service sees them. */
import { ReplyError } from 'ioredis';
import {
  IDEMPOTENCY_GONE,
  IDEMPOTENCY_MISMATCH,
  PENDING_DECIDED,
  PENDING_FULL,
  PictureTakenDown,
  TimelineError,
  type TimelineErrorKind,
} from '../timeline';

/** The scripts' error replies: what they mean, and what to tell whoever asked. */
const SCRIPT_ERRORS: Record<string, [TimelineErrorKind | 'stale', string]> = {
  LB_BLOG_NOT_FOUND: ['blog_not_found', 'no such blog'],
  LB_UPDATE_NOT_FOUND: ['update_not_found', 'no such update'],
  LB_CONFLICT: ['conflict', 'it exists already'],
  LB_BLOG_ENDED: ['blog_ended', 'this live blog has ended: reopen it to publish'],
  LB_IDEMPOTENCY_MISMATCH: ['conflict', IDEMPOTENCY_MISMATCH],
  LB_IDEMPOTENCY_GONE: ['conflict', IDEMPOTENCY_GONE],
  LB_STALE: ['stale', 'changed meanwhile'],
  LB_DECIDED: ['conflict', PENDING_DECIDED],
  LB_QUEUE_FULL: ['conflict', PENDING_FULL],
};

/** A read-modify-write found that another writer got there first: read again and retry. */
export class StaleWrite extends Error {}

/** An error of the caller's own code run inside a store call (a `change` callback): passed on as it is. */
class CallerError extends Error {
  constructor(readonly original: unknown) {
    super('the caller’s change failed');
  }
}

/** Runs caller code inside a store call, so that its errors are not taken for Redis failures. */
export function callerCode<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    throw new CallerError(error);
  }
}

/** Script replies become their TimelineError kinds; a lost connection becomes `unavailable`. */
export function translateRedisError(error: unknown): Error {
  if (error instanceof CallerError) return error.original as Error;
  if (error instanceof TimelineError || error instanceof StaleWrite) return error;
  const message = error instanceof Error ? error.message : String(error);
  const known = SCRIPT_ERRORS[/\bLB_[A-Z_]+/.exec(message)?.[0] ?? ''];
  if (known?.[0] === 'stale') return new StaleWrite(message);
  if (/\bLB_TAKEN_DOWN\b/.test(message)) return new PictureTakenDown();
  if (known) return new TimelineError(known[0] as TimelineErrorKind, known[1]);
  // A failover in progress: the node we reached is no longer (or not yet) the primary.
  if (/^(READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING|MOVED|ASK) /.test(message)) {
    return new TimelineError('unavailable', `the store is failing over: ${message}`, { cause: error });
  }
  // Redis answered, but with an error of its own (a bug of ours, not an outage): let it surface as a 500.
  if (error instanceof ReplyError) return error as Error;
  return new TimelineError('unavailable', `the store did not answer: ${message}`, { cause: error });
}

/** Runs Redis work, turning its failures into what translateRedisError says. */
export async function redisCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw translateRedisError(error);
  }
}
