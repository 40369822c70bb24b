/**
 * The approval queue: a contributor's entry waits, editors correct it, approve it (it is published, as
 * any update, with `update.created`) or reject it with a reason its contributor reads. Readers learn of
 * an entry only once it is approved: until then it is told to the blog's editors and its contributor
 * alone (PendingChange, see realtime/desk-events.ts).
 */
import type { Actor, CreateUpdateInput, PatchUpdateInput, PendingUpdate, Update } from '../../shared/schemas';
import { NO_MEDIA } from '../media/lookup';
import { withoutPicture } from '../media/markup';
import { renderBody } from '../render/markdown';
import { PictureTakenDown, TimelineError, type SubmittedEntry, type Timeline } from '../store/timeline';
import { BodyMoved, draftUpdate, fingerprint, names, VersionConflict, whileBodyMoves, type LiveBlogs, type Prepared } from './live-blogs';

/** What the desks are told of the queue: an entry's new state, or that it left the queue. */
export type PendingChange =
  | { blogId: string; entry: PendingUpdate }
  /** Approved (published) or gone; `submitterId` is whose it was, to tell them. */
  | { blogId: string; removedId: string; submitterId: string };

export interface ApprovalsDeps {
  timeline: Timeline;
  liveBlogs: LiveBlogs;
  /** Told of every change of a queue. */
  pendingChanged: (change: PendingChange) => void;
  now?: () => Date;
}

export class Approvals {
  private readonly timeline: Timeline;
  private readonly now: () => Date;

