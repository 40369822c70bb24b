/**
 * The Timeline: everything the service keeps. Two implementations keep to it, Redis (the real one) and
 * an in-process one for a machine without Redis; the same contract suite (tests/integration/timeline-contract.test.ts)
 * runs against both.
 */
import type { Blog, BlogEvent, BlogStatus, EventsPage, PendingUpdate, Update, UpdatePage } from '../../shared/schemas';
import { picturesIn } from '../media/markup';
import type { AuditStamp } from './audit-entries';

/** A blog as stored, without its cursor (which the log gives). */
export interface BlogRecord {
  id: string;
  title: string;
  description?: string;
  status: BlogStatus;
  createdAt: string;
  updatedAt: string;
}

export interface PageRequest {
  limit: number;
  /** A page token: only updates that sort after it (older) come back. */
  before?: string;
}

export interface CreatedUpdate {
  update: Update;
  /**
   * What the write logged, in order: `update.created`, then `update.edited` of the update it unpinned
   * (one pinned update per blog, decided in the same atomic write). Empty when the idempotency key had
   * been used: nothing new was stored or happened.
   */
  events: BlogEvent[];
}

/** An Idempotency-Key, already scoped to whoever sent it, and the fingerprint of what was sent with it. */
export interface Idempotency {
  key: string;
  fingerprint: string;
}

export interface ChangedUpdate {
  /** `update.edited` or `update.deleted`, then, as in CreatedUpdate, the edit of the update it unpinned. */
  events: [BlogEvent, ...BlogEvent[]];
}

/** A submission: the entry queued, or, replayed, the entry as it is now or the update it became. */
export interface SubmittedEntry {
  entry?: PendingUpdate;
  update?: Update;
  /** False for a replay: nothing new was stored. */
  created: boolean;
}

/** An approval: the published update and the log's events (none when it had been approved before: a replay). */
export interface ApprovedUpdate {
  update: Update;
  events: BlogEvent[];
}

/**
 * Every write method takes an AuditStamp (who, when; the service's own when omitted) and appends the
 * blog's audit entry in the same atomic step as the write (see audit-entries.ts); a write that stores
 * nothing (an idempotent replay) records nothing.
 */
export interface Timeline {
  readonly kind: 'redis' | 'memory';
  /** Events kept per blog: a reader further behind is answered `cursor_expired`. */
  readonly historyLength: number;
  /** Resolves when the store answers; rejects with `unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;

  /** Newest first. */
  listBlogs(): Promise<Blog[]>;
  getBlog(blogId: string): Promise<Blog | null>;
  /** Throws `conflict` when the id is taken. */
  createBlog(blog: BlogRecord, audit?: AuditStamp): Promise<Blog>;
  /** Applies `change` to the current blog and logs `blog.updated`; `change` runs again if the blog changed meanwhile. */
  changeBlog(blogId: string, change: (current: Blog) => BlogRecord, audit?: AuditStamp): Promise<BlogEvent>;

  getUpdate(blogId: string, updateId: string): Promise<Update | null>;
  /** The blog's pinned update, if it has one. */
  pinnedUpdate(blogId: string): Promise<Update | null>;
  /**
   * Stores a new update and logs `update.created`, atomically (pinned, it unpins the one before in the
   * same write). With an idempotency key already used on this blog, stores nothing: returns the update
   * that key created, as it is now, when the request was the same (its fingerprint); throws `conflict`
   * when it was not, or when that update has been deleted since.
   */
  createUpdate(update: Update, idempotency?: Idempotency, audit?: AuditStamp): Promise<CreatedUpdate>;
  /**
   * Replaces an update with what `change` returns (or deletes it on `null`) and logs `update.edited` or
   * `update.deleted`, atomically (pinning it unpins the blog's pinned update in the same write); `change` runs again if the update changed meanwhile. The replaced
   * state is kept as an earlier version.
   */
  changeUpdate(blogId: string, updateId: string, change: (current: Update) => Update | null, audit?: AuditStamp): Promise<ChangedUpdate>;
  /** Every version of an update, oldest first, the current one last. */
  listVersions(blogId: string, updateId: string): Promise<Update[]>;
  /** Newest first by `publishedAt`, with the blog's cursor read in the same instant. */
  listUpdates(blogId: string, page: PageRequest): Promise<UpdatePage>;
  /**
   * The update `updateId` among its neighbours, newest first: half of the rest of `limit` newer (fewer
   * when there are fewer), the others older, and `newer` counting the updates above the page. Null when
   * the blog has no such update (never had, or deleted).
   */
  listAround(blogId: string, updateId: string, limit: number): Promise<UpdatePage | null>;
  /** The same, of the updates marked `keyEvent` only. */
  listKeyEvents(blogId: string, page: PageRequest): Promise<UpdatePage>;
  /**
   * Every event after `cursor`, in order, at most `limit` and about `maxBytes` (at least one; `more`
   * says there are others); none without a cursor. Throws `cursor_expired` when the log no longer
   * reaches back to it.
   */
  eventsAfter(blogId: string, cursor: string | undefined, limit: number, maxBytes?: number): Promise<EventsPage>;
  /** The blog's last `count` events (fewer when it has fewer), with its cursor, read in one instant. */
  recentEvents(blogId: string, count: number): Promise<RecentEvents>;

