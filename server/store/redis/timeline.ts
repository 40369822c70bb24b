/**
 * The Timeline on Redis (one server, Sentinel or Cluster). Reads go through one connection; writes
 * through another, each followed by `WAIT` for the configured replicas (a blocked WAIT must not hold
 * readers' catch-up reads behind it).
 */
import type { ChainableCommander } from 'ioredis';
import { parseCursor } from '../../../shared/cursor';
import { updateOrderKey } from '../../../shared/order';
import type { Blog, BlogEvent, EventsPage, Update, UpdatePage } from '../../../shared/schemas';
import { blogChanged, blogCreated, serviceStamp, updateChanged, updateCreated, type AuditStamp } from '../audit-entries';
import { headCursor, newEpoch, newTag, originTag, storedForm, toBlog, toEvent, verifyCursor, type LogHead, type LoggedEvent } from '../log';
import {
  IDEMPOTENCY_TTL_SECONDS,
  MAX_WRITE_ATTEMPTS,
  TimelineError,
  type BlogRecord,
  type ChangedUpdate,
  type CreatedUpdate,
  type Idempotency,
  type PageRequest,
  type RecentEvents,
  type Timeline,
} from '../timeline';
import { closeRedisClient, writeDurably, type RedisClient } from './connection';
import { picturesIn } from '../../media/markup';
import { callerCode, redisCall, StaleWrite } from './errors';
import { redisKeys, type Keys } from './keys';
import { RedisPending } from './pending';
import { queueScript, runScript, type ScriptName } from './scripts';
import { blogFromHash, entryEvent, entryParts, readHashes, type StreamEntry } from './stream-log';
import { NO_UNPIN, planUnpin, withUnpin } from './unpin';

/** Kept here for the stores that read hashes the same way. */
export { readHashes } from './stream-log';

export interface RedisTimelineOptions {
  /** Prefix of every key, so that several services or test runs share one Redis. @default 'lb:' */
  prefix: string;
  /** Events kept per blog; a reader further behind than this reloads. @default 5000 */
  historyLength: number;
  /** Replicas that must hold a write before it is acknowledged (Redis WAIT). @default 0 */
  minReplicas: number;
}

export class RedisTimeline implements Timeline {
  readonly kind = 'redis' as const;
  readonly historyLength: number;
  private readonly keys: Keys;
  private readonly queue: RedisPending;

  constructor(
    readonly redis: RedisClient,
    private readonly writer: RedisClient,
    private readonly options: RedisTimelineOptions,
  ) {
    this.keys = redisKeys(options.prefix);
    this.historyLength = options.historyLength;
    this.queue = new RedisPending({
      redis,
      keys: this.keys,
      historyLength: options.historyLength,
      runWrite: (name, keys, args) => this.runWrite(name, keys, args),
      retryStale: (attempt) => this.retryStale(attempt),
    });
  }

  async ping(): Promise<void> {
    await redisCall(() => this.redis.ping());
  }

  async close(): Promise<void> {
    await Promise.all([this.redis, this.writer].map((client) => closeRedisClient(client)));
  }

  async listBlogs(): Promise<Blog[]> {
    return redisCall(async () => {
      const ids = await this.redis.zrange(this.keys.blogIndex, 0, -1, 'REV');
      const hashes = await readHashes(
        this.redis,
        ids.map((id) => this.keys.blog(id)),
      );
      return hashes.flatMap((fields) => blogFromHash(fields) ?? []);
    });
  }

  async getBlog(blogId: string): Promise<Blog | null> {
    return redisCall(async () => blogFromHash(await this.redis.hgetall(this.keys.blog(blogId))));
  }

  async createBlog(record: BlogRecord, audit: AuditStamp = serviceStamp()): Promise<Blog> {
    const epoch = newEpoch();
    // The index first (its own slot on a Cluster): an id indexed by a creation that then failed is
    // skipped by listBlogs, and a retry finds it already indexed.
    await redisCall(() => this.write((p) => p.zadd(this.keys.blogIndex, 'NX', Date.parse(record.createdAt), record.id)));
    await redisCall(() =>
      this.write((p) =>
        queueScript(
          p,
          'lbCreateBlog',
          [this.keys.blog(record.id), this.keys.audit(record.id)],
          [record.id, record.title, record.description ?? '', record.createdAt, epoch, JSON.stringify(blogCreated(audit, record))],
        ),
      ),
    );
    return toBlog(record, { epoch, seq: 0, tag: '0' });
  }

