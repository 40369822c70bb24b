/** The Timeline on Redis: every command the service sends to Redis is in this file and its scripts. */
import { ReplyError, type Redis } from 'ioredis';
import type { Blog, BlogEvent, EventsPage, Update, UpdatePage } from '../../shared/schemas';
import { formatCursor, parseCursor } from '../../shared/cursor';
import { updateOrderKey } from '../../shared/order';
import { redisKeys, type Keys } from './keys';
import { assertContiguous, newEpoch, seqAfter, toBlog, toEvent, type LoggedEvent } from './log';
import { CHANGE_UPDATE, CREATE_BLOG, CREATE_UPDATE, EVENTS_AFTER, LIST_UPDATES, UPDATE_BLOG } from './redis-scripts';
import {
  IDEMPOTENCY_TTL_SECONDS,
  MAX_WRITE_ATTEMPTS,
  TimelineError,
  type BlogRecord,
  type ChangedUpdate,
  type CreatedUpdate,
  type PageRequest,
  type Timeline,
  type TimelineErrorKind,
} from './timeline';

export interface RedisTimelineOptions {
  /** Prefix of every key, so that several services or test runs share one Redis. @default 'lb:' */
  prefix: string;
  /** Events kept per blog; a reader further behind than this reloads. @default 5000 */
  historyLength: number;
}

type StreamEntry = [id: string, fields: string[]];

const SCRIPT_ERRORS: Record<string, TimelineErrorKind | 'stale'> = {
  LB_BLOG_NOT_FOUND: 'blog_not_found',
  LB_UPDATE_NOT_FOUND: 'update_not_found',
  LB_CONFLICT: 'conflict',
  LB_BLOG_ENDED: 'blog_ended',
  LB_STALE: 'stale',
};

class StaleWrite extends Error {}

export class RedisTimeline implements Timeline {
  readonly kind = 'redis' as const;
  private readonly keys: Keys;

