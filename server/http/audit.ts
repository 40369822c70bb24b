/**
 * The audit trail: `GET /api/blogs/:blogId/audit?limit=&before=&updateId=` (the blog's editors: every
 * write to it, kept after its update is gone) and `GET /api/audit?limit=&before=` (the admin: people
 * and tokens). Newest first; `next` is the `before` of the next, older page.
 */
import { Router, type Response } from 'express';
import { principalOf } from '../auth/http';
import { actorOf } from '../auth/principal';
import type { Logger } from '../logger';
import { AuditQuerySchema, BlogAuditQuerySchema } from '../../shared/schemas';
import type { AuditDraft, AuditLog } from '../store/audit';
import type { Timeline } from '../store/timeline';
import { notFound, parseOr400 } from './errors';
import type { Guards } from './guards';
import { blogIdParam } from './params';
import { assertCan, assertCanManagePeople } from './roles';

/** Mounted at `/api/blogs/:blogId`. */
export function blogAuditRouter(deps: { timeline: Timeline; audit: AuditLog; guards: Guards }): Router {
  const router = Router({ mergeParams: true });
  router.get('/audit', deps.guards.signedIn, async (req, res) => {
    const blogId = blogIdParam(req);
    assertCan(res, 'edit', blogId);
    const query = parseOr400(BlogAuditQuerySchema, req.query, 'query');
    if (!(await deps.timeline.getBlog(blogId))) throw notFound('blog');
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.audit.list({ blogId }, query));
  });
  return router;
}

/** Mounted at `/api/audit`. */
export function serviceAuditRouter(deps: { audit: AuditLog; guards: Guards }): Router {
  const router = Router();
  router.get('/', deps.guards.signedIn, async (req, res) => {
    assertCanManagePeople(res);
    const query = parseOr400(AuditQuerySchema, req.query, 'query');
    res.setHeader('Cache-Control', 'no-store');
    res.json(await deps.audit.list('service', query));
  });
  return router;
}

/**
 * Appends a service-trail entry for a change stored apart from the trail (tokens, pictures, webhooks:
 * other Cluster slots, or not Redis at all), right after it, by whoever `res` was answered for. A
 * failure does not undo the change: it is logged at error level with what the entry would say
 * (`loggable` leaves out what must never be logged), and the answer is still the change's.
 */
export async function recordChange(
  deps: { audit: AuditLog; logger: Logger },
  res: Response,
  entry: Omit<AuditDraft, 'actor'>,
  what: string,
  loggable: (draft: AuditDraft) => unknown = (draft) => draft,
): Promise<void> {
  const draft: AuditDraft = { ...entry, actor: actorOf(principalOf(res)) };
  try {
    await deps.audit.record(draft);
  } catch (error) {
    deps.logger.error({ err: error, entry: loggable(draft) }, `a ${what} change is done but its audit entry could not be written`);
  }
}