  async changeBlog(blogId: string, change: (current: Blog) => BlogRecord, audit: AuditStamp = serviceStamp()): Promise<BlogEvent> {
    return this.retryStale(async () => {
      const fields = await this.redis.hgetall(this.keys.blog(blogId));
      const current = blogFromHash(fields);
      if (!current) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
      const next = callerCode(() => change(current));
      const logged: LoggedEvent = { type: 'blog.updated', blog: { ...next, cursor: '' } };
      const tag = newTag();
      const [epoch, seq, prevTag] = (await this.runWrite(
        'lbChangeBlog',
        [this.keys.blog(blogId), this.keys.events(blogId), this.keys.audit(blogId)],
        [
          fields.rev,
          next.title,
          next.description ?? '',
          next.status,
          next.updatedAt,
          JSON.stringify(storedForm(logged)),
          tag,
          this.options.historyLength,
          JSON.stringify(blogChanged(audit, current, next)),
        ],
      )) as [string, number, string];
      return toEvent(blogId, epoch, seq, tag, prevTag, logged);
    });
  }

  async getUpdate(blogId: string, updateId: string): Promise<Update | null> {
    return redisCall(async () => {
      const json = await this.redis.hget(this.keys.updates(blogId), updateId);
      return json ? (JSON.parse(json) as Update) : null;
    });
  }

  async pinnedUpdate(blogId: string): Promise<Update | null> {
    return redisCall(async () => {
      const pinnedId = await this.redis.hget(this.keys.blog(blogId), 'pinnedId');
      return pinnedId ? this.getUpdate(blogId, pinnedId) : null;
    });
  }

  async createUpdate(update: Update, idempotency?: Idempotency, audit: AuditStamp = serviceStamp()): Promise<CreatedUpdate> {
    const { blogId } = update;
    const logged: LoggedEvent = { type: 'update.created', update };
    const updateJson = JSON.stringify(update);
    return this.retryStale(async () => {
      const unpin = update.pinned
        ? await planUnpin(this.redis, this.keys, (b, u) => this.getUpdate(b, u), blogId, update.id, audit)
        : NO_UNPIN;
      const tag = newTag();
      const reply = (await this.runWrite(
        'lbCreateUpdate',
        [
          this.keys.blog(blogId),
          this.keys.updates(blogId),
          this.keys.order(blogId),
          this.keys.events(blogId),
          idempotency ? this.keys.idempotency(blogId, idempotency.key) : this.keys.blog(blogId),
          this.keys.keyEvents(blogId),
          this.keys.audit(blogId),
          this.keys.takenDown(blogId),
        ],
        [
          update.id,
          updateJson,
          updateOrderKey(update.publishedAt, update.id),
          JSON.stringify(storedForm(logged)),
          tag,
          this.options.historyLength,
          IDEMPOTENCY_TTL_SECONDS,
          idempotency ? '1' : '0',
          update.pinned ? '1' : '0',
          update.keyEvent ? '1' : '0',
          this.keys.versionsPrefix(blogId),
          ...unpin.args,
          idempotency?.fingerprint ?? '',
          JSON.stringify(updateCreated(audit, update)),
          unpin.audit,
          picturesIn(blogId, update.body, update.html).join(' '),
        ],
      )) as ['created', string, number, string, number, string] | ['replayed', string];
      if (reply[0] === 'replayed') return { update: JSON.parse(reply[1]) as Update, events: [] };
      const [, epoch, seq, prevTag, unpinSeq, unpinPrevTag] = reply;
      const created = toEvent(blogId, epoch, seq, tag, prevTag, logged);
      return { update, events: withUnpin(created, blogId, epoch, unpin, unpinSeq, unpinPrevTag) };
    });
  }