  constructor(
    readonly redis: Redis,
    private readonly options: RedisTimelineOptions,
  ) {
    this.keys = redisKeys(options.prefix);
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  async listBlogs(): Promise<Blog[]> {
    return this.call(async () => {
      const ids = await this.redis.zrange(this.keys.blogIndex, 0, -1, 'REV');
      const hashes = await readHashes(this.redis, ids.map((id) => this.keys.blog(id)));
      return hashes.flatMap((fields) => blogFromHash(fields) ?? []);
    });
  }

  async getBlog(blogId: string): Promise<Blog | null> {
    return this.call(async () => blogFromHash(await this.redis.hgetall(this.keys.blog(blogId))));
  }

  async createBlog(record: BlogRecord): Promise<Blog> {
    const epoch = newEpoch();
    await this.call(() =>
      CREATE_BLOG.run(this.redis, [this.keys.blog(record.id), this.keys.blogIndex], [
        record.id,
        record.title,
        record.description ?? '',
        record.createdAt,
        epoch,
        Date.parse(record.createdAt),
      ]),
    );
    return toBlog(record, epoch, 0);
  }

  async updateBlog(blogId: string, change: (current: Blog) => BlogRecord): Promise<BlogEvent> {
    return this.retryStale(async () => {
      const fields = await this.redis.hgetall(this.keys.blog(blogId));
      const current = blogFromHash(fields);
      if (!current) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
      const next = change(current);
      const logged: LoggedEvent = { type: 'blog.updated', blog: { ...next, cursor: '' } };
      const [epoch, seq] = (await (UPDATE_BLOG.run(this.redis, [this.keys.blog(blogId), this.keys.events(blogId)], [
        fields.rev,
        next.title,
        next.description ?? '',
        next.status,
        next.updatedAt,
        JSON.stringify(logged),
        this.options.historyLength,
      ]))) as [string, number];
      return toEvent(blogId, epoch, seq, logged);
    });
  }

  async getUpdate(blogId: string, updateId: string): Promise<Update | null> {
    return this.call(async () => {
      const json = await this.redis.hget(this.keys.updates(blogId), updateId);
      return json ? (JSON.parse(json) as Update) : null;
    });
  }

  async pinnedUpdate(blogId: string): Promise<Update | null> {
    return this.call(async () => {
      const pinnedId = await this.redis.hget(this.keys.blog(blogId), 'pinnedId');
      return pinnedId ? this.getUpdate(blogId, pinnedId) : null;
    });
  }

  async createUpdate(update: Update, idempotencyKey?: string): Promise<CreatedUpdate> {
    const { blogId } = update;
    const logged: LoggedEvent = { type: 'update.created', update };
    const updateJson = JSON.stringify(update);
    const reply = (await this.call(() =>
      (CREATE_UPDATE.run(
        this.redis,
        [
          this.keys.blog(blogId),
          this.keys.updates(blogId),
          this.keys.order(blogId),
          this.keys.events(blogId),
          idempotencyKey ? this.keys.idempotency(blogId, idempotencyKey) : this.keys.blog(blogId),
          this.keys.keyEvents(blogId),
        ],
        [
          update.id,
          updateJson,
          updateOrderKey(update.publishedAt, update.id),
          JSON.stringify(logged),
          this.options.historyLength,
          IDEMPOTENCY_TTL_SECONDS,
          idempotencyKey ? '1' : '0',
          update.pinned ? '1' : '0',
          update.keyEvent ? '1' : '0',
        ],
      )),
    )) as ['created', string, number, string] | ['replayed', string];
    if (reply[0] === 'replayed') return { update: JSON.parse(reply[1]) as Update };
    return { update, event: toEvent(blogId, reply[1], reply[2], logged), ...(reply[3] ? { previouslyPinned: reply[3] } : {}) };
  }

  async changeUpdate(blogId: string, updateId: string, change: (current: Update) => Update | null): Promise<ChangedUpdate> {
    return this.retryStale(async () => {
      const current = await this.getUpdate(blogId, updateId);
      if (!current) {
        const blogExists = await this.redis.exists(this.keys.blog(blogId));
        throw blogExists
          ? new TimelineError('update_not_found', `no update ${updateId} in blog ${blogId}`)
          : new TimelineError('blog_not_found', `no blog ${blogId}`);
      }
      const next = change(current);
      const logged: LoggedEvent = next ? { type: 'update.edited', update: next } : { type: 'update.deleted', updateId };
      const [epoch, seq, previouslyPinned] = (await (CHANGE_UPDATE.run(
        this.redis,
        [this.keys.blog(blogId), this.keys.updates(blogId), this.keys.order(blogId), this.keys.events(blogId), this.keys.versions(blogId, updateId), this.keys.keyEvents(blogId)],
        [
          updateId,
          current.version,
          next ? JSON.stringify(next) : '',
          updateOrderKey(current.publishedAt, current.id),
          next ? updateOrderKey(next.publishedAt, next.id) : '',
          JSON.stringify(logged),
          this.options.historyLength,
          next?.pinned ? '1' : '0',
          next?.keyEvent ? '1' : '0',
        ],
      ))) as [string, number, string];
      return { event: toEvent(blogId, epoch, seq, logged), ...(previouslyPinned ? { previouslyPinned } : {}) };
    });
  }

  async listVersions(blogId: string, updateId: string): Promise<Update[]> {
    return this.call(async () => {
      const [[, current], [, earlier]] = (await this.redis
        .multi()
        .hget(this.keys.updates(blogId), updateId)
        .lrange(this.keys.versions(blogId, updateId), 0, -1)
        .exec()) as [[Error | null, string | null], [Error | null, string[]]];
      if (!current) throw new TimelineError('update_not_found', `no update ${updateId} in blog ${blogId}`);
      return [...earlier, current].map((json) => JSON.parse(json) as Update);
    });
  }

  async listUpdates(blogId: string, page: PageRequest): Promise<UpdatePage> {
    return this.page(blogId, this.keys.order(blogId), page);
  }

  async listKeyEvents(blogId: string, page: PageRequest): Promise<UpdatePage> {
    return this.page(blogId, this.keys.keyEvents(blogId), page);
  }

  /** A page of the updates whose order keys are in `orderSet`, newest first. */
  private async page(blogId: string, orderSet: string, page: PageRequest): Promise<UpdatePage> {
    return this.call(async () => {
      const reply = (await LIST_UPDATES.run(
        this.redis,
        [this.keys.blog(blogId), this.keys.updates(blogId), orderSet],
        [page.limit + 1, page.before ?? ''],
      )) as [string, number, string[], (string | null)[]] | null;
      if (!reply) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
      const [epoch, seq, orderKeys, items] = reply;
      const updates = items.slice(0, page.limit).flatMap((json) => (json ? [JSON.parse(json) as Update] : []));
      return {
        updates,
        cursor: formatCursor(epoch, seq),
        ...(orderKeys.length > page.limit ? { next: orderKeys[page.limit - 1] } : {}),
      };
    });
  }

  async eventsAfter(blogId: string, cursor: string | undefined, limit: number): Promise<EventsPage> {
    return this.call(async () => {
      const requested = cursor ? parseCursor(cursor) : null;
      const reply = (await EVENTS_AFTER.run(this.redis, [this.keys.blog(blogId), this.keys.events(blogId)], [
        requested?.seq ?? Number.MAX_SAFE_INTEGER,
        limit,
      ])) as [string, number, StreamEntry[]] | null;
      if (!reply) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
      const [epoch, lastSeq, entries] = reply;
      if (!cursor) return { events: [], cursor: formatCursor(epoch, lastSeq) };
      const afterSeq = seqAfter(cursor, epoch, lastSeq);
      const events = entries.map(([id, fields]) => toEvent(blogId, epoch, seqOf(id), JSON.parse(fields[1]) as LoggedEvent));
      assertContiguous(afterSeq, lastSeq, entries.length ? seqOf(entries[0][0]) : undefined);
      const last = events.at(-1);
      return {
        events,
        cursor: last ? last.cursor : cursor,
        ...(last && parseCursor(last.cursor)!.seq < lastSeq ? { more: true } : {}),
      };
    });
  }

  /** Runs Redis work, turning connection failures into `unavailable` and script replies into their kinds. */
  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      throw translateRedisError(error);
    }
  }

  private async retryStale<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await this.call(attempt);
      } catch (error) {
        if (!(error instanceof StaleWrite)) throw error;
        if (i >= MAX_WRITE_ATTEMPTS) throw new TimelineError('conflict', 'too many concurrent changes: try again');
      }
    }
  }
}

