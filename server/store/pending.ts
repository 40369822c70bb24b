/**
 * The approval queue in this process's memory (the Redis one is redis/pending.ts): contributors'
 * entries, per blog, kept apart from the updates, so that nothing read for readers (pages, API, feed,
 * events, embeds) ever comes across one. Each method does its whole change synchronously, its audit
 * entry included, as atomic as the Redis scripts.
 */
import type { BlogEvent, PendingUpdate, Update } from '../../shared/schemas';
import type { MemoryAuditLog } from './audit';
import { pendingApproved, pendingEdited, pendingRejected, pendingSubmitted, type AuditStamp } from './audit-entries';
import {
  IDEMPOTENCY_GONE,
  IDEMPOTENCY_MISMATCH,
  IDEMPOTENCY_TTL_SECONDS,
  PENDING_DECIDED,
  PENDING_FULL,
  PENDING_MAX,
  pendingKept,
  refuseTakenDown,
  TimelineError,
  type ApprovedUpdate,
  type BlogRecord,
  type Idempotency,
  type SubmittedEntry,
} from './timeline';

/**
 * Entries one contributor may have waiting in one blog's queue: one person (or a script with their
 * session) cannot fill the queue for everyone else. Their own quota, so a `conflict` naming it.
 */
export const PENDING_PER_CONTRIBUTOR = 20;
export const PENDING_CONTRIBUTOR_FULL = `you have ${PENDING_PER_CONTRIBUTOR} entries waiting in this blog: wait until editors approve or reject some`;
/**
 * Rejected entries kept for one contributor in one blog, apart from the waiting ones (which they never
 * count against): when more are rejected, their oldest rejected ones go first. Each still goes after
 * PENDING_REJECTED_TTL_MS.
 */
export const REJECTED_PER_CONTRIBUTOR = 100;

