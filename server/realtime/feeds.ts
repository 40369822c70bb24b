/**
 * Each process follows the logs of the blogs its readers watch, and hands every event on exactly once,
 * in order, whichever way it learnt of it:
 * - at once, from a write this process made, or from another process over the bus (the fast path);
 * - within POLL_INTERVAL_MS, from the log itself, when neither told it (the bus was cut off, a write
 *   answered 503 yet was stored): every followed blog's log is read after this process's cursor.
 * An event that does not follow on from the cursor is not handed on; what is missing is read from the
 * log first. A log that no longer holds the cursor (the store lost its tail in a failover, or history
 * was trimmed) starts the feed again from the store's head and tells the blog's readers (`blog:head`),
 * who then find out by cursor whether they hold something the store no longer has.
 *
 * Each feed also keeps the blog's recent events, so that readers (re)subscribing a few events behind
 * are answered from memory: a storm of reconnecting readers costs Redis one read per blog per process
 * (single flight), not one per reader. Like the store's log, they never hand back what was deleted or
 * corrected away: an edit or a deletion rewrites the earlier events of its update (see takeDown).
 */
import { parseCursor } from '../../shared/cursor';
import type { BlogEvent, EventsPage } from '../../shared/schemas';
import type { Logger } from '../logger';
import { eventBytes, withinBytes } from '../store/log';
import { TimelineError, type Timeline } from '../store/timeline';

/** How often each followed blog's log is read for events no message told of. */
export const POLL_INTERVAL_MS = 1_000;
/** Recent events kept per followed blog… */
export const RECENT_EVENTS = 200;
/** …and at most this many bytes of them (JSON), whichever comes first… */
export const RECENT_BYTES = 1_000_000;
/** …and all feeds together at most this many: with many blogs followed, each keeps less. */
export const RECENT_BYTES_TOTAL = 64_000_000;
/** A read of the log by the feed takes at most this many events and about this many bytes at a time. */
const READ_EVENTS = 200;
const READ_BYTES = 4_000_000;
/** A feed without readers is kept this long (readers reconnecting after a blip find it warm). */
export const IDLE_FEED_MS = 30_000;

interface Feed {
  blogId: string;
  /** The last event handed on (or the head when the feed started). */
  cursor: string;
  /** Recent events, oldest first, the last one at `cursor`. */
  recent: BlogEvent[];
  recentBytes: number;
  /** The log read in flight (start or catch-up): at most one per blog. */
  reading?: Promise<void>;
  /** Another read is wanted once the one in flight is done. */
  readAgain: boolean;
  idleSince?: number;
}

export interface FeedsDeps {
  timeline: Timeline;
  logger: Logger;
  /** Every new event of a followed blog, once, in order. */
  deliver(event: BlogEvent): void;
  /** The blog's log went back (or jumped): its readers should check their cursors. */
  reset(blogId: string, cursor: string): void;
  /** Whether this process still has readers of the blog. */
  watched(blogId: string): boolean;
}

export class Feeds {
  private readonly feeds = new Map<string, Feed>();
  private readonly starting = new Map<string, Promise<Feed>>();
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(private readonly deps: FeedsDeps) {
    this.timer = setInterval(() => this.pollAll(), POLL_INTERVAL_MS);
    this.timer.unref();
  }

  /**
   * An event that was stored: handed on when it follows this process's cursor, read from the log
   * (with whatever came before it) when it does not; ignored when no reader here follows its blog.
   * Returns whether the blog is followed here, so that every new event of it goes through `deliver`.
   */
  offer(event: BlogEvent): boolean {
    const feed = this.feeds.get(event.blogId);
    if (!feed) {
      // Starting: the read in flight may have been too early for this event. (A start that fails is
      // answered to the readers who asked for it; there is nothing to offer to then.)
      this.starting.get(event.blogId)?.then(
        () => this.offer(event),
        () => undefined,
      );
      return false;
    }
    if (event.prev === feed.cursor) this.append(feed, [event]);
    else if (isAfterOrDiverged(event.cursor, feed.cursor)) this.read(feed);
    return true;
  }

  /**
   * What a reader subscribing at `cursor` missed, at most `limit` events: from the recent events when
   * they reach back to it, else from the store. Starts following the blog.
   */
  async catchUp(blogId: string, cursor: string | undefined, limit: number, maxBytes: number): Promise<EventsPage> {
    const feed = this.feeds.get(blogId) ?? (await this.start(blogId));
    feed.idleSince = undefined;
    if (!cursor || cursor === feed.cursor) return { events: [], cursor: cursor ?? feed.cursor };
    // Never further back than the store would serve: a reader that far behind reloads on every process.
    const from = feed.recent.findIndex((event, i) => event.prev === cursor && feed.recent.length - i <= this.deps.timeline.historyLength);
    if (from >= 0) {
      const events = withinBytes(feed.recent.slice(from, from + limit), maxBytes);
      return { events, cursor: events.at(-1)!.cursor, ...(from + events.length < feed.recent.length ? { more: true } : {}) };
    }
    // Older than what is kept, ahead of this process, or unknown: the store decides.
    return this.deps.timeline.eventsAfter(blogId, cursor, limit, maxBytes);
  }