/** HGETALL of many keys in one round trip. */
export async function readHashes(redis: Redis, keys: string[]): Promise<Record<string, string>[]> {
  const pipeline = redis.pipeline();
  for (const key of keys) pipeline.hgetall(key);
  return ((await pipeline.exec()) ?? []).map(([error, fields]) => {
    if (error) throw error;
    return fields as Record<string, string>;
  });
}

/** Script replies become their TimelineError kinds; a lost connection becomes `unavailable`. */
export function translateRedisError(error: unknown): Error {
  if (error instanceof TimelineError || error instanceof StaleWrite) return error;
  const message = error instanceof Error ? error.message : String(error);
  const kind = SCRIPT_ERRORS[/\bLB_[A-Z_]+/.exec(message)?.[0] ?? ''];
  if (kind === 'stale') return new StaleWrite(message);
  if (kind) return new TimelineError(kind, message);
  // Redis answered, but with an error of its own (a bug of ours, not an outage): let it surface as a 500.
  if (error instanceof ReplyError) return error as Error;
  return new TimelineError('unavailable', `the store did not answer: ${message}`, { cause: error });
}

/** Stream entry ids are `<seq>-0`. */
function seqOf(streamId: string): number {
  return Number(streamId.slice(0, streamId.indexOf('-')));
}

function blogFromHash(fields: Record<string, string>): Blog | null {
  if (!fields.id) return null;
  const record: BlogRecord = {
    id: fields.id,
    title: fields.title,
    ...(fields.description !== undefined ? { description: fields.description } : {}),
    status: fields.status === 'ended' ? 'ended' : 'live',
    createdAt: fields.createdAt,
    updatedAt: fields.updatedAt,
  };
  return toBlog(record, fields.epoch, Number(fields.seq));
}
