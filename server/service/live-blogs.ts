/**
 * What editors do to blogs and updates: validate, render, store, then tell readers. An event is
 * handed on only after the store acknowledged it, so a reader is never told of something a reload
 * would not show.
 */
import { createHash, randomBytes } from 'node:crypto';
import type {
  Actor,
  Blog,
  BlogEvent,
  CreateBlogInput,
  CreateUpdateInput,
  PatchBlogInput,
  PatchUpdateInput,
  Update,
} from '../../shared/schemas';
import { renderBody } from '../render/markdown';
import { SERVICE_ACTOR, type AuditStamp } from '../store/audit-entries';
import { TimelineError, type Timeline } from '../store/timeline';

/** What a write changed, told to the one sink the rest of the service learns of changes from. */
export type Change =
  /** The events a write stored, in log order, once the store acknowledged them, with when the write began. */
  | { kind: 'events'; events: BlogEvent[]; startedAt: bigint }
  /** A new blog (which has no event yet). */
  | { kind: 'blog-created'; blogId: string }
  /** A write that failed without knowing whether the store kept it (a timeout, replicas that did not confirm in time). */
  | { kind: 'uncertain'; blogId: string };

export interface LiveBlogsDeps {
  timeline: Timeline;
  /** Told of every change (see Change). */
  changed: (change: Change) => void;
  now?: () => Date;
}

export interface Published {
  update: Update;
  /** False when an Idempotency-Key had been used before: the first result, nothing new stored. */
  created: boolean;
}

/**
 * A new update as written from `input` at `now`, version 1: what an editor publishes, and what a
 * contributor's entry holds while it waits (approvals.ts adds its queue fields).
 */
export function draftUpdate(blogId: string, input: CreateUpdateInput, now: Date): Update {
  return {
    id: newUpdateId(now),
    blogId,
    body: input.body,
    html: renderBody(input.body),
    ...(input.title ? { title: input.title } : {}),
    ...(input.author ? { author: input.author } : {}),
    publishedAt: input.publishedAt ?? now.toISOString(),
    createdAt: now.toISOString(),
    pinned: input.pinned ?? false,
    keyEvent: input.keyEvent ?? false,
    version: 1,
  };
}

/** Update ids start with the creation time, so ties in `publishedAt` order by creation. */
export function newUpdateId(now: Date): string {
  return now.getTime().toString(36).padStart(9, '0') + randomBytes(5).toString('hex');
}

export class LiveBlogs {
  private readonly timeline: Timeline;
  private readonly now: () => Date;

  constructor(private readonly deps: LiveBlogsDeps) {
    this.timeline = deps.timeline;
    this.now = deps.now ?? (() => new Date());
  }

  /** Who did a write and when, for the audit entry the store records with it. */
  stamp(actor: Actor): AuditStamp {
    return { actor, at: this.now().toISOString() };
  }

  async createBlog(input: CreateBlogInput, actor: Actor = SERVICE_ACTOR): Promise<Blog> {
    const now = this.now().toISOString();
    const blog = await this.write(input.id, () =>
      this.timeline.createBlog(
        {
          id: input.id,
          title: input.title,
          ...(input.description ? { description: input.description } : {}),
          status: 'live',
          createdAt: now,
          updatedAt: now,
        },
        this.stamp(actor),
      ),
    );
    this.deps.changed({ kind: 'blog-created', blogId: blog.id });
    return blog;
  }

  async patchBlog(blogId: string, patch: PatchBlogInput, actor: Actor = SERVICE_ACTOR): Promise<Blog> {
    const startedAt = process.hrtime.bigint();
    const event = await this.write(blogId, () =>
      this.timeline.changeBlog(
        blogId,
        (current) => {
          const description = patch.description === undefined ? current.description : patch.description || undefined;
          return {
            id: current.id,
            title: patch.title ?? current.title,
            ...(description ? { description } : {}),
            status: patch.status ?? current.status,
            createdAt: current.createdAt,
            updatedAt: this.now().toISOString(),
          };
        },
        this.stamp(actor),
      ),
    );
    this.deps.changed({ kind: 'events', events: [event], startedAt });
    return event.blog!;
  }

