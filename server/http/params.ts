import type { Request } from 'express';
import { BLOG_ID_PATTERN, IdempotencyKeySchema, UPDATE_ID_PATTERN } from '../../shared/schemas';
import { notFound, parseOr400 } from './errors';

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

export function idempotencyKey(req: Request): string | undefined {
  const key = req.get('Idempotency-Key');
  return key === undefined ? undefined : parseOr400(IdempotencyKeySchema, key, 'Idempotency-Key header');
}
