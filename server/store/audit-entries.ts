/**
 * The audit entries a blog's writes record, built once for both stores: each store appends them in the
 * same atomic step as the write, with `before` being the state that write really replaced (read inside
 * its read-modify-write, so a concurrent change can never be recorded as someone else's "before").
 */
import type { Actor, AuditAction, Blog, PendingUpdate, Update } from '../../shared/schemas';
import type { AuditDraft } from './audit';
import type { BlogRecord } from './timeline';

/** Who did a write, and when: every write method of the Timeline takes one. */
export interface AuditStamp {
  actor: Actor;
  at: string;
}

/** The actor of writes made by the service itself (the demo seed, direct store calls in tools). */
export const SERVICE_ACTOR: Actor = { kind: 'admin-token', name: 'Service' };

export function serviceStamp(): AuditStamp {
  return { actor: SERVICE_ACTOR, at: new Date().toISOString() };
}

/** A blog without its cursor: the cursor is where the log stands, not part of what was changed. */
export function blogState(blog: Blog | BlogRecord): BlogRecord {
  const { id, title, description, status, createdAt, updatedAt } = blog;
  return { id, title, ...(description !== undefined ? { description } : {}), status, createdAt, updatedAt };
}

function entry(
  stamp: AuditStamp,
  action: AuditAction,
  blogId: string,
  fields: Omit<AuditDraft, 'at' | 'actor' | 'action' | 'blogId'>,
): AuditDraft {
  return { at: stamp.at, actor: stamp.actor, action, blogId, ...fields };
}

export const blogCreated = (stamp: AuditStamp, record: BlogRecord): AuditDraft =>
  entry(stamp, 'blog.created', record.id, { after: blogState(record) });

export const blogChanged = (stamp: AuditStamp, before: Blog | BlogRecord, after: BlogRecord): AuditDraft =>
  entry(stamp, 'blog.changed', after.id, { before: blogState(before), after: blogState(after) });

export const updateCreated = (stamp: AuditStamp, update: Update): AuditDraft =>
  entry(stamp, 'update.created', update.blogId, { updateId: update.id, after: update });

/**
 * A change of an update: `update.deleted` (with what was deleted), `update.pinned`/`update.unpinned`
 * when only the pin moved, `update.edited` otherwise.
 */
export function updateChanged(stamp: AuditStamp, before: Update, after: Update | null): AuditDraft {
  const fields = { updateId: before.id };
  if (!after) return entry(stamp, 'update.deleted', before.blogId, { ...fields, before });
  const pinOnly = before.pinned !== after.pinned && sameContent(before, after);
  const action: AuditAction = pinOnly ? (after.pinned ? 'update.pinned' : 'update.unpinned') : 'update.edited';
  return entry(stamp, action, before.blogId, { ...fields, before, after });
}

/** The unpin of the blog's pinned update that pinning another one made, recorded as its own entry. */
export const updateAutoUnpinned = (stamp: AuditStamp, before: Update, after: Update): AuditDraft =>
  entry(stamp, 'update.unpinned', before.blogId, { updateId: before.id, before, after });

export const pendingSubmitted = (stamp: AuditStamp, pending: PendingUpdate): AuditDraft =>
  entry(stamp, 'update.submitted', pending.blogId, { updateId: pending.id, after: pending });

export const pendingEdited = (stamp: AuditStamp, before: PendingUpdate, after: PendingUpdate): AuditDraft =>
  entry(stamp, 'update.edited', before.blogId, { updateId: before.id, before, after });

/** `before` is the pending entry (with its submitter), `after` the update as published. */
export const pendingApproved = (stamp: AuditStamp, pending: PendingUpdate, published: Update): AuditDraft =>
  entry(stamp, 'update.approved', pending.blogId, { updateId: pending.id, before: pending, after: published });

export const pendingRejected = (stamp: AuditStamp, before: PendingUpdate, after: PendingUpdate): AuditDraft =>
  entry(stamp, 'update.rejected', before.blogId, {
    updateId: before.id,
    before,
    after,
    ...(after.rejection?.reason ? { reason: after.rejection.reason } : {}),
  });

/** Everything but the version and the pin is the same. */
function sameContent(a: Update, b: Update): boolean {
  const strip = ({ version: _v, pinned: _p, ...rest }: Update) => rest;
  return JSON.stringify(sortedEntries(strip(a))) === JSON.stringify(sortedEntries(strip(b)));
}

function sortedEntries(value: object): [string, unknown][] {
  return Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1));
}