  async changeUpdate(
    blogId: string,
    updateId: string,
    change: (current: Update) => Update | null,
    audit: AuditStamp = serviceStamp(),
  ): Promise<ChangedUpdate> {
    return this.retryStale(async () => {
      const current = await this.getUpdate(blogId, updateId);
      if (!current) {
        const blogExists = await this.redis.exists(this.keys.blog(blogId));
        throw blogExists
          ? new TimelineError('update_not_found', `no update ${updateId} in blog ${blogId}`)
          : new TimelineError('blog_not_found', `no blog ${blogId}`);
      }
      const next = callerCode(() => change(current));
      const unpin = next?.pinned
        ? await planUnpin(this.redis, this.keys, (b, u) => this.getUpdate(b, u), blogId, updateId, audit)
        : NO_UNPIN;
      const logged: LoggedEvent = next ? { type: 'update.edited', update: next } : { type: 'update.deleted', updateId };
      const tag = newTag();
      const [epoch, seq, prevTag, unpinSeq, unpinPrevTag] = (await this.runWrite(
        'lbChangeUpdate',
        [
          this.keys.blog(blogId),
          this.keys.updates(blogId),
          this.keys.order(blogId),
          this.keys.events(blogId),
          this.keys.versions(blogId, updateId),
          this.keys.keyEvents(blogId),
          this.keys.audit(blogId),
          this.keys.takenDown(blogId),
        ],
        [
          updateId,
          current.version,
          next ? JSON.stringify(next) : '',
          updateOrderKey(current.publishedAt, current.id),
          next ? updateOrderKey(next.publishedAt, next.id) : '',
          JSON.stringify(storedForm(logged)),
          tag,
          this.options.historyLength,
          next?.pinned ? '1' : '0',
          next?.keyEvent ? '1' : '0',
          this.keys.versionsPrefix(blogId),
          ...unpin.args,
          JSON.stringify(updateChanged(audit, current, next)),
          unpin.audit,
          next ? picturesIn(blogId, next.body, next.html).join(' ') : '',
        ],
      )) as [string, number, string, number, string];
      const event = toEvent(blogId, epoch, seq, tag, prevTag, logged);
      const events = withUnpin(event, blogId, epoch, unpin, unpinSeq, unpinPrevTag);
      return { events: events as [BlogEvent, ...BlogEvent[]] };
    });
  }

  // The approval queue: see pending.ts.
  submitPending: Timeline['submitPending'] = (entry, audit = serviceStamp(), idem) => this.queue.submit(entry, audit, idem);
  listPending: Timeline['listPending'] = (blogId) => this.queue.list(blogId);
  getPending: Timeline['getPending'] = (blogId, updateId) => this.queue.get(blogId, updateId);
  changePending: Timeline['changePending'] = (blogId, id, change, audit = serviceStamp(), options = {}) =>
    this.queue.replace(blogId, id, change, audit, 'edit', options.rejectedToo);
  approvePending: Timeline['approvePending'] = (blogId, id, publish, audit = serviceStamp()) =>
    this.queue.approve(blogId, id, publish, audit);
  rejectPending: Timeline['rejectPending'] = (blogId, id, reject, audit = serviceStamp()) =>
    this.queue.replace(blogId, id, reject, audit, 'reject');

  async markTakenDown(blogId: string, mediaId: string): Promise<void> {
    await redisCall(() => this.write((pipeline) => pipeline.sadd(this.keys.takenDown(blogId), mediaId)));
  }

  async takenDown(blogId: string, mediaIds: string[]): Promise<Set<string>> {
    if (mediaIds.length === 0) return new Set();
    const marked = await redisCall(() => this.redis.smismember(this.keys.takenDown(blogId), ...mediaIds));
    return new Set(mediaIds.filter((_, index) => marked[index] === 1));
  }

