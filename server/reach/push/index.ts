/**
 * Web Push for key events (docs/notifications.md): readers subscribe on the page (routes.ts); a
 * published key event becomes one fan-out job (handler.ts), which sends to the blog's subscriptions in
 * paced batches (jobs.ts, sender.ts) signed with the service's VAPID key (vapid.ts). On Redis only.
 */
import type { Router } from 'express';
import { RedisRateLimiter } from '../../store/redis/rate-limiter';
import { JobQueue } from '../queues';
import type { ReachDeps, ReachFeature } from '../types';
import { pushHandler } from './handler';
import { pushProcessor, type PushJob } from './jobs';
import { pushRouter, SUBSCRIBE_LIMIT } from './routes';
import { SubscriptionStore } from './store';
import { loadVapidKeys, type VapidKeys } from './vapid';

export interface PushFigures {
  /** Browsers subscribed to the blog's key events. */
  subscribers(blogId: string): Promise<number>;
  /** Pushes the push services accepted for the blog. */
  pushesSent(blogId: string): Promise<number>;
}

/** Subscriptions one job sends to (a fan-out of 100 000 adds 200 jobs, not 100 000). */
export const BATCH_SIZE = 500;
/** Pushes one job has in flight at once. */
export const CONCURRENCY = 20;
/** Jobs one process works on at once (so 2 × CONCURRENCY pushes in flight per process). */
const JOBS_AT_ONCE = 2;
/** One push's timeout: push services answer in well under a second (webhooks wait 10 s). */
export const PUSH_TIMEOUT_MS = 3000;
/** A batch job starts pushes this long, then hands the rest to a continuation job (jobs.ts). */
export const SLICE_MS = 5000;
/** A batch sending re-reads its update this often: a key event deleted meanwhile stops within it. */
export const RECHECK_MS = 1000;
/** A batch answered 429/5xx/nothing is tried again after this, then 4× it. */
export const RETRY_BASE_MS = 30_000;
/**
 * Subscriptions a blog keeps at most: each costs about 300 bytes of Redis and a push per key event,
 * and anyone may add one, so the bound is what a hostile reader can make the service hold and send.
 */
export const MAX_SUBSCRIPTIONS_PER_BLOG = 200_000;

export function startPush(deps: ReachDeps): ReachFeature & { figures: PushFigures; router: Router } {
  const { redis, logger } = deps;
  const options = deps.options.push ?? {};
  const store = new SubscriptionStore(redis);
  const queue = new JobQueue<PushJob>(redis, 'push', logger, {
    // A job that throws (Redis away) is tried again; a batch's push services' answers are handled inside.
    attempts: 5,
    backoff: { type: 'exponential', delay: 1000 },
  });

  let keys: Promise<VapidKeys> | undefined;
  const vapid = (): Promise<VapidKeys> =>
    (keys ??= loadVapidKeys({
      redis,
      ...(deps.vapid ? { settings: deps.vapid } : {}),
      ...(deps.mailFrom ? { mailFrom: deps.mailFrom } : {}),
      origin: deps.publicOrigin(),
      logger,
    }).catch((error: unknown) => {
      keys = undefined;
      throw error;
    }));

  queue.work(
    pushProcessor({
      queue,
      store,
      timeline: deps.timeline,
      outbound: deps.outbound,
      logger,
      vapid,
      origin: deps.publicOrigin,
      batchSize: options.batchSize ?? BATCH_SIZE,
      concurrency: options.concurrency ?? CONCURRENCY,
      retryBaseMs: options.retryBaseMs ?? RETRY_BASE_MS,
      timeoutMs: options.timeoutMs ?? PUSH_TIMEOUT_MS,
      sliceMs: options.sliceMs ?? SLICE_MS,
      recheckMs: options.recheckMs ?? RECHECK_MS,
    }),
    {
      concurrency: options.jobsAtOnce ?? JOBS_AT_ONCE,
      ...(deps.options.stalledMs ? { lockDuration: deps.options.stalledMs, stalledInterval: deps.options.stalledMs } : {}),
    },
  );

  return {
    router: pushRouter({
      store,
      timeline: deps.timeline,
      outbound: deps.outbound,
      limiter: new RedisRateLimiter(redis.writer, redis.keys),
      vapid,
      maxPerBlog: options.maxPerBlog ?? MAX_SUBSCRIPTIONS_PER_BLOG,
      subscribeLimit: { ...SUBSCRIBE_LIMIT, ...(options.subscribesPerMinute ? { perWindow: options.subscribesPerMinute } : {}) },
    }),
    handler: pushHandler(queue),
    figures: {
      subscribers: (blogId) => store.count(blogId),
      pushesSent: (blogId) => store.pushesSent(blogId),
    },
    close: () => queue.close(),
  };
}
