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
import { loadMedia, mediaIdsIn, NO_MEDIA, type MediaLookup, type MediaRecords } from '../media/lookup';
import { withoutPicture } from '../media/markup';
import { mediaPath } from '../media/types';
import { renderBody } from '../render/markdown';
import { SERVICE_ACTOR, type AuditStamp } from '../store/audit-entries';
import { PictureTakenDown, TimelineError, type Timeline } from '../store/timeline';

/** What a write changed, told to the one sink the rest of the service learns of changes from. */
export type Change =
  /** The events a write stored, in log order, once the store acknowledged them, with when the write began. */
  | { kind: 'events'; events: BlogEvent[]; startedAt: bigint }
  /** A new blog (which has no event yet), with its log's first cursor. */
  | { kind: 'blog-created'; blogId: string; cursor: string }
  /** A write that failed without knowing whether the store kept it (a timeout, replicas that did not confirm in time). */
  | { kind: 'uncertain'; blogId: string };

export interface LiveBlogsDeps {
  timeline: Timeline;
  /** Told of every change (see Change). */
  changed: (change: Change) => void;
  /** Where the pictures updates name are looked up before rendering. @default none: every picture renders as "not available" */
  media?: MediaRecords;
  now?: () => Date;
}

export interface Published {
  update: Update;
  /** False when an Idempotency-Key had been used before: the first result, nothing new stored. */
  created: boolean;
}

/**
 * A new update as written from `input` at `now`, version 1: what an editor publishes, and what a
 * contributor's entry holds while it waits (approvals.ts adds its queue fields). `media`: the records of
 * the pictures the body names (loadMedia).
 */
