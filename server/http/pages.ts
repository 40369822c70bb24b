/** The HTML pages and the feed, served from the page cache: the list of blogs, a blog, its iframe page, its Atom feed. */
import { Router, type Request } from 'express';
import { LIMITS } from '../../shared/limits';
import { PAGE_TOKEN_PATTERN } from '../../shared/schemas';
import type { Assets } from '../assets';
import { editorPage } from '../render/editor-page';
import { atomFeed, FEED_SIZE } from '../render/feed';
import { embedPage, indexPage, readerPage, type PageContext } from '../render/pages';
import { loadBlogView } from '../service/blog-view';
import type { Timeline } from '../store/timeline';
import { notFound } from './errors';
import type { EmbedPolicy } from './embed-policy';
import { INDEX, sendCached, type PageCache } from './page-cache';
import { blogIdParam } from './params';

const EDITOR_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; connect-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'";

export function pagesRouter(deps: { timeline: Timeline; assets: Assets; cache: PageCache; embed: EmbedPolicy }): Router {
  const { timeline, assets, cache } = deps;
  const router = Router();
  const context = (req: Request): PageContext => ({ assets, origin: `${req.protocol}://${req.get('host')}` });

  router.get('/', async (req, res) => {
    const { origin } = context(req);
    const entry = await cache.get(`index:${INDEX}:${origin}`, INDEX, async () => ({ type: 'html', body: indexPage(await timeline.listBlogs(), context(req)) }));
    sendCached(req, res, entry);
  });

  router.get('/blogs/:blogId', async (req, res) => {
    const blogId = blogIdParam(req);
    // A malformed `before` is ignored rather than refused: this is a page people follow links to.
    const before = typeof req.query.before === 'string' && PAGE_TOKEN_PATTERN.test(req.query.before) ? req.query.before : undefined;
    const { origin } = context(req);
    const entry = await cache.get(`page:${blogId}:${before ?? ''}:${origin}`, blogId, async () => {
      const view = await loadBlogView(timeline, blogId, { limit: LIMITS.pageDefault, before });
      if (!view) throw notFound('blog');
      return { type: 'html', body: readerPage(view, context(req), before) };
    });
    sendCached(req, res, entry);
  });

  router.get('/blogs/:blogId/feed.atom', async (req, res) => {
    const blogId = blogIdParam(req);
    const { origin } = context(req);
    const entry = await cache.get(`feed:${blogId}:${origin}`, blogId, async () => {
      const blog = await timeline.getBlog(blogId);
      if (!blog) throw notFound('blog');
      const { updates } = await timeline.listUpdates(blogId, { limit: FEED_SIZE });
      return { type: 'application/atom+xml; charset=utf-8', body: atomFeed(blog, updates, origin) };
    });
    sendCached(req, res, entry);
  });

  router.get('/embed/:blogId', async (req, res) => {
    const blogId = blogIdParam(req);
    const { origin } = context(req);
    const entry = await cache.get(`frame:${blogId}:${origin}`, blogId, async () => {
      const view = await loadBlogView(timeline, blogId, { limit: LIMITS.pageDefault });
      if (!view) throw notFound('blog');
      return { type: 'html', body: embedPage(view, context(req)) };
    });
    // Other sites frame this page: which ones is the embed policy's to say.
    res.setHeader('Content-Security-Policy', deps.embed.frameCsp);
    res.removeHeader('X-Frame-Options');
    sendCached(req, res, entry);
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
