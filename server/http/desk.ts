/** What the editors' page asks besides the resources: who am I, and how will this Markdown look. */
import { Router } from 'express';
import { PreviewSchema, type Me } from '../../shared/schemas';
import { can } from '../../shared/permissions';
import { loadMedia, NO_MEDIA, type MediaRecords } from '../media/lookup';
import { MEDIA_REFERENCE } from '../media/types';
import { renderBody } from '../render/markdown';
import { principalOf } from '../auth/http';
import { parseOr400 } from './errors';
import type { Guards } from './guards';
import { jsonBody } from './json-body';

export function deskRouter(deps: { guards: Guards; media?: MediaRecords }): Router {
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
  // Its pictures are those of the blog being written in, as publishing there would show them; only a
  // blog the writer may submit to is looked in.
  router.post('/preview', deps.guards.signedInPreview, jsonBody, async (req, res) => {
    const { body, blogId } = parseOr400(PreviewSchema, req.body, 'preview');
    const principal = principalOf(res);
    const blog = blogId ?? [...body.matchAll(MEDIA_REFERENCE)].map(([, named]) => named).find((named) => can(principal, 'submit', named));
    const media = blog && can(principal, 'submit', blog) ? await loadMedia(deps.media, blog, body) : NO_MEDIA;
    res.json({ html: renderBody(body, media) });
  });

  return router;
}