  // The approval queue: contributors' entries, kept apart from the updates (never in the update list,
  // the log or the key events), so that nothing that reads for readers can ever come across one.
  /**
   * Queues an entry (status `pending`). Throws `blog_ended`, `conflict` (id taken, or the queue full).
   * With an idempotency key already used on this blog, stores nothing, as createUpdate: the entry that
   * key queued, as it is now (or the update it became once approved); `conflict` for another request
   * with the key, or when its entry is gone.
   */
  submitPending(entry: PendingUpdate, audit?: AuditStamp, idempotency?: Idempotency): Promise<SubmittedEntry>;
  /** The blog's queue, oldest first: pending and rejected entries (rejected ones until PENDING_REJECTED_TTL_MS). */
  listPending(blogId: string): Promise<PendingUpdate[]>;
  getPending(blogId: string, updateId: string): Promise<PendingUpdate | null>;
  /**
   * Replaces a pending entry (`change` runs again if it changed meanwhile); `conflict` once rejected,
   * unless `rejectedToo` (a takedown's sweep: a rejected entry is still read by its contributor).
   */
  changePending(
    blogId: string,
    updateId: string,
    change: (current: PendingUpdate) => PendingUpdate,
    audit?: AuditStamp,
    options?: { rejectedToo?: boolean },
  ): Promise<PendingUpdate>;
  /**
   * Publishes a pending entry as the update `publish` makes of it (same id), logging `update.created`
   * and taking it off the queue, atomically. Approved before: the update as it is now, no events.
   * Throws `conflict` for a rejected entry, `update_not_found` for none.
   */
  approvePending(blogId: string, updateId: string, publish: (entry: PendingUpdate) => Update, audit?: AuditStamp): Promise<ApprovedUpdate>;
  /** Marks a pending entry rejected with what `reject` makes of it. `conflict` when rejected or approved already. */
  rejectPending(
    blogId: string,
    updateId: string,
    reject: (entry: PendingUpdate) => PendingUpdate,
    audit?: AuditStamp,
  ): Promise<PendingUpdate>;

  // Pictures taken down (server/http/media.ts). From the moment a picture is marked, every write of an
  // update or a waiting entry that shows it or names it in its body (picturesIn) is refused with PictureTakenDown, in the same
  // atomic step as the write: a write prepared from the picture's record before the takedown cannot bring
  // it (its file, alt text or caption) back after the takedown's sweep went past; the writer prepares it
  // again, without the picture (LiveBlogs.prepare).
  /** Marks `mediaId` of the blog taken down, for good. */
  markTakenDown(blogId: string, mediaId: string): Promise<void>;
  /** Which of `mediaIds` of the blog are taken down. */
  takenDown(blogId: string, mediaIds: string[]): Promise<Set<string>>;
}

/** How long a rejected entry stays for its contributor to read why. */
export const PENDING_REJECTED_TTL_MS = 7 * 24 * 60 * 60 * 1000;
/** Entries waiting in one blog's queue at most (rejected ones are capped per contributor apart): contributors cannot grow it without end. */
export const PENDING_MAX = 500;
export const PENDING_DECIDED = 'this entry has been approved or rejected already';
export const PENDING_FULL = `this blog has ${PENDING_MAX} entries waiting: approve or reject some first`;

/** Whether a queued entry is still kept: pending, or rejected less than PENDING_REJECTED_TTL_MS ago. */
export function pendingKept(entry: PendingUpdate, now: number): boolean {
  return entry.status === 'pending' || Date.parse(entry.rejection?.at ?? '') + PENDING_REJECTED_TTL_MS > now;
}

/** A blog's latest events, oldest first, and its cursor (the last one's, or the head's without events). */
export interface RecentEvents {
  cursor: string;
  events: BlogEvent[];
}

export type TimelineErrorKind = 'blog_not_found' | 'update_not_found' | 'conflict' | 'blog_ended' | 'cursor_expired' | 'unavailable';

/** What a repeated Idempotency-Key is told when it cannot replay. */
export const IDEMPOTENCY_MISMATCH = 'this Idempotency-Key was sent before with a different update: use a new key for new content';
export const IDEMPOTENCY_GONE = 'the update this Idempotency-Key created has been deleted since';

export class TimelineError extends Error {
  constructor(
    readonly kind: TimelineErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TimelineError';
  }
}

/** How often a read-modify-write is retried when another writer got there first. */
export const MAX_WRITE_ATTEMPTS = 10;

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * A write refused because its body or HTML names a picture taken down since it was prepared: prepare it
 * again (the picture is marked now) and write again. Out of tries, the request gets a 409.
 */
export class PictureTakenDown extends TimelineError {
  constructor() {
    super('conflict', 'a picture it shows was taken down meanwhile: try again');
    this.name = 'PictureTakenDown';
  }
}

/** The in-process store's check, as the scripts' SHOWS_TAKEN_DOWN: throws PictureTakenDown. */
export function refuseTakenDown(takenDown: ReadonlySet<string>, written: { blogId: string; body: string; html: string }): void {
  if (takenDown.size && picturesIn(written.blogId, written.body, written.html).some((mediaId) => takenDown.has(mediaId))) {
    throw new PictureTakenDown();
  }
}
