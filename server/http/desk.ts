/** What the editors' page asks besides the resources: who am I, and how will this Markdown look. */
import { Router } from 'express';
import { PreviewSchema, type Me } from '../../shared/schemas';
import { renderBody } from '../render/markdown';
import { principalOf } from '../auth/http';
import { parseOr400 } from './errors';
import type { Guards } from './guards';
import { jsonBody } from './json-body';

export function deskRouter(deps: { guards: Guards }): Router {
  const router = Router();

  router.get('/me', deps.guards.signedIn, (_req, res) => {
    const principal = principalOf(res);
    const me: Me =
      principal.source === 'admin-token'
        ? { kind: 'admin', name: 'Admin', blogs: ['*'], source: principal.source }
        : principal.source === 'token'
          ? { kind: 'editor', name: principal.name, blogs: principal.blogs, source: principal.source }
          : {
              kind: principal.kind,
              name: principal.name,
              blogs: principal.blogs,
              source: 'session',
              id: principal.personId,
              email: principal.email,
            };
    res.setHeader('Cache-Control', 'no-store');
    res.json(me);
  });

  // The same renderer and sanitiser as publishing: the preview is exactly what readers will get.
  router.post('/preview', deps.guards.signedInPreview, jsonBody, (req, res) => {
    res.json({ html: renderBody(parseOr400(PreviewSchema, req.body, 'preview').body) });
  });

  return router;
}
