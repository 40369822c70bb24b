/** `GET /api/blogs/:blogId/view`: what the embed widget shows first, in one cached answer. */
import { Router } from 'express';
import { z } from 'zod';
import { LIMITS } from '../../shared/limits';
import { countParam } from '../../shared/schemas';
import { loadBlogView } from '../service/blog-view';
import type { Timeline } from '../store/timeline';
import { notFound, parseOr400 } from './errors';
import { sendCached, type PageCache } from './page-cache';
import { blogIdParam } from './params';

const ViewQuerySchema = z.object({ limit: countParam(LIMITS.viewMax, LIMITS.pageDefault) });

export function viewRouter(deps: { timeline: Timeline; cache: PageCache }): Router {
  const router = Router({ mergeParams: true });
  router.get('/view', async (req, res) => {
    const blogId = blogIdParam(req);
    const { limit } = parseOr400(ViewQuerySchema, req.query, 'query');
    const entry = await deps.cache.get(`view:${blogId}:${limit}`, blogId, async () => {
      const view = await loadBlogView(deps.timeline, blogId, { limit });
      if (!view) throw notFound('blog');
      return { type: 'json', body: JSON.stringify(view) };
    });
    sendCached(req, res, entry);
  });
  return router;
}
