/**
 * The Timeline in this process's memory: for trying the service on a machine without Redis. It keeps
 * nothing across a restart and is not shared between processes (start-up warns). Every method does its
 * whole change synchronously, which makes each as atomic as the Redis scripts.
 */
import { ORIGIN_TAG, parseCursor } from '../../shared/cursor';
import { updateOrderKey } from '../../shared/order';
import type { Blog, BlogEvent, EventsPage, PendingUpdate, Update, UpdatePage } from '../../shared/schemas';
import { MemoryAuditLog } from './audit';
import { blogChanged, blogCreated, serviceStamp, updateAutoUnpinned, updateChanged, updateCreated, type AuditStamp } from './audit-entries';
import { MemoryPending } from './pending';
import {
  headCursor,
  hydrate,
  newEpoch,
  newTag,
  originTag,
  storedForm,
  toBlog,
  toEvent,
  unpinned,
  verifyCursor,
  withinBytes,
  type LogHead,
  type LoggedEvent,
  type StoredEvent,
} from './log';
import {
  IDEMPOTENCY_GONE,
  IDEMPOTENCY_MISMATCH,
  IDEMPOTENCY_TTL_SECONDS,
  refuseTakenDown,
  TimelineError,
  type ApprovedUpdate,
  type Idempotency,
  type SubmittedEntry,
  type BlogRecord,
  type ChangedUpdate,
  type CreatedUpdate,
  type PageRequest,
  type RecentEvents,
  type Timeline,
} from './timeline';

interface StoredBlog {
  record: BlogRecord;
  head: LogHead;
  updates: Map<string, Update>;
  /** Logged events, oldest first; `log[i]` has seq `firstSeq + i`. */
  log: { stored: StoredEvent; tag: string; prevTag: string }[];
  firstSeq: number;
  idempotency: Map<string, { updateId: string; fingerprint: string; expiresAt: number }>;
  /** Earlier versions by update id, oldest first. */
  versions: Map<string, Update[]>;
  pinnedId?: string;
  /** The approval queue by entry id (see pending.ts). */
  pending: Map<string, PendingUpdate>;
  /** Media ids taken down (Timeline.markTakenDown). */
  takenDown: Set<string>;
}

export interface MemoryTimelineOptions {
  /** Events kept per blog. @default 5000 */
  historyLength: number;
  /** Where the blogs' audit entries go (the Stores' `audit`, so that it reads what the writes recorded). */
  audit?: MemoryAuditLog;
}

export class MemoryTimeline implements Timeline {
  readonly kind = 'memory' as const;
  private readonly blogs = new Map<string, StoredBlog>();

  readonly historyLength: number;
  readonly auditLog: MemoryAuditLog;
  private readonly queue: MemoryPending;

