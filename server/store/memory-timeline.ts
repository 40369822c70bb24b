/**
 * The Timeline in this process's memory: for trying the service on a machine without Redis. It keeps
 * nothing across a restart and is not shared between processes (start-up warns). Every method does its
 * whole change synchronously, which makes each as atomic as the Redis scripts.
 */
import { parseCursor } from '../../shared/cursor';
import { updateOrderKey } from '../../shared/order';
import type { Blog, BlogEvent, EventsPage, Update, UpdatePage } from '../../shared/schemas';
import { assertContiguous, newEpoch, seqAfter, toBlog, toEvent, type LoggedEvent } from './log';
import { IDEMPOTENCY_TTL_SECONDS, TimelineError, type BlogRecord, type ChangedUpdate, type CreatedUpdate, type PageRequest, type Timeline } from './timeline';

interface StoredBlog {
  record: BlogRecord;
  epoch: string;
  seq: number;
  updates: Map<string, Update>;
  /** Logged events, oldest first; `log[i]` has seq `firstSeq + i`. */
  log: LoggedEvent[];
  firstSeq: number;
  idempotency: Map<string, { update: Update; expiresAt: number }>;
  /** Earlier versions by update id, oldest first. */
  versions: Map<string, Update[]>;
  pinnedId?: string;
}

export interface MemoryTimelineOptions {
  /** Events kept per blog. @default 5000 */
  historyLength: number;
}

export class MemoryTimeline implements Timeline {
  readonly kind = 'memory' as const;
  private readonly blogs = new Map<string, StoredBlog>();

  constructor(private readonly options: MemoryTimelineOptions) {}

  async ping(): Promise<void> {}

  async close(): Promise<void> {}

  async listBlogs(): Promise<Blog[]> {
    return [...this.blogs.values()].reverse().map((blog) => toBlog(blog.record, blog.epoch, blog.seq));
  }

  async getBlog(blogId: string): Promise<Blog | null> {
    const blog = this.blogs.get(blogId);
    return blog ? toBlog(blog.record, blog.epoch, blog.seq) : null;
  }

  async createBlog(record: BlogRecord): Promise<Blog> {
    if (this.blogs.has(record.id)) throw new TimelineError('conflict', `blog ${record.id} exists`);
    const blog: StoredBlog = { record: { ...record }, epoch: newEpoch(), seq: 0, updates: new Map(), log: [], firstSeq: 1, idempotency: new Map(), versions: new Map() };
    this.blogs.set(record.id, blog);
    return toBlog(blog.record, blog.epoch, 0);
  }

  async updateBlog(blogId: string, change: (current: Blog) => BlogRecord): Promise<BlogEvent> {
    const blog = this.blog(blogId);
    blog.record = change(toBlog(blog.record, blog.epoch, blog.seq));
    return this.append(blog, { type: 'blog.updated', blog: { ...blog.record, cursor: '' } });
  }

  async getUpdate(blogId: string, updateId: string): Promise<Update | null> {
    return this.blogs.get(blogId)?.updates.get(updateId) ?? null;
  }

  async pinnedUpdate(blogId: string): Promise<Update | null> {
    const blog = this.blogs.get(blogId);
    return (blog?.pinnedId && blog.updates.get(blog.pinnedId)) || null;
  }

  async createUpdate(update: Update, idempotencyKey?: string): Promise<CreatedUpdate> {
    const blog = this.blog(update.blogId);
    const first = idempotencyKey ? blog.idempotency.get(idempotencyKey) : undefined;
    if (first && first.expiresAt > Date.now()) return { update: first.update };
    if (blog.record.status === 'ended') throw new TimelineError('blog_ended', `blog ${update.blogId} has ended`);
    if (blog.updates.has(update.id)) throw new TimelineError('conflict', `update ${update.id} exists`);
    blog.updates.set(update.id, update);
    if (idempotencyKey) blog.idempotency.set(idempotencyKey, { update, expiresAt: Date.now() + IDEMPOTENCY_TTL_SECONDS * 1000 });
    const previouslyPinned = update.pinned ? this.pin(blog, update.id) : undefined;
    return { update, event: this.append(blog, { type: 'update.created', update }), ...(previouslyPinned ? { previouslyPinned } : {}) };
  }