  constructor(private readonly deps: ApprovalsDeps) {
    this.timeline = deps.timeline;
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Queues a contributor's entry; `submitter` is the person (their id and name). `idempotency` as for
   * publishUpdate: a retried submission queues nothing new.
   */
  async submit(
    blogId: string,
    input: CreateUpdateInput,
    submitter: { id: string; name: string },
    actor: Actor,
    idempotency?: { key: string; scope: string },
  ): Promise<SubmittedEntry> {
    const scoped = idempotency && { key: `${idempotency.scope}:${idempotency.key}`, fingerprint: fingerprint(input) };
    const submitted = await whileBodyMoves(async () => {
      const { body, media } = await this.deps.liveBlogs.prepare(blogId, input.body);
      const now = this.now();
      const entry: PendingUpdate = {
        ...draftUpdate(blogId, { ...input, body }, now, media),
        // A contributor never pins: the route refuses it, and the editor who approves may.
        pinned: false,
        status: 'pending',
        submittedBy: submitter,
        submittedAt: now.toISOString(),
      };
      return this.deps.liveBlogs.write(blogId, () => this.timeline.submitPending(entry, this.deps.liveBlogs.stamp(actor), scoped));
    });
    // Queued now: the store answers with the entry it queued.
    if (submitted.created && submitted.entry) this.deps.pendingChanged({ blogId, entry: submitted.entry });
    return submitted;
  }

  /** An editor's correction before approving. `pinned` is refused by the route (pin once published). */
  async edit(
    blogId: string,
    updateId: string,
    patch: PatchUpdateInput,
    expectedVersion: number | undefined,
    actor: Actor,
  ): Promise<PendingUpdate> {
    const entry = await whileBodyMoves(async () => {
      const body = patch.body === undefined ? undefined : await this.deps.liveBlogs.prepare(blogId, patch.body);
      return this.deps.liveBlogs.write(blogId, () =>
        this.timeline.changePending(
          blogId,
          updateId,
          (current) => {
            VersionConflict.check(current, expectedVersion);
            const next: PendingUpdate = { ...current, ...definedOnly(patch), pinned: false, version: current.version + 1 };
            if (patch.title === null) delete next.title;
            if (patch.author === null) delete next.author;
            if (body) Object.assign(next, { body: body.body, html: renderBody(body.body, body.media) });
            return next;
          },
          this.deps.liveBlogs.stamp(actor),
        ),
      );
    });
    this.deps.pendingChanged({ blogId, entry });
    return entry;
  }

  /**
   * Publishes the entry: at the approval's time (`now`) or at the time the entry carries (`submitted`:
   * the contributor's own, or when they sent it). A retried approval answers the update as it is, and
   * publishes nothing again. Its body is rendered again with the pictures as they are now: one taken
   * down while the entry waited is not published.
   */
  async approve(
    blogId: string,
    updateId: string,
    options: { publishedAt?: 'now' | 'submitted'; expectedVersion?: number },
    actor: Actor,
  ): Promise<Update> {
    const startedAt = process.hrtime.bigint();
    let submitterId = '';
    const approved = await this.withBodyRead(blogId, updateId, (body, next) =>
      this.deps.liveBlogs.write(blogId, () =>
        this.timeline.approvePending(
          blogId,
          updateId,
          (entry) => {
            VersionConflict.check(entry, options.expectedVersion);
            if (entry.body !== body) throw new BodyMoved();
            submitterId = entry.submittedBy.id;
            const now = this.now().toISOString();
            const { status: _status, submittedBy: _by, submittedAt: _at, rejection: _rejection, ...fields } = entry;
            return {
              ...fields,
              body: next.body,
              html: renderBody(next.body, next.media),
              publishedAt: options.publishedAt === 'submitted' ? entry.publishedAt : now,
              createdAt: now,
              pinned: false,
              version: 1,
            };
          },
          this.deps.liveBlogs.stamp(actor),
        ),
      ),
    );
    if (approved.events.length) {
      this.deps.liveBlogs.published(approved.events, startedAt);
      this.deps.pendingChanged({ blogId, removedId: updateId, submitterId });
    }
    return approved.update;
  }

  /**
   * After a picture's takedown: every entry waiting in the blog's queue that names it loses its references
   * to it from the body (withoutPicture, as LiveBlogs.mediaRemoved) and is rendered again (its editors' and
   * contributor's desks are told). Returns how many.
   */
  async mediaRemoved(blogId: string, mediaId: string, actor: Actor): Promise<number> {
    const named = (await this.timeline.listPending(blogId)).filter((entry) => names(entry, blogId, mediaId));
    let rendered = 0;
    for (const { id } of named) {
      try {
        const entry = await this.withBodyRead(
          blogId,
          id,
          (body, next) =>
            this.deps.liveBlogs.write(blogId, () =>
              this.timeline.changePending(
                blogId,
                id,
                (current) => {
                  if (current.body !== body) throw new BodyMoved();
                  return { ...current, body: next.body, html: renderBody(next.body, next.media), version: current.version + 1 };
                },
                this.deps.liveBlogs.stamp(actor),
                // A rejected entry too: its contributor still reads it, until the rejection expires.
                { rejectedToo: true },
              ),
            ),
          (body) => withoutPicture(body, blogId, mediaId),
        );
        this.deps.pendingChanged({ blogId, entry });
        rendered += 1;
      } catch (error) {
        // Approved, rejected or gone meanwhile: a published one is the timeline's pass (LiveBlogs.mediaRemoved).
        // (Still refused for showing a picture taken down, it is a failure: never passed over in silence.)
        const decided = error instanceof TimelineError && !(error instanceof PictureTakenDown);
        if (decided && (error.kind === 'update_not_found' || error.kind === 'conflict')) continue;
        throw error;
      }
    }
    return rendered;
  }

  /**
   * Runs `write` with the entry's body as read now, and that body (through `edit`) prepared to store
   * (LiveBlogs.prepare: no picture taken down, the records of the others); `write` throws BodyMoved when
   * the body it meets is another (edited meanwhile), and then runs again.
   */
  private async withBodyRead<T>(
    blogId: string,
    updateId: string,
    write: (body: string | undefined, next: Prepared) => Promise<T>,
    edit: (body: string) => string = (body) => body,
  ): Promise<T> {
    return whileBodyMoves(async () => {
      const body = (await this.timeline.getPending(blogId, updateId))?.body;
      const next = body === undefined ? { body: '', media: NO_MEDIA } : await this.deps.liveBlogs.prepare(blogId, edit(body));
      return write(body, next);
    });
  }

  async reject(blogId: string, updateId: string, reason: string | undefined, actor: Actor): Promise<PendingUpdate> {
    const entry = await this.deps.liveBlogs.write(blogId, () =>
      this.timeline.rejectPending(
        blogId,
        updateId,
        (current) => ({
          ...current,
          status: 'rejected',
          rejection: { ...(reason ? { reason } : {}), by: actor.name, at: this.now().toISOString() },
        }),
        this.deps.liveBlogs.stamp(actor),
      ),
    );
    this.deps.pendingChanged({ blogId, entry });
    return entry;
  }
}

/** The fields of a patch that carry a value (null clears, and is handled by the caller). */
function definedOnly(patch: PatchUpdateInput): Partial<Update> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined && value !== null)) as Partial<Update>;
}