export function draftUpdate(blogId: string, input: CreateUpdateInput, now: Date, media: MediaLookup = NO_MEDIA): Update {
  return {
    id: newUpdateId(now),
    blogId,
    body: input.body,
    html: renderBody(input.body, media),
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

  /**
   * A body as it may be stored, and the records of its pictures: references to a picture taken down are
   * removed from it (with their alt text and caption), as the takedown removed them from the bodies stored
   * before (a draft written before the takedown and sent after it; a body two takedowns sweep at once).
   */
  async prepare(blogId: string, body: string): Promise<Prepared> {
    const named = this.deps.media ? mediaIdsIn(blogId, body) : [];
    if (named.length === 0) return { body, media: NO_MEDIA };
    const takenDown = await this.timeline.takenDown(blogId, named);
    const kept = [...takenDown].reduce((text, mediaId) => withoutPicture(text, blogId, mediaId), body);
    return { body: kept, media: await loadMedia(this.deps.media, blogId, kept) };
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
    this.deps.changed({ kind: 'blog-created', blogId: blog.id, cursor: blog.cursor });
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
    const scoped = idempotency && { key: `${idempotency.scope}:${idempotency.key}`, fingerprint: fingerprint(input) };
    const result = await whileBodyMoves(async () => {
      const { body, media } = await this.prepare(blogId, input.body);
      const update = draftUpdate(blogId, { ...input, body }, this.now(), media);
      return this.write(blogId, () => this.timeline.createUpdate(update, scoped, this.stamp(actor)));
    });
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
    const changed = await whileBodyMoves(async () => {
      const body = patch.body === undefined ? undefined : await this.prepare(blogId, patch.body);
      return this.write(blogId, () =>
        this.timeline.changeUpdate(
          blogId,
          updateId,
          (current) => {
            VersionConflict.check(current, expectedVersion);
            const next: Update = { ...current, ...definedOnly(patch), version: current.version + 1 };
            if (patch.title === null) delete next.title;
            if (patch.author === null) delete next.author;
            if (body) Object.assign(next, { body: body.body, html: renderBody(body.body, body.media) });
            if (corrects) next.editedAt = this.now().toISOString();
            return next;
          },
          this.stamp(actor),
        ),
      );
    });
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

  /**
   * After a picture's takedown: every update of the blog that names it loses its references to it from the
   * body (withoutPicture: the snippet, with its line when it stood alone, and raw-HTML `<img>`s) and is
   * rendered again (a new version, `update.edited`, so that readers' screens and the cached pages drop it
   * at once, and nothing of its alt text or caption stays in the body, the JSON-LD or the feed; `editedAt`
   * stays, as the author corrected nothing). Returns how many were rendered again.
   */
  async mediaRemoved(blogId: string, mediaId: string, actor: Actor = SERVICE_ACTOR): Promise<number> {
    let rendered = 0;
    let before: string | undefined;
    do {
      const page = await this.timeline.listUpdates(blogId, { limit: TAKEDOWN_PAGE, ...(before ? { before } : {}) });
      for (const update of page.updates) {
        if (!names(update, blogId, mediaId)) continue;
        if (await this.withoutPicture(blogId, update.id, mediaId, actor)) rendered += 1;
      }
      before = page.next;
    } while (before);
    return rendered;
  }

  /**
   * The update without its references to `mediaId`, rendered again with the pictures as they are now;
   * false when it is gone meanwhile.
   */
  private async withoutPicture(blogId: string, updateId: string, mediaId: string, actor: Actor): Promise<boolean> {
    const startedAt = process.hrtime.bigint();
    try {
      return await whileBodyMoves(async () => {
        const current = await this.timeline.getUpdate(blogId, updateId);
        if (!current) return false;
        // Without any other picture taken down meanwhile too: its own sweep would be refused otherwise.
        const { body, media } = await this.prepare(blogId, withoutPicture(current.body, blogId, mediaId));
        const changed = await this.write(blogId, () =>
          this.timeline.changeUpdate(
            blogId,
            updateId,
            (now) => {
              // Edited since it was read: its pictures are read again for the new body.
              if (now.body !== current.body) throw new BodyMoved();
              return { ...now, body, html: renderBody(body, media), version: now.version + 1 };
            },
            this.stamp(actor),
          ),
        );
        this.deps.changed({ kind: 'events', events: changed.events, startedAt });
        return true;
      });
    } catch (error) {
      if (error instanceof TimelineError && error.kind === 'update_not_found') return false;
      throw error;
    }
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

/**
 * Whether an update (or a waiting entry) names the picture in its body, or still shows one of its files
 * in its HTML (rendered by a write that read the record just before the takedown): either is rendered again.
 */
export function names(update: Pick<Update, 'body' | 'html'>, blogId: string, mediaId: string): boolean {
  const path = mediaPath(blogId, mediaId);
  return (update.body.includes(path) && mediaIdsIn(blogId, update.body).includes(mediaId)) || update.html.includes(`${path}/`);
}

/** Updates read per page while looking for those that show a picture taken down. */
const TAKEDOWN_PAGE = 100;

/** An update's body changed between reading its pictures and writing its render: read them again. */
/** A body ready to store, and the records of the pictures it names (LiveBlogs.prepare). */
export interface Prepared {
  body: string;
  media: MediaLookup;
}

export class BodyMoved extends Error {
  constructor() {
    super('the body changed while its pictures were read');
    this.name = 'BodyMoved';
  }
}

/**
 * Runs `attempt` again while it throws BodyMoved, or its write was refused for naming a picture taken
 * down since it was prepared (PictureTakenDown): each attempt reads the body and its pictures afresh.
 * Eight in all. A refusal waits a little longer each time (50 ms, doubling to 800 ms: about 3 s in all)
 * for a write that does not touch the body (a pin, a headline) on an entry the takedown's sweep has not
 * reached yet: the sweep takes the picture out of it, and the write goes through.
 */
export async function whileBodyMoves<T>(attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof BodyMoved || error instanceof PictureTakenDown) || tries >= 8) throw error;
      if (error instanceof PictureTakenDown) await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** (tries - 1), 800)));
    }
  }
}

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
