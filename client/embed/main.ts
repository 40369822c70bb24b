/**
 * The one-tag widget: `<div data-liveblog="BLOG_ID"></div><script src="https://HOST/embed.js" async></script>`.
 * Each such div gets a shadow root (the host's styles stay out, ours stay in) holding the live blog;
 * every widget on the page shares one connection. Options: `data-limit` (updates shown first, 1–50,
 * rounded down) and `data-theme` (`light`, `dark` or `auto`, in any case). Its permalinks are the host page's address with
 * `#update-<id>`: opened, that address scrolls the widget to the update (fetched if it is not shown).
 */
import { renderBlog } from '../../shared/html';
import { absoluteMedia } from '../../shared/media';
import { VIEW_MAX } from '../../shared/limits';
import type { BlogView } from '../../shared/schemas';
import { api } from '../lib/api';
import { LiveBlogView, permalinkId } from '../lib/live-blog-view';
import { offerNotifyLink } from '../lib/notify';
import readerCss from '../reader/reader.css';
import widgetCss from './widget.css';
import { WireSocket } from './wire-socket';

const script = document.currentScript as HTMLScriptElement | null;
const origin = script?.src ? new URL(script.src).origin : location.origin;
const STYLE = `${readerCss}\n${widgetCss}`;
let socket: WireSocket | undefined;
/** Updates shown first when `data-limit` is missing or not a number. */
const DEFAULT_LIMIT = 10;
const THEMES = ['light', 'dark', 'auto'] as const;

/** `data-limit` as people type it ("2.5", " 4 ", "999"): a whole number from 1 to VIEW_MAX (the API refuses others). */
function widgetLimit(attribute: string | undefined): number {
  const limit = Math.floor(Number(attribute));
  if (!Number.isFinite(limit) || limit === 0) return DEFAULT_LIMIT;
  return Math.min(VIEW_MAX, Math.max(1, limit));
}

function mount(host: HTMLElement): void {
  if (host.dataset.liveblogMounted !== undefined) return;
  host.dataset.liveblogMounted = '';
  const blogId = host.dataset.liveblog ?? '';
  const limit = widgetLimit(host.dataset.limit);
  const theme = THEMES.find((name) => name === host.dataset.theme?.trim().toLowerCase()) ?? 'auto';
  const shadow = host.shadowRoot ?? host.attachShadow({ mode: 'open' });
  shadow.innerHTML = `<style>${STYLE}</style><div class="lb-widget" data-theme="${theme}"><p class="lb-loading">Loading the live blog…</p></div>`;
  const widget = shadow.querySelector<HTMLElement>('.lb-widget')!;
  api<BlogView>('GET', `${origin}/api/blogs/${encodeURIComponent(blogId)}/view?limit=${limit}`)
    .then((view) => {
      // Pictures' URLs are root-relative (`/media/…`): here, on another site, they must name this service.
      widget.innerHTML = absoluteMedia(
        renderBlog(view.blog, view.updates, view.keyEvents, { cursor: view.cursor, next: view.next, headingLevel: 2, embedded: true }),
        origin,
      );
      socket ??= new WireSocket(origin);
      const root = widget.querySelector<HTMLElement>('.lb-blog')!;
      const live = new LiveBlogView({ root, socket, apiOrigin: origin });
      // A widget on another site can host neither the worker nor the permission: it links to the reader's page.
      void offerNotifyLink(root, origin, blogId);
      const updateId = permalinkId(location.hash);
      if (updateId) void live.goTo(updateId, true);
    })
    .catch((error: unknown) => {
      widget.querySelector('.lb-loading')!.textContent = 'The live blog could not be loaded.';
      console.warn('[liveblog] widget failed to load', blogId, error);
    });
}

function scan(): void {
  document.querySelectorAll<HTMLElement>('[data-liveblog]').forEach(mount);
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', scan);
else scan();
// Widgets added later (by a CMS, a single-page app) are found too.
new MutationObserver(() => scan()).observe(document.documentElement, { childList: true, subtree: true });
