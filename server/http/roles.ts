/**
 * The one permission rule (shared/permissions.ts) on HTTP routes: a refusal is a 403 before anything is
 * read or written, so a refused request changes nothing.
 */
import type { Response } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import { can, canCreateBlog, canManagePeople, type BlogAction } from '../../shared/permissions';
import { principalOf } from '../auth/http';
import type { Principal } from '../auth/principal';
import { HttpError } from './errors';

/** The principal, when it may do `action` on the blog; 403 otherwise. */
export function assertCan(res: Response, action: BlogAction, blogId: string): Principal {
  const principal = principalOf(res);
  if (can(principal, action, blogId)) return principal;
  const covers = can({ ...principal, kind: 'editor' }, 'submit', blogId);
  throw new HttpError(
    403,
    ERROR_CODES.forbidden,
    covers && action === 'edit'
      ? 'only an editor of this blog may do this: a contributor’s entries wait for approval'
      : `you have no rights on blog ${blogId}`,
  );
}

export function assertCanCreateBlog(res: Response): Principal {
  const principal = principalOf(res);
  if (!canCreateBlog(principal))
    throw new HttpError(403, ERROR_CODES.forbidden, 'only an admin or an editor of every blog may create blogs');
  return principal;
}

export function assertCanManagePeople(res: Response): Principal {
  const principal = principalOf(res);
  if (!canManagePeople(principal)) throw new HttpError(403, ERROR_CODES.forbidden, 'only an admin may do this');
  return principal;
}

/** The HTTP error of a refused contributor's pin: pinning is an editor's choice, once an entry is published. */
export const contributorPin = () =>
  new HttpError(403, ERROR_CODES.forbidden, 'a contributor’s entry cannot be pinned: an editor pins it once it is published');
