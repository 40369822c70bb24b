/** The reader's page: makes the server-rendered story live. */
import type { BlogEvent } from '../../shared/schemas';
import { LiveFeed, type FeedStatus } from '../lib/live-feed';
import { connectSocket } from '../lib/socket';
import { localizeTimes, UpdateList } from '../lib/update-list';

const STATUS_TEXT: Record<FeedStatus, string> = { connecting: 'Connecting…', live: '', reconnecting: 'Reconnecting…' };
/** A reload for an expired cursor happens at most this often, so a broken server cannot loop the page. */
const RELOAD_GUARD_MS = 30_000;

function start(root: HTMLElement): void {
  const blogId = root.dataset.blogId!;
  const list = new UpdateList(root.querySelector<HTMLElement>('.lb-updates')!);
  const connection = root.querySelector<HTMLElement>('.lb-connection');
  localizeTimes(root);

  const socket = connectSocket();
  const feed = new LiveFeed(socket, blogId, root.dataset.cursor!, {
    onEvents: (events) => events.forEach(apply),
    onStatus: (status) => {
      if (connection) connection.textContent = STATUS_TEXT[status];
      root.dataset.connection = status;
    },
    onExpired: () => {
      const last = Number(sessionStorage.getItem('liveblogReloadedAt') ?? 0);
      if (Date.now() - last < RELOAD_GUARD_MS) return;
      sessionStorage.setItem('liveblogReloadedAt', String(Date.now()));
      location.reload();
    },
  });

  function apply(event: BlogEvent): void {
    if (event.type === 'blog.updated' && event.blog) {
      root.querySelector('.lb-title')!.textContent = event.blog.title;
      const description = root.querySelector('.lb-description');
      if (description) description.textContent = event.blog.description ?? '';
      if (event.blog.status === 'ended') {
        root.querySelector('.lb-flag')!.textContent = 'Ended';
        feed.stop();
        socket.disconnect();
        if (connection) connection.textContent = 'This live blog has ended.';
      }
      return;
    }
    list.apply(event);
  }
}

const root = document.querySelector<HTMLElement>('[data-liveblog-reader]');
if (root) start(root);
