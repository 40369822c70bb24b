/**
 * The push jobs (BullMQ queue `{push}`), which carry references only: never an update's text, which
 * is read when sent, so that a key event deleted meanwhile (a takedown) never leaves.
 *
 * - `fanout` (one per key event's event, id `push_<blog>_<update>_<cursor>`): claims the key event for its
 *   generation (its cursor; store.ts), walks the blog's subscriptions and adds a `batch` job per
 *   `batchSize` of them. Publishing only adds this one job (the outbox, after the write).
 * - `batch` (`…_b<n>`): sends to its subscriptions, `concurrency` at once; those answered 429/5xx or not
 *   at all go into a `…_r<attempt>` job, later (MAX_ATTEMPTS in all); 404/410 are removed.
 *
 * Fairness: a process works on a few jobs at once, for every blog. A batch stops starting pushes after
 * `sliceMs` and hands the rest to a continuation job (`…_c`), queued behind the fresh batches of every
 * blog; and batches are queued by BullMQ priority = their index in the fan-out (fan-outs themselves have
 * none, which BullMQ runs first), so the first batch of a small blog's key event goes before the 2nd,
 * 3rd… of a big one's. One blog's big or slow fan-out thus holds a job slot a slice at a time.
 */
import type { Job } from 'bullmq';
import type { Logger } from '../../logger';
import type { Outbound } from '../../http/outbound';
import type { Timeline } from '../../store/timeline';
import { jobId, type JobQueue } from '../queues';
import { pushMessage, pushTopic } from './message';
import { sendBatch } from './sender';
import type { SubscriptionStore } from './store';
import type { VapidKeys } from './vapid';

/** `generation`: the fan-out's event cursor (absent in jobs queued before it existed: not checked). */
export type PushJob =
  | { kind: 'fanout'; blogId: string; updateId: string; generation?: string }
  | { kind: 'batch'; blogId: string; updateId: string; ids: string[]; attempt: number; generation?: string };

/** Sends to a subscription at most this many times per key event (429, 5xx, timeouts). */
export const MAX_ATTEMPTS = 3;
/** Batch jobs added to the queue at once by a fan-out. */
const ADD_AT_ONCE = 20;
/** The longest a push service's Retry-After is followed. */
const MAX_RETRY_DELAY_MS = 10 * 60_000;
/** A continuation's priority is its batch's plus this: behind the fresh batches of any fan-out. */
const CONTINUATION_PRIORITY_STEP = 1000;
/** BullMQ's lowest priority. */
const LOWEST_PRIORITY = 2_097_152;

export const fanoutJobId = (blogId: string, updateId: string, generation: string) => jobId('push', blogId, updateId, generation);

export interface PushWorkDeps {
  queue: JobQueue<PushJob>;
  store: SubscriptionStore;
  timeline: Timeline;
  outbound: Outbound;
  logger: Logger;
  vapid(): Promise<VapidKeys>;
  origin(): string;
  batchSize: number;
  concurrency: number;
  retryBaseMs: number;
  /** One push's timeout. */
  timeoutMs: number;
  /** How long a batch job starts pushes before handing the rest to a continuation job. */
  sliceMs: number;
  /** How often a batch re-reads its update while sending. */
  recheckMs: number;
}

/** The update if it is still a published key event (deleted, or no longer key: nothing is sent). */
async function keyEvent(deps: PushWorkDeps, blogId: string, updateId: string) {
  const update = await deps.timeline.getUpdate(blogId, updateId);
  return update?.keyEvent ? update : null;
}

async function fanout(deps: PushWorkDeps, job: Job<PushJob>, data: Extract<PushJob, { kind: 'fanout' }>): Promise<string> {
  const { store, queue } = deps;
  const { blogId, updateId } = data;
  const generation = data.generation ?? '';
  if (!(await keyEvent(deps, blogId, updateId))) return 'skipped: not a key event now';
  const claim = await store.claim(blogId, updateId, generation);
  if (claim === 'sent') return 'sent before';
  if (claim === 'other') return 'skipped: another fan-out holds it';
  let pending: { name: string; data: PushJob; opts: { jobId: string; priority: number } }[] = [];
  const buffer: string[] = [];
  let batches = 0;
  const flush = async (all: boolean): Promise<void> => {
    while (buffer.length >= deps.batchSize || (all && buffer.length)) {
      const ids = buffer.splice(0, deps.batchSize);
      const id = `${job.id}_b${batches}`;
      const priority = Math.min(LOWEST_PRIORITY, ++batches);
      pending.push({
        name: 'batch',
        data: { kind: 'batch', blogId, updateId, ids, attempt: 1, generation },
        opts: { jobId: id, priority },
      });
    }
    if (pending.length >= ADD_AT_ONCE || (all && pending.length)) {
      await queue.queue.addBulk(pending);
      pending = [];
    }
  };
  for await (const ids of store.ids(blogId, deps.batchSize)) {
    buffer.push(...ids);
    await flush(false);
  }
  await flush(true);
  deps.logger.info({ blogId, updateId, batches }, 'push: key event fanned out');
  return `${batches} batches`;
}

