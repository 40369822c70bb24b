/**
 * `/api/blogs/:blogId/updates` and `/events`: publish, page, correct and delete updates; replay events.
 * An editor's publish is published; a contributor's waits for approval (202, see pending.ts).
 */
import { LIMITS } from '../../shared/limits';
import { Router } from 'express';
import { needsApproval } from '../../shared/permissions';
import { CreateUpdateSchema, EventsQuerySchema, ListUpdatesQuerySchema, PatchUpdateSchema } from '../../shared/schemas';
import type { Approvals } from '../service/approvals';
import type { LiveBlogs } from '../service/live-blogs';
import { searchUpdates } from '../store/search';
import type { Timeline } from '../store/timeline';
import { actorOf, principalId } from '../auth/principal';
import type { Guards } from './guards';
import { assertCan, contributorPin } from './roles';
import { notFound, parseOr400 } from './errors';
import { jsonBody } from './json-body';
import { blogIdParam, idempotencyKey, ifMatchVersion, updateIdParam } from './params';

export function updatesRouter(deps: { timeline: Timeline; liveBlogs: LiveBlogs; approvals: Approvals; guards: Guards }): Router {
  const { timeline, liveBlogs, approvals } = deps;
  const { signedIn, signedInWrite } = deps.guards;
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

  router.post('/updates', signedInWrite, jsonBody, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'submit', blogId);
    const key = idempotencyKey(req);
    const parsed = parseOr400(CreateUpdateSchema, req.body, 'update');
    // A person who names no author wrote it themselves.
    const input = !parsed.author && principal.source === 'session' ? { ...parsed, author: principal.name } : parsed;
    if (needsApproval(principal)) {
      if (input.pinned) throw contributorPin();
      const actor = actorOf(principal);
      const submitted = await approvals.submit(
        blogId,
        input,
        { id: actor.id ?? principalId(principal), name: actor.name },
        actor,
        key === undefined ? undefined : { key, scope: principalId(principal) },
      );
      if (!submitted.created) res.setHeader('Idempotent-Replayed', 'true');
      // A retry of an entry approved since answers the update it became, as an editor's retry would.
      if (submitted.update) res.status(201).location(`/api/blogs/${blogId}/updates/${submitted.update.id}`).json(submitted.update);
      else res.status(202).location(`/api/blogs/${blogId}/pending/${submitted.entry!.id}`).json(submitted.entry);
      return;
    }
    const { update, created } = await liveBlogs.publishUpdate(
      blogId,
      input,
      key === undefined ? undefined : { key, scope: principalId(principal) },
      actorOf(principal),
    );
    if (!created) res.setHeader('Idempotent-Replayed', 'true');
    res.status(201).location(`/api/blogs/${blogId}/updates/${update.id}`).json(update);
  });

  router.get('/updates/:updateId', async (req, res) => {
    const update = await timeline.getUpdate(blogIdParam(req), updateIdParam(req));
    if (!update) throw notFound('update');
    res.json(update);
  });

  router.patch('/updates/:updateId', signedInWrite, jsonBody, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'edit', blogId);
    const updateId = updateIdParam(req);
    const patch = parseOr400(PatchUpdateSchema, req.body, 'update');
    res.json(await liveBlogs.editUpdate(blogId, updateId, patch, ifMatchVersion(req), actorOf(principal)));
  });

  router.delete('/updates/:updateId', signedInWrite, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'edit', blogId);
    await liveBlogs.deleteUpdate(blogId, updateIdParam(req), ifMatchVersion(req), actorOf(principal));
    res.status(204).end();
  });

  router.get('/updates/:updateId/versions', signedIn, async (req, res) => {
    const blogId = blogIdParam(req);
    assertCan(res, 'edit', blogId);
    res.json({ versions: await timeline.listVersions(blogId, updateIdParam(req)) });
  });

  router.get('/events', async (req, res) => {
    const query = parseOr400(EventsQuerySchema, req.query, 'query');
    res.json(await timeline.eventsAfter(blogIdParam(req), query.after, query.limit, LIMITS.catchUpBytes));
  });

  return router;
}
