/**
 * What editors do to blogs and updates: validate, render, store, then tell readers. An event is
 * broadcast only after the store has it, so a reader is never told of something a reload would not show.
 */
import { randomBytes } from 'node:crypto';
import type {
  Blog,
  BlogEvent,
  CreateBlogInput,
  CreateUpdateInput,
  PatchBlogInput,
  PatchUpdateInput,
  Update,
} from '../../shared/schemas';
import { renderMarkdown } from '../render/markdown';
import { TimelineError, type Timeline } from '../store/timeline';

export interface LiveBlogsDeps {
  timeline: Timeline;
  /** Sends a stored event to the blog's readers. */
  broadcast: (event: BlogEvent) => void;
  /**
   * Told of every change to a blog (its cached pages go stale). `announce`: no event tells other
   * processes of this change (a new blog), so it must be announced to them.
   */
  changed?: (blogId: string, options: { announce: boolean }) => void;
  /** Told of every event broadcast, with when the write that made it began (for the latency metric). */
  published?: (event: BlogEvent, startedAt: bigint) => void;
  now?: () => Date;
}

export interface Published {
  update: Update;
  /** False when an Idempotency-Key had been used before: the first result, nothing new stored. */
  created: boolean;
}

/** Update ids start with the creation time, so ties in `publishedAt` order by creation. */
export function newUpdateId(now: Date): string {
  return now.getTime().toString(36).padStart(9, '0') + randomBytes(5).toString('hex');
}

export class LiveBlogs {
  private readonly timeline: Timeline;
  private readonly broadcast: (event: BlogEvent, startedAt?: bigint) => void;
  private readonly changed: (blogId: string, options: { announce: boolean }) => void;
  private readonly now: () => Date;

  constructor(deps: LiveBlogsDeps) {
    this.timeline = deps.timeline;
    this.broadcast = (event, startedAt = process.hrtime.bigint()) => {
      deps.broadcast(event);
      deps.published?.(event, startedAt);
      deps.changed?.(event.blogId, { announce: false });
    };
    this.changed = deps.changed ?? (() => {});
    this.now = deps.now ?? (() => new Date());
  }

  async createBlog(input: CreateBlogInput): Promise<Blog> {
    const now = this.now().toISOString();
    const blog = await this.timeline.createBlog({
      id: input.id,
      title: input.title,
      ...(input.description ? { description: input.description } : {}),
      status: 'live',
      createdAt: now,
      updatedAt: now,
    });
    this.changed(blog.id, { announce: true });
    return blog;
  }

  async patchBlog(blogId: string, patch: PatchBlogInput): Promise<Blog> {
    const startedAt = process.hrtime.bigint();
    const event = await this.timeline.updateBlog(blogId, (current) => {
      const description = patch.description === undefined ? current.description : patch.description || undefined;
      return {
        id: current.id,
        title: patch.title ?? current.title,
        ...(description ? { description } : {}),
        status: patch.status ?? current.status,
        createdAt: current.createdAt,
        updatedAt: this.now().toISOString(),
      };
    });
    this.broadcast(event, startedAt);
    return event.blog!;
  }

  async publishUpdate(blogId: string, input: CreateUpdateInput, idempotencyKey?: string): Promise<Published> {
    const startedAt = process.hrtime.bigint();
    const now = this.now();
    const update: Update = {
      id: newUpdateId(now),
      blogId,
      body: input.body,
      html: renderMarkdown(input.body),
      ...(input.title ? { title: input.title } : {}),
      ...(input.author ? { author: input.author } : {}),
      publishedAt: input.publishedAt ?? now.toISOString(),
      createdAt: now.toISOString(),
      pinned: input.pinned ?? false,
      keyEvent: input.keyEvent ?? false,
      version: 1,
    };
    const result = await this.timeline.createUpdate(update, idempotencyKey);
    if (result.event) this.broadcast(result.event, startedAt);
    await this.unpin(blogId, result.previouslyPinned);
    return { update: result.update, created: !!result.event };
  }

  /**
   * Applies a patch as a new version. `editedAt` (the "edited" mark readers see) moves only when what
   * they read changes: pinning or marking a key event is not a correction.
   */
  async editUpdate(blogId: string, updateId: string, patch: PatchUpdateInput): Promise<Update> {
    const startedAt = process.hrtime.bigint();
    const corrects = CONTENT_FIELDS.some((field) => patch[field] !== undefined);
    const changed = await this.timeline.changeUpdate(blogId, updateId, (current) => {
      const next: Update = { ...current, ...definedOnly(patch), version: current.version + 1 };
      if (patch.title === null) delete next.title;
      if (patch.author === null) delete next.author;
      if (patch.body !== undefined) next.html = renderMarkdown(patch.body);
      if (corrects) next.editedAt = this.now().toISOString();
      return next;
    });
    this.broadcast(changed.event, startedAt);
    await this.unpin(blogId, changed.previouslyPinned);
    return changed.event.update!;
  }

  async deleteUpdate(blogId: string, updateId: string): Promise<void> {
    const startedAt = process.hrtime.bigint();
    this.broadcast((await this.timeline.changeUpdate(blogId, updateId, () => null)).event, startedAt);
  }

  /** One pinned update per blog: pinning one unpins the one before. */
  private async unpin(blogId: string, updateId: string | undefined): Promise<void> {
    if (!updateId) return;
    try {
      const changed = await this.timeline.changeUpdate(blogId, updateId, (current) => ({ ...current, pinned: false, version: current.version + 1 }));
      this.broadcast(changed.event);
    } catch (error) {
      // Deleted in the meantime: nothing left to unpin.
      if (!(error instanceof TimelineError && error.kind === 'update_not_found')) throw error;
    }
  }
}

const CONTENT_FIELDS = ['body', 'title', 'author', 'publishedAt'] as const;

/** The fields of a patch that carry a value (null clears, and is handled by the caller). */
function definedOnly(patch: PatchUpdateInput): Partial<Update> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined && value !== null)) as Partial<Update>;
}
