/**
 * The outbox: hands every blog's logged events, in order and at least once, to what sends them beyond
 * the service (webhooks, Web Push), whichever process stored them, even one that died right after.
 *
 * Per blog and handler, Redis keeps the cursor of the last event handed over
 * (`<prefix>blog:{id}:outbox:<handler>`, in the blog's slot: a handler that keeps failing holds back
 * only itself). The process that stored events kicks their blog at once (the fast path: milliseconds);
 * every SWEEP_MS one process (whoever takes a short lock) compares every blog's head with its outbox
 * cursor and catches up the blogs left behind (by a crash between a write and its kick, or a handler
 * that failed). The cursor moves on only after every handler took the events, so an event may be handed
 * over twice but never skipped: handlers are idempotent (they enqueue jobs whose ids come from the
 * event's cursor, which BullMQ does not add twice).
 *
 * Only what the log holds leaves: published updates, never the approval queue's entries; and a job
 * carries an event's reference, its sender reading the update as it is when it sends (so a deletion
 * meanwhile is a takedown there too).
 *
 * Written here rather than taken from a library: the outbox pattern needs the log's own cursors, and
 * BullMQ's job ids give the idempotence.
 */
import type { BlogEvent } from '../../shared/schemas';
import type { Logger } from '../logger';
import type { SharedRedis } from '../store/open';
import { TimelineError, type Timeline } from '../store/timeline';

export interface OutboxHandler {
  /** Names the handler in logs. */
  readonly name: string;
  /** Takes a blog's next events, in order; throws to have them offered again. May see an event twice. */
  handle(events: BlogEvent[]): Promise<void>;
}

/** How often one process looks for blogs whose events were not all handed over. */
export const SWEEP_MS = 10_000;
/** Events read from a log at a time. */
const PAGE = 200;

export interface OutboxOptions {
  /** @default SWEEP_MS */
  sweepMs?: number;
}

export class Outbox {
  /** Per blog, the last of its runs queued: a blog's runs go one after another. */
  private readonly tails = new Map<string, Promise<void>>();
  /** Blogs with a kick queued and not started: another kick meanwhile would find nothing more. */
  private readonly queued = new Set<string>();
  private readonly timer: ReturnType<typeof setInterval>;
  private closed = false;
  private readonly sweepMs: number;

  constructor(
    private readonly deps: { redis: SharedRedis; timeline: Timeline; logger: Logger; handlers: OutboxHandler[] },
    options: OutboxOptions = {},
  ) {
    this.sweepMs = options.sweepMs ?? SWEEP_MS;
    this.timer = setInterval(() => void this.sweep(), this.sweepMs);
    this.timer.unref();
  }

  /** Each handler's own cursor: one that keeps failing holds back only itself. */
  private key(blogId: string, handler: OutboxHandler): string {
    return `${this.deps.redis.prefix}blog:{${blogId}}:outbox:${handler.name}`;
  }

  private serial(blogId: string, task: () => Promise<void>): Promise<void> {
    const run = (this.tails.get(blogId) ?? Promise.resolve())
      .then(task)
      .catch((error: unknown) => this.deps.logger.error({ err: error, blogId }, 'outbox: events not handed over yet; the sweep retries'))
      .finally(() => {
        if (this.tails.get(blogId) === run) this.tails.delete(blogId);
      });
    this.tails.set(blogId, run);
    return run;
  }

  /**
   * A blog was created: its outbox starts at its first cursor, so that its first events are not missed
   * (a blog that existed before this feature starts where its log stood when the outbox first saw it).
   */
  created(blogId: string, cursor: string): Promise<void> {
    return this.serial(blogId, async () => {
      for (const handler of this.deps.handlers) await this.deps.redis.writer.set(this.key(blogId, handler), cursor, 'NX');
    });
  }

  /**
   * Events were stored on `blogId`: hand them over now. `after` is the cursor before the first of them:
   * where a blog the outbox has not seen yet starts (its head would already be past them).
   */
  kick(blogId: string, after?: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.queued.has(blogId) && !after) return this.tails.get(blogId) ?? Promise.resolve();
    this.queued.add(blogId);
    return this.serial(blogId, () => {
      this.queued.delete(blogId);
      return this.drain(blogId, after);
    });
  }

  private async drain(blogId: string, after?: string): Promise<void> {
    const failures: unknown[] = [];
    // Each handler from its own cursor, so that one failing (its queue down) does not hold back the others.
    for (const handler of this.deps.handlers) await this.drainFor(blogId, handler, after).catch((error: unknown) => failures.push(error));
    if (failures.length) throw failures[0];
  }

  private async drainFor(blogId: string, handler: OutboxHandler, after?: string): Promise<void> {
    const { redis, timeline, logger } = this.deps;
    const key = this.key(blogId, handler);
    let cursor = await redis.client.get(key);
    if (cursor === null) {
      const start = after ?? (await timeline.getBlog(blogId))?.cursor;
      if (!start) return;
      await redis.writer.set(key, start, 'NX');
      cursor = (await redis.client.get(key)) ?? start;
    }
    for (;;) {
      let page;
      try {
        page = await timeline.eventsAfter(blogId, cursor, PAGE);
      } catch (error) {
        if (!(error instanceof TimelineError && error.kind === 'cursor_expired')) throw error;
        // The log no longer reaches back to where the outbox stood (a long outage, or a log rebuilt):
        // what fell off cannot be sent; start again at the head, and say so.
        const head = (await timeline.recentEvents(blogId, 0)).cursor;
        logger.error(
          { blogId, handler: handler.name, from: cursor, to: head },
          'outbox: events fell off the log before they were handed over; skipping to the head',
        );
        await redis.writer.set(key, head);
        return;
      }
      if (page.events.length === 0) return;
      await handler.handle(page.events);
      await redis.writer.set(key, page.cursor);
      cursor = page.cursor;
      if (!page.more) return;
    }
  }

  /** One process at a time: catches up every blog whose head moved past its outbox cursor. */
  async sweep(): Promise<void> {
    const { redis, timeline, logger } = this.deps;
    try {
      const lock = await redis.writer.set(`${redis.prefix}outbox-sweep`, '1', 'PX', Math.max(100, this.sweepMs - 500), 'NX');
      if (lock !== 'OK') return;
      const blogs = await timeline.listBlogs();
      for (const blog of blogs) {
        if (this.closed) return;
        // One read: a blog's cursors share its slot.
        const cursors = await redis.client.mget(this.deps.handlers.map((handler) => this.key(blog.id, handler)));
        if (cursors.some((cursor) => cursor !== blog.cursor)) await this.kick(blog.id);
      }
    } catch (error) {
      logger.error({ err: error }, 'outbox sweep failed; trying again at the next');
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.tails.values()]);
  }
}