  /** Reads every followed blog's log now (after the bus was cut off); drops feeds idle too long. */
  pollAll(): void {
    const now = Date.now();
    for (const feed of this.feeds.values()) {
      if (this.deps.watched(feed.blogId)) feed.idleSince = undefined;
      else if (feed.idleSince === undefined) feed.idleSince = now;
      else if (now - feed.idleSince > IDLE_FEED_MS) {
        this.feeds.delete(feed.blogId);
        continue;
      }
      this.read(feed);
    }
  }

  close(): void {
    clearInterval(this.timer);
  }

  /** Starts following a blog from its recent events: one read however many readers ask at once. */
  private start(blogId: string): Promise<Feed> {
    let starting = this.starting.get(blogId);
    if (!starting) {
      starting = this.deps.timeline
        .recentEvents(blogId, RECENT_EVENTS)
        .then(({ cursor, events }) => {
          const feed: Feed = { blogId, cursor, recent: [], recentBytes: 0, readAgain: false };
          this.keep(feed, events);
          this.feeds.set(blogId, feed);
          return feed;
        })
        .finally(() => this.starting.delete(blogId));
      this.starting.set(blogId, starting);
    }
    return starting;
  }

  /** Reads the log after the feed's cursor and hands on what is new; one read at a time per blog. */
  private read(feed: Feed): void {
    if (feed.reading) {
      feed.readAgain = true;
      return;
    }
    feed.readAgain = false;
    feed.reading = this.readOnce(feed).finally(() => {
      feed.reading = undefined;
      if (feed.readAgain && this.feeds.get(feed.blogId) === feed) this.read(feed);
    });
  }

  private async readOnce(feed: Feed): Promise<void> {
    try {
      for (;;) {
        const page = await this.deps.timeline.eventsAfter(feed.blogId, feed.cursor, READ_EVENTS, READ_BYTES);
        this.append(
          feed,
          page.events.filter((event) => isAfterOrDiverged(event.cursor, feed.cursor)),
        );
        if (!page.more) return;
      }
    } catch (error) {
      if (error instanceof TimelineError && error.kind === 'cursor_expired') return this.restart(feed);
      if (error instanceof TimelineError && error.kind === 'blog_not_found') {
        this.feeds.delete(feed.blogId);
        return;
      }
      // Redis away: the next poll tries again.
      if (!(error instanceof TimelineError && error.kind === 'unavailable'))
        this.deps.logger.error({ err: error, blogId: feed.blogId }, 'feed: reading the log failed');
    }
  }

  /** The log no longer holds our cursor: start again from its head, and have the readers check theirs. */
  private async restart(feed: Feed): Promise<void> {
    this.deps.logger.warn(
      { blogId: feed.blogId, cursor: feed.cursor },
      'feed: the blog’s log no longer holds this process’s cursor; starting again from its head',
    );
    const { cursor, events } = await this.deps.timeline.recentEvents(feed.blogId, RECENT_EVENTS);
    feed.cursor = cursor;
    feed.recent = [];
    feed.recentBytes = 0;
    this.keep(feed, events);
    this.deps.reset(feed.blogId, cursor);
  }

  private append(feed: Feed, events: BlogEvent[]): void {
    for (const event of events) {
      if (event.prev !== feed.cursor) {
        // Not the next one: read the log from our cursor instead (it has everything in order).
        this.read(feed);
        return;
      }
      this.keep(feed, [event]);
      this.deps.deliver(event);
    }
  }

  /** Adds events to the recent ones, dropping the oldest beyond the bounds, and moves the cursor. */
  private keep(feed: Feed, events: BlogEvent[]): void {
    for (const event of events) {
      takeDown(feed, event);
      feed.recent.push(event);
      feed.recentBytes += eventBytes(event);
      feed.cursor = event.cursor;
    }
    const budget = Math.min(RECENT_BYTES, RECENT_BYTES_TOTAL / Math.max(1, this.feeds.size));
    while (feed.recent.length > RECENT_EVENTS || (feed.recentBytes > budget && feed.recent.length > 1)) {
      feed.recentBytes -= eventBytes(feed.recent.shift()!);
    }
  }
}

/** An edit or a deletion rewrites the earlier events of its update: they carry its current state, or its deletion. */
function takeDown(feed: Feed, event: BlogEvent): void {
  if (event.type !== 'update.edited' && event.type !== 'update.deleted') return;
  const updateId = event.update?.id ?? event.updateId;
  for (let i = 0; i < feed.recent.length; i++) {
    const older = feed.recent[i];
    if ((older.update?.id ?? older.updateId) !== updateId) continue;
    const { blogId, cursor, prev } = older;
    const rewritten: BlogEvent = event.update
      ? { ...older, update: event.update }
      : { blogId, cursor, prev, type: 'update.deleted', updateId };
    feed.recentBytes += eventBytes(rewritten) - eventBytes(older);
    feed.recent[i] = rewritten;
  }
}

/** Whether `cursor` is later than `than`, or names another history (same seq or epoch, another event). */
function isAfterOrDiverged(cursor: string, than: string): boolean {
  const a = parseCursor(cursor);
  const b = parseCursor(than);
  if (!a || !b) return false;
  return a.epoch !== b.epoch || a.seq > b.seq || (a.seq === b.seq && a.tag !== b.tag);
}
