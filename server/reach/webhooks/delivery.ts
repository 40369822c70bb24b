/**
 * Sending one delivery (a BullMQ job): re-read the endpoint and what the event is about, sign, POST
 * through the SSRF-safe client, log the attempt, and on a failure have BullMQ try again later.
 *
 * A job carries references only (outbox.ts): the update is read when it is sent, so a retry hours later
 * sends it as it is then, and never sends one deleted meanwhile (a takedown reaches webhooks too).
 * An endpoint that has failed every attempt for `disableAfterMs` is turned off, with the reason.
 */
import { DelayedError, UnrecoverableError, type Job } from 'bullmq';
import { WEBHOOK_TEST_EVENT, type WebhookDelivery } from '../../../shared/schemas';
import type { WebhookRetry } from '../../config';
import { OutboundFailed, OutboundRefused, type Outbound } from '../../http/outbound';
import type { Logger } from '../../logger';
import type { Timeline } from '../../store/timeline';
import { signedHeaders } from './signing';
import type { EndpointRecord, WebhookStore } from './store';

/** What a job holds: references, never the update's text. */
export interface WebhookJob {
  endpointId: string;
  /** The `webhook-id` of every attempt, and the delivery's id in the log. */
  deliveryId: string;
  /** An event type, or `webhook.test`. */
  type: string;
  blogId?: string;
  cursor?: string;
  prev?: string;
  updateId?: string;
}

/**
 * A ceiling only: the endpoint's day of failures decides when to stop, not this count. It is made to
 * outlast that day whatever the settings: enough attempts for the delays to add up to `disableAfterMs`
 * even if every jitter draw is the shortest (×0.8), and half as many again (the defaults: 37 attempts
 * cover 24 h, so 56), at most a million (short delays and a long window: a deployment's own choice).
 */
export function maxAttempts(retry: WebhookRetry): number {
  let attempts = 1;
  for (let waited = 0; waited < retry.disableAfterMs && attempts < 1_000_000; attempts++)
    waited += 0.8 * backoffDelay(retry, attempts, () => 0.5);
  return Math.min(1_000_000, Math.ceil(attempts * 1.5));
}

/**
 * Deliveries to one endpoint this process sends at once. An endpoint that hangs holds each attempt for the
 * whole outbound timeout: without a cap its backlog would fill every slot of the worker and hold up every
 * other endpoint's deliveries (head-of-line blocking).
 */
export const PER_ENDPOINT_IN_FLIGHT = 2;
/**
 * A job whose endpoint is at its cap goes back to the delayed set for twice as long as the endpoint's
 * oldest attempt under way has lasted, within these bounds: a healthy endpoint's burst comes back at once,
 * a hanging endpoint's backlog every 2 s at most (each return is a few Redis commands).
 */
export const BUSY_ENDPOINT_DELAY_MS = { min: 20, max: 2000 };

/** A failed attempt, with the delay the processor chose (and logged) for the next. */
export class DeliveryFailed extends Error {
  override readonly name = 'DeliveryFailed';
  constructor(
    message: string,
    readonly retryInMs: number,
  ) {
    super(message);
  }
}

/** The delay before attempt `failed + 1`: min(max, base·2^(failed−1)), ±20 % so retries do not march in step. */
export function backoffDelay(retry: WebhookRetry, failed: number, random: () => number = Math.random): number {
  const capped = Math.min(retry.maxDelayMs, retry.baseMs * 2 ** Math.max(0, failed - 1));
  return Math.round(capped * (0.8 + 0.4 * random()));
}

