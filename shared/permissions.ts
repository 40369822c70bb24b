/**
 * Who may do what: one rule for the server (HTTP and Socket.IO alike) and for the editors' desk, which
 * shows only what its user may do.
 *
 * Roles: **admin** does everything (people and tokens too); **editor** publishes, edits, deletes, pins,
 * approves and reads the audit trail on their blogs (with `*`, every blog, and may create blogs);
 * **contributor** submits entries to their blogs, which wait for an editor's approval. Editor tokens
 * (for scripts) are editors; the admin token is an admin.
 */
export type Role = 'admin' | 'editor' | 'contributor';

export const ROLES: readonly Role[] = ['admin', 'editor', 'contributor'];

export interface Grants {
  kind: string;
  /** The blogs they act on; `*` for every blog. */
  blogs?: readonly string[];
}

/**
 * What someone may do on a blog:
 * - `submit`: send an entry (published at once by an editor, queued for approval from a contributor);
 * - `edit`: publish directly, correct, delete, pin, approve or reject entries, change the blog, read
 *   its pending queue, versions and audit trail.
 */
export type BlogAction = 'submit' | 'edit';

/** Whether `who` names this blog among theirs (or `*`). */
function covers(who: Grants, blogId: string): boolean {
  return !!who.blogs?.includes('*') || !!who.blogs?.includes(blogId);
}

export function can(who: Grants, action: BlogAction, blogId: string): boolean {
  if (who.kind === 'admin') return true;
  if (!covers(who, blogId)) return false;
  if (action === 'submit') return who.kind === 'editor' || who.kind === 'contributor';
  return who.kind === 'editor';
}

/** Editors and admins write to a blog directly; a contributor's entries wait for approval. */
export function needsApproval(who: Grants): boolean {
  return who.kind === 'contributor';
}

/** Publish, edit, delete, pin, approve on this blog. */
export function canWriteBlog(who: Grants, blogId: string): boolean {
  return can(who, 'edit', blogId);
}

export function canCreateBlog(who: Grants): boolean {
  return who.kind === 'admin' || (who.kind === 'editor' && !!who.blogs?.includes('*'));
}

/** People, tokens and the service-wide audit trail. */
export function canManagePeople(who: Grants): boolean {
  return who.kind === 'admin';
}