  async changeUpdate(blogId: string, updateId: string, change: (current: Update) => Update | null): Promise<ChangedUpdate> {
    const blog = this.blog(blogId);
    const current = blog.updates.get(updateId);
    if (!current) throw new TimelineError('update_not_found', `no update ${updateId} in blog ${blogId}`);
    const next = change(current);
    let previouslyPinned: string | undefined;
    if (next) {
      blog.updates.set(updateId, next);
      blog.versions.set(updateId, [...(blog.versions.get(updateId) ?? []), current]);
      if (next.pinned) previouslyPinned = this.pin(blog, updateId);
      else if (blog.pinnedId === updateId) blog.pinnedId = undefined;
    } else {
      blog.updates.delete(updateId);
      blog.versions.delete(updateId);
      if (blog.pinnedId === updateId) blog.pinnedId = undefined;
    }
    const event = this.append(blog, next ? { type: 'update.edited', update: next } : { type: 'update.deleted', updateId });
    return { event, ...(previouslyPinned ? { previouslyPinned } : {}) };
  }

  async listVersions(blogId: string, updateId: string): Promise<Update[]> {
    const blog = this.blog(blogId);
    const current = blog.updates.get(updateId);
    if (!current) throw new TimelineError('update_not_found', `no update ${updateId} in blog ${blogId}`);
    return [...(blog.versions.get(updateId) ?? []), current];
  }

  /** Marks `updateId` as the blog's pinned update; returns the one pinned before, if another. */
  private pin(blog: StoredBlog, updateId: string): string | undefined {
    const previous = blog.pinnedId;
    blog.pinnedId = updateId;
    return previous && previous !== updateId ? previous : undefined;
  }

  async listUpdates(blogId: string, page: PageRequest): Promise<UpdatePage> {
    return this.page(blogId, page, () => true);
  }

  async listKeyEvents(blogId: string, page: PageRequest): Promise<UpdatePage> {
    return this.page(blogId, page, (update) => update.keyEvent);
  }

  private page(blogId: string, page: PageRequest, include: (update: Update) => boolean): UpdatePage {
    const blog = this.blog(blogId);
    // Sorting on every read is fine at the sizes this store is for (a demo, a laptop).
    const ordered = [...blog.updates.values()]
      .filter(include)
      .map((update) => ({ key: updateOrderKey(update.publishedAt, update.id), update }))
      .filter(({ key }) => !page.before || key < page.before)
      .sort((a, b) => (a.key < b.key ? 1 : -1));
    const shown = ordered.slice(0, page.limit);
    return {
      updates: shown.map(({ update }) => update),
      cursor: toBlog(blog.record, blog.epoch, blog.seq).cursor,
      ...(ordered.length > page.limit ? { next: shown[shown.length - 1].key } : {}),
    };
  }

  async eventsAfter(blogId: string, cursor: string | undefined, limit: number): Promise<EventsPage> {
    const blog = this.blog(blogId);
    if (!cursor) return { events: [], cursor: toBlog(blog.record, blog.epoch, blog.seq).cursor };
    const afterSeq = seqAfter(cursor, blog.epoch, blog.seq);
    const start = Math.max(afterSeq + 1, blog.firstSeq);
    const events = blog.log
      .slice(start - blog.firstSeq, start - blog.firstSeq + limit)
      .map((logged, i) => toEvent(blogId, blog.epoch, start + i, logged));
    assertContiguous(afterSeq, blog.seq, events.length ? start : undefined);
    const last = events.at(-1);
    return {
      events,
      cursor: last ? last.cursor : cursor,
      ...(last && parseCursor(last.cursor)!.seq < blog.seq ? { more: true } : {}),
    };
  }

  private blog(blogId: string): StoredBlog {
    const blog = this.blogs.get(blogId);
    if (!blog) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
    return blog;
  }

  private append(blog: StoredBlog, logged: LoggedEvent): BlogEvent {
    blog.seq += 1;
    blog.log.push(logged);
    const excess = blog.log.length - this.options.historyLength;
    if (excess > 0) {
      blog.log.splice(0, excess);
      blog.firstSeq += excess;
    }
    return toEvent(blog.record.id, blog.epoch, blog.seq, logged);
  }
}
