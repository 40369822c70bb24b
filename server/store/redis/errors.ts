/** Redis failures, as the rest of the service sees them. */
import { ReplyError } from 'ioredis';
import { TimelineError, type TimelineErrorKind } from '../timeline';

const SCRIPT_ERRORS: Record<string, TimelineErrorKind | 'stale'> = {
  LB_BLOG_NOT_FOUND: 'blog_not_found',
  LB_UPDATE_NOT_FOUND: 'update_not_found',
  LB_CONFLICT: 'conflict',
  LB_BLOG_ENDED: 'blog_ended',
  LB_STALE: 'stale',
};

/** A read-modify-write found that another writer got there first: read again and retry. */
export class StaleWrite extends Error {}

/** Script replies become their TimelineError kinds; a lost connection becomes `unavailable`. */
export function translateRedisError(error: unknown): Error {
  if (error instanceof TimelineError || error instanceof StaleWrite) return error;
  const message = error instanceof Error ? error.message : String(error);
  const kind = SCRIPT_ERRORS[/\bLB_[A-Z_]+/.exec(message)?.[0] ?? ''];
  if (kind === 'stale') return new StaleWrite(message);
  if (kind) return new TimelineError(kind, message);
  // A failover in progress: the node we reached is no longer (or not yet) the primary.
  if (/^(READONLY|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|LOADING)/.test(message)) {
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