async function batch(deps: PushWorkDeps, job: Job<PushJob>, data: Extract<PushJob, { kind: 'batch' }>): Promise<string> {
  const { blogId, updateId, ids, attempt, generation } = data;
  const update = await keyEvent(deps, blogId, updateId);
  const blog = update && (await deps.timeline.getBlog(blogId));
  if (!update || !blog) {
    // If nothing of it went out, a later edit into a key event fans out again.
    if (generation !== undefined) await deps.store.release(blogId, updateId, generation);
    return 'skipped: not a key event now';
  }
  if (generation !== undefined && !(await deps.store.holds(blogId, updateId, generation))) return 'skipped: superseded';
  const { found: subscriptions, corrupt, values } = await deps.store.get(blogId, ids);
  if (corrupt.length) {
    deps.logger.warn({ blogId, count: corrupt.length }, 'push: subscriptions that are not JSON subscriptions; removed');
    await deps.store.removeUnchanged(blogId, corrupt, values);
  }
  const outcome = await sendBatch({
    outbound: deps.outbound,
    vapid: await deps.vapid(),
    subscriptions,
    payload: JSON.stringify(pushMessage(blog, update, deps.origin())),
    topic: pushTopic(blogId),
    concurrency: deps.concurrency,
    timeoutMs: deps.timeoutMs,
    deadline: Date.now() + deps.sliceMs,
    closing: deps.queue.closing,
    // A takedown (or un-keying) while a batch is sending stops it within recheckMs, not after 500 pushes.
    stillWanted: async () =>
      !!(await keyEvent(deps, blogId, updateId)) && (generation === undefined || (await deps.store.holds(blogId, updateId, generation))),
    recheckMs: deps.recheckMs,
    logger: deps.logger,
  });
  const priority = job.opts.priority ?? 1;
  // Only if still what was sent to: the browser may have subscribed again meanwhile (same endpoint, new keys).
  await deps.store.removeUnchanged(blogId, outcome.gone, values);
  await deps.store.refused(blogId, outcome.refused, values);
  await deps.store.accepted(blogId, outcome.acceptedIds);
  await deps.store.addPushesSent(blogId, outcome.accepted);
  if (outcome.accepted > 0) await deps.store.markSent(blogId, updateId);
  if (outcome.stopped) {
    if (generation !== undefined) await deps.store.release(blogId, updateId, generation);
    deps.logger.info({ blogId, updateId, accepted: outcome.accepted }, 'push: key event deleted or un-keyed while sending; stopped');
    return `stopped: accepted ${outcome.accepted} before`;
  }
  if (outcome.retry.length && attempt < MAX_ATTEMPTS) {
    const backoff = deps.retryBaseMs * 4 ** (attempt - 1) * (0.8 + Math.random() * 0.4);
    const delay = Math.min(MAX_RETRY_DELAY_MS, Math.max(backoff, outcome.retryAfterMs));
    const base = String(job.id).replace(/_r\d+$/, '');
    await deps.queue.queue.add(
      'batch',
      { kind: 'batch', blogId, updateId, ids: outcome.retry, attempt: attempt + 1, ...(generation !== undefined ? { generation } : {}) },
      { jobId: `${base}_r${attempt + 1}`, delay, priority },
    );
  } else if (outcome.retry.length) {
    deps.logger.warn({ blogId, updateId, count: outcome.retry.length }, 'push: given up after retries');
  }
  if (outcome.rest.length) {
    // The slice is over: the rest goes behind every blog's fresh batches (a retried job re-adds the same id).
    await deps.queue.queue.add(
      'batch',
      { kind: 'batch', blogId, updateId, ids: outcome.rest, attempt, ...(generation !== undefined ? { generation } : {}) },
      { jobId: `${job.id}_c`, priority: Math.min(LOWEST_PRIORITY, priority + CONTINUATION_PRIORITY_STEP) },
    );
  }
  return `accepted ${outcome.accepted}, gone ${outcome.gone.length}, retry ${outcome.retry.length}, dropped ${outcome.dropped}, rest ${outcome.rest.length}`;
}

export function pushProcessor(deps: PushWorkDeps) {
  return async (job: Job<PushJob>): Promise<string> => {
    const data = job.data;
    return data.kind === 'fanout' ? fanout(deps, job, data) : batch(deps, job, data);
  };
}