/** A failure in words, for the delivery log and the desk. */
export function describeFailure(error: unknown): string {
  if (error instanceof OutboundRefused) return `refused: ${error.message}`;
  if (error instanceof OutboundFailed) return error.reason === 'timeout' ? 'timeout: no answer in time' : `network: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

function describeStatus(status: number): string {
  return status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
}

function duration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} hours`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${Math.round(ms / 1000)} seconds`;
}

export interface DeliveryDeps {
  store: WebhookStore;
  timeline: Timeline;
  outbound: Outbound;
  logger: Logger;
  retry: WebhookRetry;
  now: () => Date;
  publicOrigin: () => string;
  /** Aborted when the service shuts down: attempts under way are cut (and their jobs put back). */
  closing?: AbortSignal;
}

type Outcome = 'delivered' | 'skipped' | 'stopped';

function testData(deps: Pick<DeliveryDeps, 'publicOrigin'>, endpointId: string): Record<string, unknown> {
  return { webhookId: endpointId, message: `A test event from ${deps.publicOrigin()}: this endpoint receives deliveries.` };
}

/** One signed POST of these bytes; what came of it, in words when it failed. */
async function post(
  outbound: Outbound,
  endpoint: EndpointRecord,
  deliveryId: string,
  body: string,
  signal?: AbortSignal,
): Promise<{ statusCode?: number; failure?: string; cancelled?: true; ms: number }> {
  const headers = signedHeaders(endpoint.secret, deliveryId, Math.floor(Date.now() / 1000), body);
  const startedAt = Date.now();
  try {
    const answer = await outbound.send(endpoint.url, { method: 'POST', headers, body, ...(signal ? { signal } : {}) });
    const failure = answer.status < 200 || answer.status >= 300 ? describeStatus(answer.status) : undefined;
    return { statusCode: answer.status, ...(failure ? { failure } : {}), ms: Date.now() - startedAt };
  } catch (error) {
    if (error instanceof OutboundFailed && error.reason === 'aborted') return { cancelled: true, ms: Date.now() - startedAt };
    return { failure: describeFailure(error), ms: Date.now() - startedAt };
  }
}

/**
 * Send test event: one attempt, now, in this process rather than through the queue (where it would wait
 * behind every delivery queued before it), logged like a delivery. It says nothing about the endpoint's
 * deliveries (failingSince is left alone), and goes to an endpoint that is off too: that is how an admin
 * checks it works again.
 */
export function testSender(deps: DeliveryDeps): (endpoint: EndpointRecord, delivery: WebhookDelivery) => Promise<void> {
  return async (endpoint, delivery) => {
    const log = deps.logger.child({ webhook: endpoint.id, delivery: delivery.id, event: WEBHOOK_TEST_EVENT });
    const body = JSON.stringify({ type: WEBHOOK_TEST_EVENT, timestamp: delivery.createdAt, data: testData(deps, endpoint.id) });
    const { statusCode, failure, cancelled, ms } = await post(deps.outbound, endpoint, delivery.id, body, deps.closing);
    if (cancelled) {
      await deps.store.updateDelivery(endpoint.id, delivery.id, { status: 'failed', lastError: 'not sent: the service was shutting down' });
      log.info({ ms }, 'webhook test event cut: the service is shutting down');
      return;
    }
    const logged: Partial<WebhookDelivery> = { attempts: 1, lastAttemptAt: deps.now().toISOString(), lastStatusCode: statusCode };
    await deps.store.updateDelivery(endpoint.id, delivery.id, {
      ...logged,
      status: failure ? 'failed' : 'delivered',
      lastError: failure,
      nextAttemptAt: undefined,
    });
    if (failure) log.warn({ attempt: 1, status: statusCode, error: failure, ms }, 'webhook attempt failed');
    else log.info({ attempt: 1, status: statusCode, ms }, 'webhook delivered');
  };
}

export function deliveryProcessor(deps: DeliveryDeps): (job: Job<WebhookJob>, token?: string) => Promise<Outcome> {
  const { store, outbound, retry, now } = deps;
  /** When each attempt under way in this process began, by endpoint. */
  const inFlight = new Map<string, number[]>();

  /** The event's `data` as it is now; null when what it is about is gone. */
  const eventData = async (job: WebhookJob): Promise<Record<string, unknown> | null> => {
    const { type, blogId = '', cursor, prev, updateId = '' } = job;
    // A test job queued by an earlier version (tests are now sent at once: testSender).
    if (type === WEBHOOK_TEST_EVENT) return testData(deps, job.endpointId);
    const event = { blogId, cursor, prev, type };
    if (type === 'update.deleted') return { ...event, updateId };
    if (type === 'blog.updated') {
      const blog = await deps.timeline.getBlog(blogId);
      return blog ? { ...event, blog } : null;
    }
    const update = await deps.timeline.getUpdate(blogId, updateId);
    return update ? { ...event, update } : null;
  };

  const attempt = async (job: Job<WebhookJob>, token?: string): Promise<Outcome> => {
    const { endpointId, deliveryId, type } = job.data;
    const log = deps.logger.child({ webhook: endpointId, delivery: deliveryId, event: type, job: job.id });
    const isTest = type === WEBHOOK_TEST_EVENT;
    const record = (change: Partial<WebhookDelivery>) => store.updateDelivery(endpointId, deliveryId, change);

    const endpoint = await store.get(endpointId);
    if (!endpoint) {
      log.info('webhook not sent: its endpoint was removed');
      return 'stopped';
    }
    // A test may go to an endpoint that is off: that is how an admin checks it works again.
    if (!endpoint.enabled && !isTest) {
      const why = endpoint.disabled?.reason ? ` (${endpoint.disabled.reason})` : '';
      await record({ status: 'failed', lastError: `not sent: the endpoint was turned off${why}`, nextAttemptAt: undefined });
      await store.settled(endpointId, deliveryId, false);
      log.info('webhook not sent: its endpoint is turned off');
      return 'stopped';
    }
    const data = await eventData(job.data);
    if (!data) {
      const what = type === 'blog.updated' ? 'the blog was' : 'the update was';
      await record({ status: 'skipped', lastError: `${what} deleted before it could be delivered`, nextAttemptAt: undefined });
      if (!isTest) await store.settled(endpointId, deliveryId, false);
      log.info('webhook not sent: what it was about is gone');
      return 'skipped';
    }

    // Serialised once: the signature is over these exact bytes. `timestamp` is the event's (when it was
    // queued), the same on every attempt; the header's timestamp is the attempt's.
    const body = JSON.stringify({ type, timestamp: new Date(job.timestamp).toISOString(), data });
    const attempts = ((await store.getDelivery(endpointId, deliveryId))?.attempts ?? job.attemptsMade) + 1;
    const { statusCode, failure, cancelled, ms } = await post(outbound, endpoint, deliveryId, body, deps.closing);
    if (cancelled && token) {
      // The service is shutting down: not the endpoint's failure. Put back at once for another process (or
      // this one's successor) to send, without counting an attempt; nothing is logged as a failure.
      log.info({ ms }, 'webhook attempt cut: the service is shutting down; it will be sent again');
      await job.moveToDelayed(Date.now(), token);
      throw new DelayedError();
    }
    const at = now();
    const logged: Partial<WebhookDelivery> = { attempts, lastAttemptAt: at.toISOString(), lastStatusCode: statusCode };

    if (!failure) {
      if (!isTest) await store.settled(endpointId, deliveryId, true);
      await record({ ...logged, status: 'delivered', lastError: undefined, nextAttemptAt: undefined });
      log.info({ attempt: attempts, status: statusCode, ms }, 'webhook delivered');
      return 'delivered';
    }

    log.warn({ attempt: attempts, status: statusCode, error: failure, ms }, 'webhook attempt failed');
    // A test is one attempt, and says nothing about the endpoint's deliveries.
    if (isTest || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) {
      await record({ ...logged, status: 'failed', lastError: failure, nextAttemptAt: undefined });
      if (!isTest) await store.settled(endpointId, deliveryId, false);
      throw new UnrecoverableError(failure);
    }
    const since = await store.failing(endpointId, deliveryId, at);
    if (since && at.getTime() - since.getTime() >= retry.disableAfterMs) {
      const reason = `every delivery failed for ${duration(retry.disableAfterMs)}; last: ${failure}`;
      if (await store.disable(endpointId, at, reason)) log.warn({ reason }, 'webhook endpoint turned off');
      await record({ ...logged, status: 'failed', lastError: failure, nextAttemptAt: undefined });
      await store.settled(endpointId, deliveryId, false);
      throw new UnrecoverableError(failure);
    }
    const delay = backoffDelay(retry, attempts);
    await record({ ...logged, status: 'retrying', lastError: failure, nextAttemptAt: new Date(at.getTime() + delay).toISOString() });
    throw new DeliveryFailed(failure, delay);
  };

  return async (job, token) => {
    const { endpointId } = job.data;
    const started = inFlight.get(endpointId) ?? [];
    if (started.length >= PER_ENDPOINT_IN_FLIGHT && token) {
      const waited = 2 * (Date.now() - Math.min(...started));
      const delay = Math.min(BUSY_ENDPOINT_DELAY_MS.max, Math.max(BUSY_ENDPOINT_DELAY_MS.min, waited));
      // Back to the delayed set without counting an attempt (BullMQ's skipAttempt), for another slot to take.
      await job.moveToDelayed(Date.now() + Math.round(delay * (0.8 + 0.4 * Math.random())), token);
      throw new DelayedError();
    }
    const startedAt = Date.now();
    inFlight.set(endpointId, [...started, startedAt]);
    try {
      return await attempt(job, token);
    } finally {
      const left = inFlight.get(endpointId) ?? [];
      left.splice(left.indexOf(startedAt), 1);
      if (left.length) inFlight.set(endpointId, left);
      else inFlight.delete(endpointId);
    }
  };
}
