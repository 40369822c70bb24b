/**
 * The approval queue's routes, under `/api/blogs/:blogId`: `GET /pending` (editors: every waiting entry;
 * a contributor: their own, waiting or rejected with the reason), `GET /pending/:updateId` (one of those,
 * by the same rule: the contributor's 202 names it), `PATCH /pending/:updateId` (an editor
 * corrects an entry before approving it; `If-Match` by version), `POST /updates/:updateId/approve` and
 * `/reject`.
 */
import { Router, type RequestHandler } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import { can } from '../../shared/permissions';
import { ApproveSchema, PatchUpdateSchema, RejectSchema, type PendingUpdate } from '../../shared/schemas';
import { actorOf, principalId, type Principal } from '../auth/principal';
import type { Approvals } from '../service/approvals';
import type { Timeline } from '../store/timeline';
import { HttpError, notFound, parseOr400 } from './errors';
import type { Guards } from './guards';
import { jsonBody } from './json-body';
import { blogIdParam, ifMatchVersion, updateIdParam } from './params';
import { assertCan } from './roles';

/** A JSON body, or none at all (`POST …/approve` with nothing to say): then `{}`. */
const optionalJsonBody: RequestHandler = (req, res, next) => {
  const empty = !req.headers['transfer-encoding'] && Number(req.headers['content-length'] ?? 0) === 0;
  if (!empty) return jsonBody(req, res, next);
  req.body = {};
  next();
};

export function pendingRouter(deps: { timeline: Timeline; approvals: Approvals; guards: Guards }): Router {
  const { timeline, approvals } = deps;
  const { signedIn, signedInWrite } = deps.guards;
  const router = Router({ mergeParams: true });

  /** Whether `principal` sees `entry` in the queue: its editors the waiting ones, anyone their own. */
  const sees = (principal: Principal, blogId: string) => {
    const reviewing = can(principal, 'edit', blogId);
    const own = actorOf(principal).id ?? principalId(principal);
    return (entry: PendingUpdate) => (reviewing && entry.status === 'pending') || entry.submittedBy.id === own;
  };

  router.get('/pending', signedIn, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'submit', blogId);
    const entries = await timeline.listPending(blogId);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ pending: entries.filter(sees(principal, blogId)) });
  });

  router.get('/pending/:updateId', signedIn, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'submit', blogId);
    const entry = await timeline.getPending(blogId, updateIdParam(req));
    // Another contributor's entry is as unknown as a missing one: its existence is not theirs to learn.
    if (!entry || !sees(principal, blogId)(entry)) throw notFound('pending entry');
    res.setHeader('Cache-Control', 'no-store');
    res.json(entry);
  });

  router.patch('/pending/:updateId', signedInWrite, jsonBody, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'edit', blogId);
    const updateId = updateIdParam(req);
    const patch = parseOr400(PatchUpdateSchema, req.body, 'entry');
    if (patch.pinned !== undefined) {
      throw new HttpError(400, ERROR_CODES.invalid, 'the entry has invalid fields', { pinned: 'pin an entry once it is published' });
    }
    res.json(await approvals.edit(blogId, updateId, patch, ifMatchVersion(req), actorOf(principal)));
  });

  router.post('/updates/:updateId/approve', signedInWrite, optionalJsonBody, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'edit', blogId);
    const updateId = updateIdParam(req);
    const input = parseOr400(ApproveSchema, req.body, 'approval');
    const expectedVersion = ifMatchVersion(req);
    const update = await approvals.approve(
      blogId,
      updateId,
      { ...(input.publishedAt ? { publishedAt: input.publishedAt } : {}), ...(expectedVersion ? { expectedVersion } : {}) },
      actorOf(principal),
    );
    res.location(`/api/blogs/${blogId}/updates/${update.id}`).json(update);
  });

  router.post('/updates/:updateId/reject', signedInWrite, optionalJsonBody, async (req, res) => {
    const blogId = blogIdParam(req);
    const principal = assertCan(res, 'edit', blogId);
    const updateId = updateIdParam(req);
    const input = parseOr400(RejectSchema, req.body, 'rejection');
    res.json(await approvals.reject(blogId, updateId, input.reason || undefined, actorOf(principal)));
  });

  return router;
}
