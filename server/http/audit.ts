/**
 * The audit trail: `GET /api/blogs/:blogId/audit?limit=&before=&updateId=` (the blog's editors: every
 * write to it, kept after its update is gone) and `GET /api/audit?limit=&before=` (the admin: people
 * and tokens). Newest first; `next` is the `before` of the next, older page.
 */
import { Router } from 'express';
import { AuditQuerySchema, BlogAuditQuerySchema } from '../../shared/schemas';
import type { AuditLog } from '../store/audit';
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
