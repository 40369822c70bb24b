/**
 * The approval queue on Redis: one HASH per blog in the blog's slot, and its index (waiting and
 * rejected entries by contributor, see pending-scripts.ts), changed only by pending-scripts.ts.
 */
import { updateOrderKey } from '../../../shared/order';
import type { PendingUpdate, Update } from '../../../shared/schemas';
import { pendingApproved, pendingEdited, pendingRejected, pendingSubmitted, type AuditStamp } from '../audit-entries';
import { newTag, storedForm, toEvent, type LoggedEvent } from '../log';
import { PENDING_CONTRIBUTOR_FULL, PENDING_PER_CONTRIBUTOR, REJECTED_PER_CONTRIBUTOR, rejectedAtKey } from '../pending';
import {
  IDEMPOTENCY_TTL_SECONDS,
  PENDING_DECIDED,
  PENDING_MAX,
  pendingKept,
  TimelineError,
  type ApprovedUpdate,
  type Idempotency,
  type SubmittedEntry,
} from '../timeline';
import type { RedisClient } from './connection';
import { picturesIn } from '../../media/markup';
import { callerCode, redisCall } from './errors';
import type { Keys } from './keys';
import type { ScriptName } from './scripts';

/** What the queue borrows from RedisTimeline: its read connection, keys and durable writes. */
export interface PendingHost {
  redis: RedisClient;
  keys: Keys;
  historyLength: number;
  runWrite(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown>;
  retryStale<T>(attempt: () => Promise<T>): Promise<T>;
}

/** The queue's index, beside its hash (so in the blog's slot): see pending-scripts.ts. */
const waitingKey = (keys: Keys, blogId: string) => `${keys.pending(blogId)}:waiting`;
const rejectedKey = (keys: Keys, blogId: string) => `${keys.pending(blogId)}:rejected`;

export class RedisPending {
  constructor(private readonly host: PendingHost) {}

  async submit(entry: PendingUpdate, audit: AuditStamp, idempotency?: Idempotency): Promise<SubmittedEntry> {
    const { keys } = this.host;
    const { blogId } = entry;
    const reply = (await redisCall(() =>
      this.host.runWrite(
        'lbSubmitPending',
        [
          keys.blog(blogId),
          keys.pending(blogId),
          keys.updates(blogId),
          keys.audit(blogId),
          idempotency ? keys.idempotency(blogId, idempotency.key) : keys.blog(blogId),
          waitingKey(keys, blogId),
          keys.takenDown(blogId),
        ],
        [
          entry.id,
          JSON.stringify(entry),
          PENDING_MAX,
          JSON.stringify(pendingSubmitted(audit, entry)),
          idempotency ? '1' : '0',
          idempotency?.fingerprint ?? '',
          IDEMPOTENCY_TTL_SECONDS,
          entry.submittedBy.id,
          PENDING_PER_CONTRIBUTOR,
          picturesIn(blogId, entry.body, entry.html).join(' '),
        ],
      ),
    )) as ['created'] | ['contributor_full'] | ['pending' | 'update', string];
    if (reply[0] === 'contributor_full') throw new TimelineError('conflict', PENDING_CONTRIBUTOR_FULL);
    if (reply[0] === 'pending') return { entry: JSON.parse(reply[1]) as PendingUpdate, created: false };
    if (reply[0] === 'update') return { update: JSON.parse(reply[1]) as Update, created: false };
    return { entry, created: true };
  }

  /** Oldest first; expired rejections are dropped (and deleted). */
  async list(blogId: string): Promise<PendingUpdate[]> {
    const { keys, redis } = this.host;
    return redisCall(async () => {
      const [[, exists], [, all]] = (await redis.multi().exists(keys.blog(blogId)).hgetall(keys.pending(blogId)).exec()) as [
        [Error | null, number],
        [Error | null, Record<string, string>],
      ];
      if (!exists) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
      const now = Date.now();
      const entries = Object.values(all).map((json) => JSON.parse(json) as PendingUpdate);
      const expired = entries.filter((entry) => !pendingKept(entry, now)).flatMap((entry) => [entry.id, rejectedAtKey(entry)]);
      if (expired.length) await this.host.runWrite('lbPurgePending', [keys.pending(blogId), rejectedKey(keys, blogId)], expired);
      return entries
        .filter((entry) => pendingKept(entry, now))
        .sort((a, b) => (a.submittedAt === b.submittedAt ? (a.id < b.id ? -1 : 1) : a.submittedAt < b.submittedAt ? -1 : 1));
    });
  }

