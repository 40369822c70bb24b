/**
 * Webhooks (docs/webhooks.md): endpoints admins register, signed deliveries of every logged event each
 * endpoint wants, retried with growing delays for a day from a BullMQ queue in Redis (so they outlive a
 * restart and spread over every process's worker), and a delivery log per endpoint.
 *
 * store.ts keeps endpoints and logs, signing.ts signs (Standard Webhooks), outbox-handler.ts queues an
 * event's deliveries, delivery.ts sends one, routes.ts is the API.
 */
import { JobQueue } from '../queues';
import type { ReachDeps, ReachFeature } from '../types';
import { DeliveryFailed, backoffDelay, maxAttempts, deliveryProcessor, testSender, type WebhookJob } from './delivery';
import { webhookHandler } from './outbox-handler';
import { webhookRoutes, type RoutesDeps } from './routes';
import { WebhookStore } from './store';

/** Deliveries one process sends at once (each waits on a remote server, up to the outbound timeout). */
export const WEBHOOK_CONCURRENCY = 8;
/**
 * A worker killed mid-attempt: its job is taken up again about twice this later (the lock expires, and
 * BullMQ's stalled check marks the job once and moves it back at the next check; measured 31 s). BullMQ's default is 30 s; an attempt lasts at most the outbound timeout (10 s)
 * and the lock is renewed every half of this, so 15 s is safe and halves the wait.
 */
const STALLED_MS = 15_000;

export function startWebhooks(deps: ReachDeps): ReachFeature {
  const logger = deps.logger.child({ feature: 'webhooks' });
  const now = deps.options.now ?? (() => new Date());
  const retry = deps.webhookRetry;
  const store = new WebhookStore(deps.redis);
  const queue = new JobQueue<WebhookJob>(deps.redis, 'webhooks', logger, { attempts: maxAttempts(retry), backoff: { type: 'webhook' } });
  const stalledMs = deps.options.stalledMs ?? STALLED_MS;
  const deliveryDeps = {
    store,
    timeline: deps.timeline,
    outbound: deps.outbound,
    logger,
    retry,
    now,
    publicOrigin: deps.publicOrigin,
    closing: queue.closing,
  };
  queue.work(deliveryProcessor(deliveryDeps), {
    concurrency: WEBHOOK_CONCURRENCY,
    lockDuration: stalledMs,
    stalledInterval: stalledMs,
    // A process killed mid-attempt more than once must not fail the delivery (BullMQ's default is 1).
    maxStalledCount: 5,
    settings: {
      // The processor chose (and logged) the delay of a failed attempt; anything else failed before sending.
      backoffStrategy: (attemptsMade: number, _type?: string, error?: Error) =>
        error instanceof DeliveryFailed ? error.retryInMs : backoffDelay(retry, attemptsMade),
    },
  });
  // Test events are sent in this process, not queued: close() waits for those under way.
  const sendTest = testSender(deliveryDeps);
  const testsUnderWay = new Set<Promise<void>>();
  const startTest: RoutesDeps['sendTest'] = (endpoint, delivery) => {
    const sending = sendTest(endpoint, delivery)
      .catch((error: unknown) => logger.error({ err: error, webhook: endpoint.id, delivery: delivery.id }, 'webhook test event failed'))
      .finally(() => testsUnderWay.delete(sending));
    testsUnderWay.add(sending);
  };
  return {
    router: webhookRoutes({
      store,
      timeline: deps.timeline,
      guards: deps.guards,
      audit: deps.audit,
      outbound: deps.outbound,
      logger,
      now,
      sendTest: startTest,
    }),
    handler: webhookHandler({ store, queue, now }),
    close: async () => {
      await Promise.all([queue.close(), ...testsUnderWay]);
    },
  };
}