  /**
   * `idempotency`: the request's Idempotency-Key and who sent it (`scope`): a key is one sender's, on one
   * blog, for one request — the same key with different content is a conflict, not a replay.
   */
  async publishUpdate(
    blogId: string,
    input: CreateUpdateInput,
    idempotency?: { key: string; scope: string },
    actor: Actor = SERVICE_ACTOR,
  ): Promise<Published> {
    const startedAt = process.hrtime.bigint();
    const update = draftUpdate(blogId, input, this.now());
    const scoped = idempotency && { key: `${idempotency.scope}:${idempotency.key}`, fingerprint: fingerprint(input) };
    const result = await this.write(blogId, () => this.timeline.createUpdate(update, scoped, this.stamp(actor)));
    if (result.events.length) this.deps.changed({ kind: 'events', events: result.events, startedAt });
    return { update: result.update, created: result.events.length > 0 };
  }

  /**
   * Applies a patch as a new version. `editedAt` (the "edited" mark readers see) moves only when what
   * they read changes: pinning or marking a key event is not a correction.
   */
  async editUpdate(
    blogId: string,
    updateId: string,
    patch: PatchUpdateInput,
    expectedVersion?: number,
    actor: Actor = SERVICE_ACTOR,
  ): Promise<Update> {
    const startedAt = process.hrtime.bigint();
    const corrects = CONTENT_FIELDS.some((field) => patch[field] !== undefined);
    const changed = await this.write(blogId, () =>
      this.timeline.changeUpdate(
        blogId,
        updateId,
        (current) => {
          VersionConflict.check(current, expectedVersion);
          const next: Update = { ...current, ...definedOnly(patch), version: current.version + 1 };
          if (patch.title === null) delete next.title;
          if (patch.author === null) delete next.author;
          if (patch.body !== undefined) next.html = renderBody(patch.body);
          if (corrects) next.editedAt = this.now().toISOString();
          return next;
        },
        this.stamp(actor),
      ),
    );
    this.deps.changed({ kind: 'events', events: changed.events, startedAt });
    return changed.events[0].update!;
  }

  async deleteUpdate(blogId: string, updateId: string, expectedVersion?: number, actor: Actor = SERVICE_ACTOR): Promise<void> {
    const startedAt = process.hrtime.bigint();
    const changed = await this.write(blogId, () =>
      this.timeline.changeUpdate(
        blogId,
        updateId,
        (current) => {
          VersionConflict.check(current, expectedVersion);
          return null;
        },
        this.stamp(actor),
      ),
    );
    this.deps.changed({ kind: 'events', events: changed.events, startedAt });
  }

  /** Hands on the events a write stored (an approval's, see approvals.ts), as every write here does. */
  published(events: BlogEvent[], startedAt: bigint): void {
    this.deps.changed({ kind: 'events', events, startedAt });
  }

  /** Runs a write; one whose outcome is unknown is reported, so that readers and caches learn of it if it was kept. */
  async write<T>(blogId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof TimelineError && error.kind === 'unavailable') this.deps.changed({ kind: 'uncertain', blogId });
      throw error;
    }
  }
}

/**
 * An `If-Match` that names a version the update has moved on from. The check runs inside the store's
 * read-modify-write, which retries when the update changes between its read and its write, so a change
 * made meanwhile is always caught: nothing is written over what the sender has not seen.
 */
export class VersionConflict extends Error {
  constructor(
    readonly expected: number,
    readonly current: Update,
  ) {
    super(`update ${current.id} is at version ${current.version}, not ${expected}`);
    this.name = 'VersionConflict';
  }

  static check(current: Update, expected: number | undefined): void {
    if (expected !== undefined && current.version !== expected) throw new VersionConflict(expected, current);
  }
}

const CONTENT_FIELDS = ['body', 'title', 'author', 'publishedAt'] as const;

/** What a publish request asked for, as a short digest: the same request again has the same one. */
export function fingerprint(input: CreateUpdateInput): string {
  const { body, title, author, publishedAt, pinned, keyEvent } = input;
  return createHash('sha256')
    .update(JSON.stringify([body, title ?? null, author ?? null, publishedAt ?? null, pinned ?? false, keyEvent ?? false]))
    .digest('base64url')
    .slice(0, 22);
}

/** The fields of a patch that carry a value (null clears, and is handled by the caller). */
function definedOnly(patch: PatchUpdateInput): Partial<Update> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined && value !== null)) as Partial<Update>;
}