  async get(blogId: string, updateId: string): Promise<PendingUpdate | null> {
    return redisCall(async () => {
      const json = await this.host.redis.hget(this.host.keys.pending(blogId), updateId);
      const entry = json ? (JSON.parse(json) as PendingUpdate) : null;
      return entry && pendingKept(entry, Date.now()) ? entry : null;
    });
  }

  /** An editor's change or a rejection of a waiting entry. */
  async replace(
    blogId: string,
    updateId: string,
    change: (current: PendingUpdate) => PendingUpdate,
    audit: AuditStamp,
    kind: 'edit' | 'reject',
    rejectedToo = false,
  ): Promise<PendingUpdate> {
    const { keys } = this.host;
    return this.host.retryStale(async () => {
      const current = await this.waiting(blogId, updateId, rejectedToo);
      const next = callerCode(() => change(current));
      const queue = [keys.blog(blogId), keys.pending(blogId), keys.updates(blogId), keys.audit(blogId)];
      if (kind === 'edit') {
        await this.host.runWrite(
          'lbReplacePending',
          [...queue, keys.takenDown(blogId)],
          [
            updateId,
            current.version,
            JSON.stringify(next),
            JSON.stringify(pendingEdited(audit, current, next)),
            picturesIn(blogId, next.body, next.html).join(' '),
            rejectedToo ? '1' : '0',
          ],
        );
      } else {
        await this.host.runWrite(
          'lbRejectPending',
          [...queue, waitingKey(keys, blogId), rejectedKey(keys, blogId)],
          [
            updateId,
            current.version,
            JSON.stringify(next),
            JSON.stringify(pendingRejected(audit, current, next)),
            rejectedAtKey(next),
            REJECTED_PER_CONTRIBUTOR,
          ],
        );
      }
      return next;
    });
  }

  async approve(blogId: string, updateId: string, publish: (entry: PendingUpdate) => Update, audit: AuditStamp): Promise<ApprovedUpdate> {
    const { keys } = this.host;
    return this.host.retryStale(async () => {
      const entry = await this.get(blogId, updateId);
      if (!entry) {
        // Approved before (a retried or concurrent approve): the update as it is now, nothing new.
        const published = await this.host.redis.hget(keys.updates(blogId), updateId);
        if (published) return { update: JSON.parse(published) as Update, events: [] };
      }
      const current = entry ?? (await this.waiting(blogId, updateId));
      const update = callerCode(() => publish(current));
      const logged: LoggedEvent = { type: 'update.created', update };
      const tag = newTag();
      const reply = (await this.host.runWrite(
        'lbApprovePending',
        [
          keys.blog(blogId),
          keys.updates(blogId),
          keys.order(blogId),
          keys.events(blogId),
          keys.keyEvents(blogId),
          keys.pending(blogId),
          keys.audit(blogId),
          waitingKey(keys, blogId),
          keys.takenDown(blogId),
        ],
        [
          updateId,
          current.version,
          JSON.stringify(update),
          updateOrderKey(update.publishedAt, update.id),
          JSON.stringify(storedForm(logged)),
          tag,
          this.host.historyLength,
          update.keyEvent ? '1' : '0',
          JSON.stringify(pendingApproved(audit, current, update)),
          picturesIn(blogId, update.body, update.html).join(' '),
        ],
      )) as ['created', string, number, string] | ['replayed', string];
      if (reply[0] === 'replayed') return { update: JSON.parse(reply[1]) as Update, events: [] };
      const [, epoch, seq, prevTag] = reply;
      return { update, events: [toEvent(blogId, epoch, seq, tag, prevTag, logged)] };
    });
  }

  /** The entry as it waits, or why there is none to act on. */
  private async waiting(blogId: string, updateId: string, rejectedToo = false): Promise<PendingUpdate> {
    const { keys, redis } = this.host;
    const entry = await this.get(blogId, updateId);
    if (entry?.status === 'pending' || (entry && rejectedToo)) return entry;
    if (entry || (await redis.hexists(keys.updates(blogId), updateId))) throw new TimelineError('conflict', PENDING_DECIDED);
    if (!(await redis.exists(keys.blog(blogId)))) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
    throw new TimelineError('update_not_found', `no pending entry ${updateId} in blog ${blogId}`);
  }
}
