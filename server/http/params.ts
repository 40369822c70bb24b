import type { Request } from 'express';
import { BLOG_ID_PATTERN, IdempotencyKeySchema, UPDATE_ID_PATTERN } from '../../shared/schemas';
import { ERROR_CODES } from '../../shared/codes';
import { HttpError, notFound, parseOr400 } from './errors';

/** A path id that cannot name a blog names no blog: 404, like any unknown one. */
export function blogIdParam(req: Request): string {
  const blogId = req.params.blogId;
  if (typeof blogId !== 'string' || !BLOG_ID_PATTERN.test(blogId)) throw notFound('blog');
  return blogId;
}

export function updateIdParam(req: Request): string {
  const updateId = req.params.updateId;
  if (typeof updateId !== 'string' || !UPDATE_ID_PATTERN.test(updateId)) throw notFound('update');
  return updateId;
}

/**
 * The version an `If-Match` header names (`"3"`; a weak `W/"3"` is read the same), or undefined without
 * one. `*` matches any current version, as HTTP says, so it asks for nothing more than the update existing.
 */
export function ifMatchVersion(req: Request): number | undefined {
  const header = req.get('If-Match')?.trim();
  if (header === undefined || header === '*') return undefined;
  const version = /^(?:W\/)?"([1-9][0-9]{0,14})"$/.exec(header)?.[1];
  if (!version) throw new HttpError(400, ERROR_CODES.invalid, 'If-Match must name a version, quoted: If-Match: "3"');
  return Number(version);
}

export function idempotencyKey(req: Request): string | undefined {
  const key = req.get('Idempotency-Key');
  return key === undefined ? undefined : parseOr400(IdempotencyKeySchema, key, 'Idempotency-Key header');
}
