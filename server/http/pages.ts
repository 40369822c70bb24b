/** The HTML pages and the feed, served from the page cache: the list of blogs, a blog, its iframe page, its Atom feed. */
import path from 'node:path';
import { Router, type Request, type Response } from 'express';
import { MASTODON_RELAY_PATH } from '../../shared/cards';
import { LIMITS } from '../../shared/limits';
import { PAGE_TOKEN_PATTERN, UPDATE_ID_PATTERN } from '../../shared/schemas';
import type { Assets } from '../assets';
import { editorPage, type EditorPageOptions } from '../render/editor-page';
import { atomFeed, FEED_SIZE } from '../render/feed';
import { FAVICON_SVG } from '../render/layout';
import { embedPage, indexPage, notFoundPage, readerPage, type PageContext } from '../render/pages';
import { loadAroundView, loadBlogView } from '../service/blog-view';
import type { Timeline } from '../store/timeline';
import { mastodonEmbed, mastodonRelayPage } from '../render/card-relay';
import { CARD_CSP, cspHeader, DESK_CSP } from './csp';
import { HttpError, notFound } from './errors';
import type { EmbedPolicy } from './embed-policy';
import { INDEX, renderedEntry, sendCached, type PageCache, type Rendered } from './page-cache';
import { blogIdParam } from './params';

const EDITOR_CSP = cspHeader(DESK_CSP);
/** The reader's page may frame the social cards' embeds once a reader asks for one. */
const READER_CSP = cspHeader(CARD_CSP);
/** Said on the page when `?around=` names an update that is not there: the same words as with scripts. */
const GONE_NOTICE = 'This update is no longer available: it may have been removed.';

/**
 * `publicOrigin`: the service's own address (LIVEBLOG_PUBLIC_URL) for canonical links, feeds and share
 * tags — never the request's `Host` or `X-Forwarded-Proto`, which anyone can set: echoed into pages,
 * they poisoned caches, and as cache keys every new value cost a render and an entry.
 */