  async listVersions(blogId: string, updateId: string): Promise<Update[]> {
    return redisCall(async () => {
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

  async listAround(blogId: string, updateId: string, limit: number): Promise<UpdatePage | null> {
    // The order key comes from the update's time; an edit may move it between the two reads: read again.
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      const update = await this.getUpdate(blogId, updateId);
      if (!update) {
        if (!(await redisCall(() => this.redis.exists(this.keys.blog(blogId)))))
          throw new TimelineError('blog_not_found', `no blog ${blogId}`);
        return null;
      }
      const orderKey = updateOrderKey(update.publishedAt, update.id);
      const newerWanted = Math.floor((limit - 1) / 2);
      const reply = (await redisCall(() =>
        runScript(
          this.redis,
          'lbListAround',
          [this.keys.blog(blogId), this.keys.updates(blogId), this.keys.order(blogId)],
          [orderKey, newerWanted, limit - 1 - newerWanted],
        ),
      )) as [string, number, string, string[] | 0, (string | null)[], number] | null;
      if (!reply) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
      const [epoch, seq, tag, orderKeys, items, newerTotal] = reply;
      if (orderKeys === 0) continue;
      const target = orderKeys.indexOf(orderKey);
      const shown = orderKeys.slice(0, limit);
      return {
        updates: items.slice(0, limit).flatMap((json) => (json ? [JSON.parse(json) as Update] : [])),
        cursor: headCursor({ epoch, seq, tag }),
        ...(orderKeys.length > limit ? { next: shown[shown.length - 1] } : {}),
        newer: newerTotal - target,
      };
    }
    throw new TimelineError('conflict', `update ${updateId} kept moving while it was read`);
  }

  async listKeyEvents(blogId: string, page: PageRequest): Promise<UpdatePage> {
    return this.page(blogId, this.keys.keyEvents(blogId), page);
  }

  /** A page of the updates whose order keys are in `orderSet`, newest first. */
  private async page(blogId: string, orderSet: string, page: PageRequest): Promise<UpdatePage> {
    return redisCall(async () => {
      const reply = (await runScript(
        this.redis,
        'lbListUpdates',
        [this.keys.blog(blogId), this.keys.updates(blogId), orderSet],
        [page.limit + 1, page.before ?? ''],
      )) as [string, number, string, string[], (string | null)[]] | null;
      if (!reply) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
      const [epoch, seq, tag, orderKeys, items] = reply;
      const updates = items.slice(0, page.limit).flatMap((json) => (json ? [JSON.parse(json) as Update] : []));
      return {
        updates,
        cursor: headCursor({ epoch, seq, tag }),
        ...(orderKeys.length > page.limit ? { next: orderKeys[page.limit - 1] } : {}),
      };
    });
  }

  async eventsAfter(blogId: string, cursor: string | undefined, limit: number, maxBytes = Number.MAX_SAFE_INTEGER): Promise<EventsPage> {
    return redisCall(async () => {
      const seq = cursor ? (parseCursor(cursor)?.seq ?? 0) : Number.MAX_SAFE_INTEGER;
      // From the reader's own seq (inclusive), to check the tag there; from 1 for a reader at 0.
      const { head, entries, currents } = await this.readLog(blogId, Math.max(seq, 1), seq === 0 ? limit : limit + 1, maxBytes);
      if (!cursor) return { events: [], cursor: headCursor(head) };
      const first = entries[0] ? entryParts(entries[0]) : undefined;
      const tagAt = seq === 0 ? originTag(first?.seq, head.seq) : first?.seq === seq ? first.tag : undefined;
      verifyCursor(cursor, head, tagAt);
      const skip = seq === 0 ? 0 : 1;
      const events = entries.slice(skip).map((entry, i) => entryEvent(blogId, head.epoch, entry, currents[i + skip]));
      const last = events.at(-1);
      return {
        events,
        cursor: last ? last.cursor : cursor,
        ...(last && (parseCursor(last.cursor)?.seq ?? 0) < head.seq ? { more: true } : {}),
      };
    });
  }

  async recentEvents(blogId: string, count: number): Promise<RecentEvents> {
    return redisCall(async () => {
      const { head, entries, currents } = await this.readLog(blogId, -count, count, Number.MAX_SAFE_INTEGER);
      const events = entries.map((entry, i) => entryEvent(blogId, head.epoch, entry, currents[i]));
      return { cursor: headCursor(head), events };
    });
  }

  /** The log's head and its entries from `fromSeq`, each with the current JSON of its update ('' for none). */
  private async readLog(
    blogId: string,
    fromSeq: number,
    count: number,
    maxBytes: number,
  ): Promise<{ head: LogHead; entries: StreamEntry[]; currents: string[] }> {
    const reply = (await runScript(
      this.redis,
      'lbReadLog',
      [this.keys.blog(blogId), this.keys.events(blogId), this.keys.updates(blogId)],
      [fromSeq, count, maxBytes],
    )) as [string, number, string, StreamEntry[], string[]] | null;
    if (!reply) throw new TimelineError('blog_not_found', `no blog ${blogId}`);
    const [epoch, seq, tag, entries, currents] = reply;
    return { head: { epoch, seq, tag }, entries, currents };
  }

  /** Runs one write script durably (see writeDurably) and returns its reply. */
  private async runWrite(name: ScriptName, keys: string[], args: (string | number)[]): Promise<unknown> {
    const [reply] = await this.write((p) => queueScript(p, name, keys, args));
    return reply;
  }

  private write(build: (pipeline: ChainableCommander) => void): Promise<unknown[]> {
    return writeDurably(this.writer, this.options.minReplicas, build);
  }

  private async retryStale<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await redisCall(attempt);
      } catch (error) {
        if (!(error instanceof StaleWrite)) throw error;
        if (i >= MAX_WRITE_ATTEMPTS) throw new TimelineError('conflict', 'too many concurrent changes: try again');
      }
    }
  }
}
