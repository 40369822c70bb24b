/** `/api/blogs/:blogId/updates` and `/events`: publish, page, correct and delete updates; replay events. */
import { LIMITS } from '../../shared/limits';
import { Router } from 'express';
import { CreateUpdateSchema, EventsQuerySchema, ListUpdatesQuerySchema, PatchUpdateSchema } from '../../shared/schemas';
import type { LiveBlogs } from '../service/live-blogs';
import { searchUpdates } from '../store/search';
import type { Timeline } from '../store/timeline';
import { assertCanWrite, principalOf } from '../auth/http';
import { principalId } from '../auth/principal';
import type { Guards } from './guards';
import { notFound, parseOr400 } from './errors';
import { jsonBody } from './json-body';
import { blogIdParam, idempotencyKey, ifMatchVersion, updateIdParam } from './params';

export function updatesRouter(deps: { timeline: Timeline; liveBlogs: LiveBlogs; guards: Guards }): Router {
  const { timeline, liveBlogs } = deps;
  const { editor, editorWrite } = deps.guards;
  const router = Router({ mergeParams: true });

  router.get('/updates', async (req, res) => {
    const blogId = blogIdParam(req);
    const query = parseOr400(ListUpdatesQuerySchema, req.query, 'query');
    if (query.around) {
      const page = await timeline.listAround(blogId, query.around, query.limit);
      if (!page) throw notFound('update');
      res.json(page);
    } else {
      res.json(query.q ? await searchUpdates(timeline, blogId, query.q, query) : await timeline.listUpdates(blogId, query));
    }
  });

  router.post('/updates', editorWrite, jsonBody, async (req, res) => {
    const blogId = blogIdParam(req);
    assertCanWrite(res, blogId);
    const key = idempotencyKey(req);
    const input = parseOr400(CreateUpdateSchema, req.body, 'update');
    const { update, created } = await liveBlogs.publishUpdate(
      blogId,
      input,
      key === undefined ? undefined : { key, scope: principalId(principalOf(res)) },
    );
    if (!created) res.setHeader('Idempotent-Replayed', 'true');
    res.status(201).location(`/api/blogs/${blogId}/updates/${update.id}`).json(update);
  });

  router.get('/updates/:updateId', async (req, res) => {
    const update = await timeline.getUpdate(blogIdParam(req), updateIdParam(req));
    if (!update) throw notFound('update');
    res.json(update);
  });

  router.patch('/updates/:updateId', editorWrite, jsonBody, async (req, res) => {
    const blogId = blogIdParam(req);
    assertCanWrite(res, blogId);
    const updateId = updateIdParam(req);
    res.json(await liveBlogs.editUpdate(blogId, updateId, parseOr400(PatchUpdateSchema, req.body, 'update'), ifMatchVersion(req)));
  });

  router.delete('/updates/:updateId', editorWrite, async (req, res) => {
    const blogId = blogIdParam(req);
    assertCanWrite(res, blogId);
    await liveBlogs.deleteUpdate(blogId, updateIdParam(req), ifMatchVersion(req));
    res.status(204).end();
  });

  router.get('/updates/:updateId/versions', editor, async (req, res) => {
    const blogId = blogIdParam(req);
    assertCanWrite(res, blogId);
    res.json({ versions: await timeline.listVersions(blogId, updateIdParam(req)) });
  });

  router.get('/events', async (req, res) => {
    const query = parseOr400(EventsQuerySchema, req.query, 'query');
    res.json(await timeline.eventsAfter(blogIdParam(req), query.after, query.limit, LIMITS.catchUpBytes));
  });

  return router;
}