  constructor(private readonly options: MemoryTimelineOptions) {
    this.historyLength = options.historyLength;
    this.auditLog = options.audit ?? new MemoryAuditLog();
    this.queue = new MemoryPending(this.auditLog, {
      blog: (blogId) => this.blog(blogId),
      publish: (blog, update, audit) => this.store(blog as StoredBlog, update, audit, false),
    });
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  async listBlogs(): Promise<Blog[]> {
    return [...this.blogs.values()].reverse().map((blog) => toBlog(blog.record, blog.head));
  }

  async getBlog(blogId: string): Promise<Blog | null> {
    const blog = this.blogs.get(blogId);
    return blog ? toBlog(blog.record, blog.head) : null;
  }

  async createBlog(record: BlogRecord, audit: AuditStamp = serviceStamp()): Promise<Blog> {
    if (this.blogs.has(record.id)) throw new TimelineError('conflict', `blog ${record.id} exists`);
    const head = { epoch: newEpoch(), seq: 0, tag: ORIGIN_TAG };
    const blog: StoredBlog = {
      record: { ...record },
      head,
      updates: new Map(),
      log: [],
      firstSeq: 1,
      idempotency: new Map(),
      versions: new Map(),
      pending: new Map(),
      takenDown: new Set(),
    };
    this.blogs.set(record.id, blog);
    this.auditLog.append({ blogId: record.id }, blogCreated(audit, record));
    return toBlog(blog.record, head);
  }

  async changeBlog(blogId: string, change: (current: Blog) => BlogRecord, audit: AuditStamp = serviceStamp()): Promise<BlogEvent> {
    const blog = this.blog(blogId);
    const before = blog.record;
    blog.record = change(toBlog(blog.record, blog.head));
    this.auditLog.append({ blogId }, blogChanged(audit, before, blog.record));
    return this.append(blog, { type: 'blog.updated', blog: { ...blog.record, cursor: '' } });
  }

  async getUpdate(blogId: string, updateId: string): Promise<Update | null> {
    return this.blogs.get(blogId)?.updates.get(updateId) ?? null;
  }

  async pinnedUpdate(blogId: string): Promise<Update | null> {
    const blog = this.blogs.get(blogId);
    return (blog?.pinnedId && blog.updates.get(blog.pinnedId)) || null;
  }

  async createUpdate(update: Update, idempotency?: Idempotency, audit: AuditStamp = serviceStamp()): Promise<CreatedUpdate> {
    const blog = this.blog(update.blogId);
    const first = idempotency ? blog.idempotency.get(idempotency.key) : undefined;
    if (first && first.expiresAt > Date.now()) {
      if (first.fingerprint !== idempotency!.fingerprint) throw new TimelineError('conflict', IDEMPOTENCY_MISMATCH);
      const current = blog.updates.get(first.updateId);
      if (!current) throw new TimelineError('conflict', IDEMPOTENCY_GONE);
      return { update: current, events: [] };
    }
    if (blog.record.status === 'ended') throw new TimelineError('blog_ended', `blog ${update.blogId} has ended`);
    if (blog.updates.has(update.id)) throw new TimelineError('conflict', `update ${update.id} exists`);
    refuseTakenDown(blog.takenDown, update);
    if (idempotency) {
      blog.idempotency.set(idempotency.key, {
        updateId: update.id,
        fingerprint: idempotency.fingerprint,
        expiresAt: Date.now() + IDEMPOTENCY_TTL_SECONDS * 1000,
      });
    }
    return { update, events: this.store(blog, update, audit) };
  }

  /** Stores a new update with its events and audit entries (the unpin of the pinned one first). */
  private store(blog: StoredBlog, update: Update, audit: AuditStamp, recordCreated = true): BlogEvent[] {
    blog.updates.set(update.id, update);
    const unpinning = update.pinned ? this.pin(blog, update.id, audit) : [];
    // An approval records its own entry (update.approved) instead of update.created.
    if (recordCreated) this.auditLog.append({ blogId: blog.record.id }, updateCreated(audit, update));
    return [...unpinning, this.append(blog, { type: 'update.created', update })];
  }

  async changeUpdate(
    blogId: string,
    updateId: string,
    change: (current: Update) => Update | null,
    audit: AuditStamp = serviceStamp(),
  ): Promise<ChangedUpdate> {
    const blog = this.blog(blogId);
    const current = blog.updates.get(updateId);
    if (!current) throw new TimelineError('update_not_found', `no update ${updateId} in blog ${blogId}`);
    const next = change(current);
    if (next) refuseTakenDown(blog.takenDown, next);
    let unpinning: BlogEvent[] = [];
    if (next) {
      if (next.pinned) unpinning = this.pin(blog, updateId, audit);
      else if (blog.pinnedId === updateId) blog.pinnedId = undefined;
      blog.updates.set(updateId, next);
      blog.versions.set(updateId, [...(blog.versions.get(updateId) ?? []), current]);
    } else {
      blog.updates.delete(updateId);
      blog.versions.delete(updateId);
      if (blog.pinnedId === updateId) blog.pinnedId = undefined;
    }
    this.auditLog.append({ blogId }, updateChanged(audit, current, next));
    const event = this.append(blog, next ? { type: 'update.edited', update: next } : { type: 'update.deleted', updateId });
    return { events: unpinning.length ? [unpinning[0], event] : [event] };
  }

  async submitPending(entry: PendingUpdate, audit: AuditStamp = serviceStamp(), idempotency?: Idempotency): Promise<SubmittedEntry> {
    return this.queue.submit(entry, audit, idempotency);
  }

  async listPending(blogId: string): Promise<PendingUpdate[]> {
    return this.queue.list(blogId);
  }

  async getPending(blogId: string, updateId: string): Promise<PendingUpdate | null> {
    return this.queue.get(blogId, updateId);
  }

  async changePending(
    blogId: string,
    updateId: string,
    change: (current: PendingUpdate) => PendingUpdate,
    audit: AuditStamp = serviceStamp(),
    options: { rejectedToo?: boolean } = {},
  ): Promise<PendingUpdate> {
    return this.queue.change(blogId, updateId, change, audit, options.rejectedToo);
  }

  async approvePending(
    blogId: string,
    updateId: string,
    publish: (entry: PendingUpdate) => Update,
    audit: AuditStamp = serviceStamp(),
  ): Promise<ApprovedUpdate> {
    return this.queue.approve(blogId, updateId, publish, audit);
  }

  async rejectPending(
    blogId: string,
    updateId: string,
    reject: (entry: PendingUpdate) => PendingUpdate,
    audit: AuditStamp = serviceStamp(),
  ): Promise<PendingUpdate> {
    return this.queue.reject(blogId, updateId, reject, audit);
  }

  async markTakenDown(blogId: string, mediaId: string): Promise<void> {
    this.blog(blogId).takenDown.add(mediaId);
  }

  async takenDown(blogId: string, mediaIds: string[]): Promise<Set<string>> {
    const takenDown = this.blogs.get(blogId)?.takenDown;
    return new Set(mediaIds.filter((mediaId) => takenDown?.has(mediaId)));
  }

  async listVersions(blogId: string, updateId: string): Promise<Update[]> {
    const blog = this.blog(blogId);
    const current = blog.updates.get(updateId);
    if (!current) throw new TimelineError('update_not_found', `no update ${updateId} in blog ${blogId}`);
    return [...(blog.versions.get(updateId) ?? []), current];
  }

  /** Marks `updateId` as the blog's pinned update, unpinning the one before (logged first, as its own edit). */
  private pin(blog: StoredBlog, updateId: string, audit: AuditStamp): BlogEvent[] {
    const previous = blog.pinnedId && blog.pinnedId !== updateId ? blog.updates.get(blog.pinnedId) : undefined;
    blog.pinnedId = updateId;
    if (!previous) return [];
    const next = unpinned(previous);
    blog.updates.set(previous.id, next);
    blog.versions.set(previous.id, [...(blog.versions.get(previous.id) ?? []), previous]);
    this.auditLog.append({ blogId: blog.record.id }, updateAutoUnpinned(audit, previous, next));
    return [this.append(blog, { type: 'update.edited', update: next })];
  }

  async listUpdates(blogId: string, page: PageRequest): Promise<UpdatePage> {
    return this.page(blogId, page, () => true);
  }

  async listAround(blogId: string, updateId: string, limit: number): Promise<UpdatePage | null> {
    const ordered = this.ordered(blogId, () => true);
    const target = ordered.findIndex(({ update }) => update.id === updateId);
    if (target < 0) return null;
    const start = Math.max(0, target - Math.floor((limit - 1) / 2));
    const shown = ordered.slice(start, start + limit);
    return {
      updates: shown.map(({ update }) => update),
      cursor: this.cursorOf(blogId),
      ...(ordered.length > start + limit ? { next: shown[shown.length - 1].key } : {}),
      newer: start,
    };
  }

  async listKeyEvents(blogId: string, page: PageRequest): Promise<UpdatePage> {
    return this.page(blogId, page, (update) => update.keyEvent);
  }

  private page(blogId: string, page: PageRequest, include: (update: Update) => boolean): UpdatePage {
    const ordered = this.ordered(blogId, include).filter(({ key }) => !page.before || key < page.before);
    const shown = ordered.slice(0, page.limit);
    return {
      updates: shown.map(({ update }) => update),
      cursor: this.cursorOf(blogId),
      ...(ordered.length > page.limit ? { next: shown[shown.length - 1].key } : {}),
    };
  }

  /** The blog's updates that `include` takes, newest first, each with its order key. */
  private ordered(blogId: string, include: (update: Update) => boolean): { key: string; update: Update }[] {
    // Sorting on every read is fine at the sizes this store is for (a demo, a laptop).
    return [...this.blog(blogId).updates.values()]
      .filter(include)
      .map((update) => ({ key: updateOrderKey(update.publishedAt, update.id), update }))
      .sort((a, b) => (a.key < b.key ? 1 : -1));
  }

  private cursorOf(blogId: string): string {
    const blog = this.blog(blogId);
    return toBlog(blog.record, blog.head).cursor;
  }

  async eventsAfter(blogId: string, cursor: string | undefined, limit: number, maxBytes = Number.MAX_SAFE_INTEGER): Promise<EventsPage> {
    const blog = this.blog(blogId);
    const { head } = blog;
    if (!cursor) return { events: [], cursor: toBlog(blog.record, head).cursor };
    const seq = parseCursor(cursor)?.seq ?? -1;
    const tagAt = seq === 0 ? originTag(blog.log.length ? blog.firstSeq : undefined, head.seq) : blog.log[seq - blog.firstSeq]?.tag;
    const afterSeq = verifyCursor(cursor, head, tagAt);
    const start = afterSeq + 1;
    const events = withinBytes(
      blog.log.slice(start - blog.firstSeq, start - blog.firstSeq + limit).map((entry, i) => this.readBack(blog, start + i, entry)),
      maxBytes,
    );
    const last = events.at(-1);
    return {
      events,
      cursor: last ? last.cursor : cursor,
      ...(last && start + events.length - 1 < head.seq ? { more: true } : {}),
    };
  }

  async recentEvents(blogId: string, count: number): Promise<RecentEvents> {
    const blog = this.blog(blogId);
    const start = Math.max(blog.firstSeq, blog.head.seq - count + 1);
    const events = blog.log.slice(start - blog.firstSeq).map((entry, i) => this.readBack(blog, start + i, entry));
    return { cursor: headCursor(blog.head), events };
  }

  /** A logged event as readers get it back: its update as it is now (see hydrate). */
  private readBack(blog: StoredBlog, seq: number, entry: StoredBlog['log'][number]): BlogEvent {
    const updateId = entry.stored.updateId;
    const logged = hydrate(entry.stored, updateId ? (blog.updates.get(updateId) ?? null) : null);
    return toEvent(blog.record.id, blog.head.epoch, seq, entry.tag, entry.prevTag, logged);
  }

  private blog(blogId: string): StoredBlog {
    const blog = this.blogs.get(blogId);
    if (!blog) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
    return blog;
  }

  private append(blog: StoredBlog, logged: LoggedEvent): BlogEvent {
    const prevTag = blog.head.tag;
    blog.head = { epoch: blog.head.epoch, seq: blog.head.seq + 1, tag: newTag() };
    blog.log.push({ stored: storedForm(logged), tag: blog.head.tag, prevTag });
    // One more than the history, so that a reader exactly that far behind can still be verified.
    const excess = blog.log.length - this.options.historyLength - 1;
    if (excess > 0) {
      blog.log.splice(0, excess);
      blog.firstSeq += excess;
    }
    return toEvent(blog.record.id, blog.head.epoch, blog.head.seq, blog.head.tag, prevTag, logged);
  }
}