/** Whether `a` was rejected before `b` (then by id): the order in which a contributor's rejected entries go. */
export function rejectedBefore(a: PendingUpdate, b: PendingUpdate): number {
  const at = rejectedAtKey(a).localeCompare(rejectedAtKey(b));
  return at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** When an entry was rejected, as sortable text (milliseconds, 15 digits): the Redis index sorts by it. */
export function rejectedAtKey(entry: PendingUpdate): string {
  const at = Date.parse(entry.rejection?.at ?? '');
  return String(Number.isNaN(at) ? 0 : at).padStart(15, '0');
}

/** What the queue needs of the memory timeline's blogs. */
export interface QueueHost {
  blog(blogId: string): {
    record: BlogRecord;
    updates: Map<string, Update>;
    pending: Map<string, PendingUpdate>;
    idempotency: Map<string, { updateId: string; fingerprint: string; expiresAt: number }>;
    takenDown: Set<string>;
  };
  /** Stores an approved update with its events (and the unpin it makes, if any). */
  publish(blog: ReturnType<QueueHost['blog']>, update: Update, audit: AuditStamp): BlogEvent[];
}

export class MemoryPending {
  constructor(
    private readonly audit: MemoryAuditLog,
    private readonly host: QueueHost,
  ) {}

  submit(entry: PendingUpdate, stamp: AuditStamp, idempotency?: Idempotency): SubmittedEntry {
    const blog = this.host.blog(entry.blogId);
    this.purge(blog.pending);
    const first = idempotency ? blog.idempotency.get(idempotency.key) : undefined;
    if (first && first.expiresAt > Date.now()) {
      if (first.fingerprint !== idempotency!.fingerprint) throw new TimelineError('conflict', IDEMPOTENCY_MISMATCH);
      const queued = blog.pending.get(first.updateId);
      if (queued) return { entry: queued, created: false };
      const update = blog.updates.get(first.updateId);
      if (update) return { update, created: false };
      throw new TimelineError('conflict', IDEMPOTENCY_GONE);
    }
    if (blog.record.status === 'ended') throw new TimelineError('blog_ended', `blog ${entry.blogId} has ended`);
    if (blog.pending.has(entry.id) || blog.updates.has(entry.id)) throw new TimelineError('conflict', `entry ${entry.id} exists`);
    // Only waiting entries count: rejected ones have their own bound per contributor (see reject).
    const waiting = [...blog.pending.values()].filter((queued) => queued.status === 'pending');
    const theirs = waiting.filter((queued) => queued.submittedBy.id === entry.submittedBy.id).length;
    if (theirs >= PENDING_PER_CONTRIBUTOR) throw new TimelineError('conflict', PENDING_CONTRIBUTOR_FULL);
    if (waiting.length >= PENDING_MAX) throw new TimelineError('conflict', PENDING_FULL);
    refuseTakenDown(blog.takenDown, entry);
    blog.pending.set(entry.id, entry);
    if (idempotency) {
      blog.idempotency.set(idempotency.key, {
        updateId: entry.id,
        fingerprint: idempotency.fingerprint,
        expiresAt: Date.now() + IDEMPOTENCY_TTL_SECONDS * 1000,
      });
    }
    this.audit.append({ blogId: entry.blogId }, pendingSubmitted(stamp, entry));
    return { entry, created: true };
  }

  list(blogId: string): PendingUpdate[] {
    const { pending } = this.host.blog(blogId);
    this.purge(pending);
    return [...pending.values()];
  }

  get(blogId: string, updateId: string): PendingUpdate | null {
    const entry = this.host.blog(blogId).pending.get(updateId);
    return entry && pendingKept(entry, Date.now()) ? entry : null;
  }

  change(
    blogId: string,
    updateId: string,
    change: (current: PendingUpdate) => PendingUpdate,
    stamp: AuditStamp,
    rejectedToo = false,
  ): PendingUpdate {
    const blog = this.host.blog(blogId);
    const current = this.waiting(blog, updateId, rejectedToo);
    const next = change(current);
    refuseTakenDown(blog.takenDown, next);
    blog.pending.set(updateId, next);
    this.audit.append({ blogId }, pendingEdited(stamp, current, next));
    return next;
  }

  approve(blogId: string, updateId: string, publish: (entry: PendingUpdate) => Update, stamp: AuditStamp): ApprovedUpdate {
    const blog = this.host.blog(blogId);
    const entry = blog.pending.get(updateId);
    // Approved before (a retried or concurrent approve): the update as it is now, nothing new.
    const published = !entry && blog.updates.get(updateId);
    if (published) return { update: published, events: [] };
    const current = this.waiting(blog, updateId);
    if (blog.record.status === 'ended') throw new TimelineError('blog_ended', `blog ${blogId} has ended`);
    const update = publish(current);
    refuseTakenDown(blog.takenDown, update);
    blog.pending.delete(updateId);
    this.audit.append({ blogId }, pendingApproved(stamp, current, update));
    return { update, events: this.host.publish(blog, update, stamp) };
  }

  reject(blogId: string, updateId: string, reject: (entry: PendingUpdate) => PendingUpdate, stamp: AuditStamp): PendingUpdate {
    const blog = this.host.blog(blogId);
    const current = this.waiting(blog, updateId);
    const next = reject(current);
    blog.pending.set(updateId, next);
    this.audit.append({ blogId }, pendingRejected(stamp, current, next));
    // The contributor's rejected entries beyond REJECTED_PER_CONTRIBUTOR go, oldest first.
    const rejected = [...blog.pending.values()]
      .filter((entry) => entry.status === 'rejected' && entry.submittedBy.id === current.submittedBy.id)
      .sort(rejectedBefore);
    for (const old of rejected.slice(0, Math.max(0, rejected.length - REJECTED_PER_CONTRIBUTOR))) blog.pending.delete(old.id);
    return next;
  }

  /** The entry, still waiting: `update_not_found` when there is none, `conflict` when rejected or approved. */
  private waiting(blog: ReturnType<QueueHost['blog']>, updateId: string, rejectedToo = false): PendingUpdate {
    const entry = blog.pending.get(updateId);
    if (entry && pendingKept(entry, Date.now())) {
      if (entry.status !== 'pending' && !rejectedToo) throw new TimelineError('conflict', PENDING_DECIDED);
      return entry;
    }
    if (blog.updates.has(updateId)) throw new TimelineError('conflict', PENDING_DECIDED);
    throw new TimelineError('update_not_found', `no pending entry ${updateId} in blog ${blog.record.id}`);
  }

  /** Rejected entries go after PENDING_REJECTED_TTL_MS. */
  private purge(pending: Map<string, PendingUpdate>): void {
    const now = Date.now();
    for (const [id, entry] of pending) if (!pendingKept(entry, now)) pending.delete(id);
  }
}
