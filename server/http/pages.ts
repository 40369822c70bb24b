/** The HTML pages: the list of blogs, a blog's reader page, the editors' page. */
import { Router, type Request } from 'express';
import { LIMITS } from '../../shared/limits';
import type { Assets } from '../assets';
import { editorPage } from '../render/editor-page';
import { indexPage, readerPage, type PageContext } from '../render/pages';
import type { Timeline } from '../store/timeline';
import { notFound } from './errors';
import { blogIdParam } from './params';

const EDITOR_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";

export function pagesRouter(deps: { timeline: Timeline; assets: Assets }): Router {
  const { timeline, assets } = deps;
  const router = Router();
  const context = (req: Request): PageContext => ({ assets, origin: `${req.protocol}://${req.get('host')}` });

  router.get('/', async (req, res) => {
    res.type('html').setHeader('Cache-Control', 'no-cache');
    res.send(indexPage(await timeline.listBlogs(), context(req)));
  });

  router.get('/blogs/:blogId', async (req, res) => {
    const blogId = blogIdParam(req);
    const blog = await timeline.getBlog(blogId);
    if (!blog) throw notFound('blog');
    const [page, pinned] = await Promise.all([timeline.listUpdates(blogId, { limit: LIMITS.pageDefault }), timeline.pinnedUpdate(blogId)]);
    // The pinned update leads, wherever its time would put it.
    if (pinned) page.updates = [pinned, ...page.updates.filter((update) => update.id !== pinned.id)];
    res.type('html').setHeader('Cache-Control', 'no-cache');
    res.send(readerPage(blog, page, context(req)));
  });

  router.get('/editor', (req, res) => {
    // The desk holds a token: never framed by another site, never cached.
    res.setHeader('Content-Security-Policy', EDITOR_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.type('html').setHeader('Cache-Control', 'no-store');
    res.send(editorPage(context(req)));
  });

  return router;
}