export function pagesRouter(deps: {
  timeline: Timeline;
  assets: Assets;
  cache: PageCache;
  embed: EmbedPolicy;
  publicOrigin: () => string;
  /** What the desk offers beyond its own sign-in (single sign-on's link). */
  editor?: EditorPageOptions;
}): Router {
  const { timeline, assets, cache } = deps;
  const router = Router();
  const context = (): PageContext => ({ assets, origin: deps.publicOrigin() });

  /** Other sites frame the iframe page (and its 404): which ones is the embed policy's to say. */
  const frameable = (res: Response): void => {
    res.setHeader('Content-Security-Policy', deps.embed.frameCsp);
    res.removeHeader('X-Frame-Options');
  };
  /** People get a page, not the API's JSON: an unknown blog (or a mistyped address) is an HTML 404 with a way back. */
  const sendNotFound = (res: Response, framed: boolean): void => {
    if (framed) frameable(res);
    res.status(404).type('html').setHeader('Cache-Control', 'public, max-age=0, s-maxage=5');
    res.send(notFoundPage(context(), framed));
  };
  const forPeople =
    (handler: (req: Request, res: Response) => Promise<void>, framed = false) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        await handler(req, res);
      } catch (error) {
        if (!(error instanceof HttpError && error.status === 404) || res.headersSent) throw error;
        sendNotFound(res, framed);
      }
    };

  // Browsers ask for it on their own (feeds, JSON opened in a tab); pages carry the same icon inline.
  router.get('/favicon.ico', (_req, res) => {
    res.type('image/svg+xml').setHeader('Cache-Control', 'public, max-age=86400');
    res.send(FAVICON_SVG);
  });

  router.get('/', async (req, res) => {
    const entry = await cache.get(`index:${INDEX}:`, INDEX, async () => ({
      type: 'html',
      body: indexPage(await timeline.listBlogs(), context()),
    }));
    sendCached(req, res, entry);
  });

  router.get(
    '/blogs/:blogId',
    forPeople(async (req, res) => {
      const blogId = blogIdParam(req);
      // A malformed `before` is ignored rather than refused: this is a page people follow links to.
      const before = typeof req.query.before === 'string' && PAGE_TOKEN_PATTERN.test(req.query.before) ? req.query.before : undefined;
      const around = typeof req.query.around === 'string' && UPDATE_ID_PATTERN.test(req.query.around) ? req.query.around : undefined;
      const render = async (): Promise<Rendered> => {
        if (around) {
          const slice = await loadAroundView(timeline, blogId, around, LIMITS.pageDefault);
          if (slice) return { type: 'html', body: readerPage(slice, context(), { around: slice.newer > 0 }) };
          // An update that is gone: the blog is still here, so the latest, with a word (200, not a 404: the
          // reader reached the blog they meant, and a 404 page would hide it).
          const latest = await loadBlogView(timeline, blogId, { limit: LIMITS.pageDefault });
          if (!latest) throw notFound('blog');
          return { type: 'html', body: readerPage(latest, context(), { notice: GONE_NOTICE }) };
        }
        const view = await loadBlogView(timeline, blogId, { limit: LIMITS.pageDefault, before });
        if (!view) throw notFound('blog');
        return { type: 'html', body: readerPage(view, context(), { before }) };
      };
      // The latest page is what readers load, and is cached; older pages (`?before=`, for readers without
      // scripts) and permalinks' pages (`?around=`) can be asked for at any of countless positions, so they
      // are rendered each time instead of filling the cache (the per-address limits bound what that costs).
      const uncached = before || around;
      res.setHeader('Content-Security-Policy', READER_CSP);
      sendCached(req, res, uncached ? renderedEntry(blogId, await render()) : await cache.get(`page:${blogId}:`, blogId, render));
    }),
  );

  router.get(
    '/blogs/:blogId/feed.atom',
    forPeople(async (req, res) => {
      const blogId = blogIdParam(req);
      const entry = await cache.get(`feed:${blogId}:`, blogId, async () => {
        const blog = await timeline.getBlog(blogId);
        if (!blog) throw notFound('blog');
        const { updates } = await timeline.listUpdates(blogId, { limit: FEED_SIZE });
        return { type: 'application/atom+xml; charset=utf-8', body: atomFeed(blog, updates, deps.publicOrigin()) };
      });
      sendCached(req, res, entry);
    }),
  );

  router.get(
    '/embed/:blogId',
    forPeople(async (req, res) => {
      const blogId = blogIdParam(req);
      const entry = await cache.get(`frame:${blogId}:`, blogId, async () => {
        const view = await loadBlogView(timeline, blogId, { limit: LIMITS.pageDefault });
        if (!view) throw notFound('blog');
        return { type: 'html', body: embedPage(view, context()) };
      });
      frameable(res);
      sendCached(req, res, entry);
    }, true),
  );

  // A Mastodon post's embed comes from its own instance, one of thousands: the pages' CSP cannot name
  // them all, so the card frames this page, whose CSP names the one instance it frames. Only as a frame:
  // opened in a tab (a link someone sent), it would show another site's page under this one's address.
  router.get(MASTODON_RELAY_PATH, (req, res) => {
    const embed = typeof req.query.url === 'string' ? mastodonEmbed(req.query.url) : null;
    const dest = req.headers['sec-fetch-dest'];
    if (!embed || (dest !== undefined && dest !== 'iframe')) {
      res.status(404).type('text').send('Not a Mastodon post');
      return;
    }
    res.setHeader(
      'Content-Security-Policy',
      cspHeader({
        'default-src': ["'none'"],
        'script-src': ["'none'"],
        'style-src': ["'self'"],
        'img-src': ['data:'],
        'font-src': ["'none'"],
        'connect-src': ["'none'"],
        'frame-src': [embed.origin],
        'frame-ancestors': deps.embed.frameAncestors,
      }),
    );
    res.removeHeader('X-Frame-Options');
    res.type('html').setHeader('Cache-Control', 'public, max-age=86400');
    res.send(mastodonRelayPage(embed, context()));
  });

  // The key-event notifications' service worker (client/sw/push-sw.ts). Served from the root, so that
  // each blog's registration (scope /push/<blogId>/) lies under it; never cached, so that a fixed
  // worker reaches every browser at its next check.
  router.get('/push-sw.js', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('Service-Worker-Allowed', '/');
    res.type('text/javascript');
    res.sendFile(path.join(assets.dir, 'push-sw.js'));
  });

  router.get('/editor', (req, res) => {
    // The desk holds a token: never framed by another site, never cached.
    res.setHeader('Content-Security-Policy', EDITOR_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.type('html').setHeader('Cache-Control', 'no-store');
    res.send(editorPage(context(), deps.editor));
  });

  // Anything else under /blogs/ or /embed/ is a mistyped address too.
  router.get(['/blogs', '/blogs/*rest'], (_req, res) => sendNotFound(res, false));
  router.get(['/embed', '/embed/*rest'], (_req, res) => sendNotFound(res, true));

  return router;
}
