/** The reader's page and the iframe page: make the server-rendered blog live. */
import { pageTitle } from '../../shared/html';
import type { BlogStatus } from '../../shared/schemas';
import { LiveBlogView, permalinkId } from '../lib/live-blog-view';
import { NOTIFY_QUERY, offerNotifications, offerNotifyLink } from '../lib/notify';
import { connectSocket } from '../lib/socket';

/** The iframe grows with its content up to this, then scrolls within (its page links to the full blog). */
const FRAME_MAX_HEIGHT = 800;
/** A frame this narrow is on a phone: its 800 px are most of the screen, so the key events give way to the updates. */
const NARROW_FRAME_PX = 480;
/** Key events a narrow frame shows before "Show all N key events". */
const NARROW_FRAME_KEY_EVENTS = 2;

/**
 * The site framing this page, as an origin only (empty when the host hides it), for the editors' figures
 * (readers by site: server/stats/sites.ts).
 */
function hostSite(): { site: string } {
  return { site: location.ancestorOrigins?.[0] ?? (document.referrer ? new URL(document.referrer).origin : '') };
}

function start(page: HTMLElement, root: HTMLElement): void {
  const framed = page.dataset.framed !== undefined;
  const view = new LiveBlogView({
    root,
    socket: connectSocket(undefined, framed ? hostSite() : undefined),
    apiOrigin: '',
    // The iframe's history is the host's tab's: Back there is the host's business.
    ownsHistory: !framed,
    keyEventsShown: framed && innerWidth < NARROW_FRAME_PX ? NARROW_FRAME_KEY_EVENTS : undefined,
    // On the reader's own page, "(3) Kursk offensive – live": the title follows the blog's, and its status.
    onHeld: framed
      ? undefined
      : (count) => {
          const title = pageTitle({ title: root.querySelector('.lb-title')!.textContent ?? '', status: root.dataset.status as BlogStatus });
          document.title = count ? `(${count}) ${title}` : title;
        },
  });
  // A permalink to an update the page does not show opens it among its neighbours; one it shows is highlighted.
  const updateId = permalinkId(location.hash);
  if (updateId) void view.goTo(updateId);
  if (framed) {
    reportHeight(view.blogId);
    watchTopInHost(root, view);
  }
  // Key-event notifications: here on the reader's own page; in a frame on another site, a link to it.
  if (framed) void offerNotifyLink(root, location.origin, view.blogId);
  else void offerNotifications(root, view.blogId, new URLSearchParams(location.search).has(NOTIFY_QUERY));
}

/** In an iframe: tells the parent page our height whenever it changes (up to a cap), so the iframe never needs one. */
function reportHeight(blogId: string): void {
  let last = 0;
  const post = () => {
    const height = Math.min(FRAME_MAX_HEIGHT, Math.ceil(document.documentElement.getBoundingClientRect().height));
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: 'liveblog:height', blogId, height }, '*');
  };
  new ResizeObserver(post).observe(document.documentElement);
  post();
}

/**
 * In an iframe, the host page's scrolling is not ours to see: an IntersectionObserver (whose implicit
 * root is the top-level viewport) tells whether the host shows the list's top, so that new updates
 * wait behind the notice rather than move the text under a reader scrolled past it.
 */
function watchTopInHost(root: HTMLElement, view: LiveBlogView): void {
  const marker = document.createElement('div');
  marker.className = 'lb-top-marker';
  root.querySelector('.lb-updates')!.before(marker);
  new IntersectionObserver(([entry]) => view.hostShowsTop(entry.isIntersecting)).observe(marker);
}

const page = document.querySelector<HTMLElement>('[data-liveblog-reader]');
const root = page?.querySelector<HTMLElement>('.lb-blog');
if (page && root) start(page, root);
