/** `GET /api/blogs/:blogId/stats?since=&until=`: the blog's editors only (mounted at `/api/blogs/:blogId`). */
import { Router } from 'express';
import { StatsQuerySchema, type BlogStats } from '../../shared/schemas';
import { notFound, parseOr400 } from '../http/errors';
import type { Guards } from '../http/guards';
import { blogIdParam } from '../http/params';
import { assertCan } from '../http/roles';
import type { PushFigures } from '../reach/push';
import type { Timeline } from '../store/timeline';
import type { FiguresStore } from './types';

export function statsRouter(deps: { timeline: Timeline; guards: Guards; figures: FiguresStore; push?: PushFigures }): Router {
  const router = Router({ mergeParams: true });
  router.get('/stats', deps.guards.signedIn, async (req, res) => {
    const blogId = blogIdParam(req);
    assertCan(res, 'edit', blogId);
    const range = parseOr400(StatsQuerySchema, req.query, 'query');
    if (!(await deps.timeline.getBlog(blogId))) throw notFound('blog');
    const [figures, subscribers, pushesSent] = await Promise.all([
      deps.figures.read(blogId, range),
      deps.push?.subscribers(blogId) ?? 0,
      deps.push?.pushesSent(blogId) ?? 0,
    ]);
    const body: BlogStats = {
      readersNow: figures.readersNow,
      peakReaders: figures.peakReaders,
      peakAt: figures.peakAt === null ? null : new Date(figures.peakAt).toISOString(),
      series: figures.series.map(({ at, readers }) => ({ at: new Date(at).toISOString(), readers })),
      stepMinutes: figures.stepMinutes,
      embeds: figures.embeds,
      subscribers,
      pushesSent,
    };
    res.setHeader('Cache-Control', 'no-store');
    res.json(body);
  });
  return router;
}
