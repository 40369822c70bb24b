/** The reader's page and the iframe page: make the server-rendered blog live. */
import { LiveBlogView } from '../lib/live-blog-view';
import { connectSocket } from '../lib/socket';

function start(page: HTMLElement, root: HTMLElement): void {
  const framed = page.dataset.framed !== undefined;
  const socket = connectSocket();
  const view = new LiveBlogView({
    root,
    socket,
    apiOrigin: '',
    holdWhenScrolled: !framed,
    titleCount: !framed,
    onEnded: () => socket.disconnect(),
  });
  const permalink = /^#update-([a-z0-9]+)$/.exec(location.hash);
  if (permalink && !root.querySelector(`[id="update-${permalink[1]}"]`)) void view.goTo(permalink[1]);
  if (framed) reportHeight(view.blogId);
}

/** In an iframe: tells the parent page our height whenever it changes, so the iframe never needs one. */
function reportHeight(blogId: string): void {
  let last = 0;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: 'liveblog:height', blogId, height }, '*');
  };
  new ResizeObserver(post).observe(document.documentElement);
  post();
}

const page = document.querySelector<HTMLElement>('[data-liveblog-reader]');
const root = page?.querySelector<HTMLElement>('.lb-blog');
if (page && root) start(page, root);
