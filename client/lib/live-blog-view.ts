/**
 * A live blog on screen — the reader's page, the iframe page and the widget all use this — kept live
 * without ever moving what the reader is looking at:
 * - at the top of the list, a new update appears at once, briefly highlighted;
 * - scrolled down, it waits behind an "N new updates" button (and "(N)" in the tab title);
 * - edits and deletes above the reader keep the reader's place (the first visible update stays put);
 * - "Load older updates" pages back by cursor, and a permalink loads older pages until it is found;
 * - a hidden tab catches up when shown; a `cursor_expired` reloads the list, not the page;
 * - each batch of new updates is announced once to screen readers.
 */
import { Backoff } from './backoff';
import { applyEvent } from './events';
import { excerpt, keyEventElementId, renderKeyEvent, updateElementId } from '../../shared/html';
import { displayOrderKey } from '../../shared/order';
import { VIEW_MAX } from '../../shared/limits';
import type { Blog, BlogEvent, BlogView, Update, UpdatePage } from '../../shared/schemas';
import { api } from './api';
import { LiveFeed, type FeedStatus, type ClientSocket } from './live-feed';
import { fromHtml, localizeTimes, refreshRelativeTimes, UpdateList } from './update-list';

export interface LiveBlogViewOptions {
  /** The `.lb-blog` element rendered by `renderBlog`. */
  root: HTMLElement;
  socket: ClientSocket;
  /** Where the API is: '' on the service's own pages, its origin inside another site. */
  apiOrigin: string;
  /** Hold new updates behind a notice while the reader is scrolled down (not in an iframe, which has no scroll of its own). */
  holdWhenScrolled: boolean;
  /** Count held updates in the tab title (the reader's own page only). */
  titleCount: boolean;
  /** Called when the blog ends: its live connection is no longer needed. */
  onEnded?: () => void;
}

const STATUS_TEXT: Record<FeedStatus, string> = { connecting: 'Connecting…', live: '', reconnecting: 'Reconnecting…' };
const PAGE_SIZE = 20;
/** How far the list's top may be above the viewport and still count as "at the top". */
const TOP_SLACK_PX = 40;
const RELATIVE_REFRESH_MS = 30_000;
/** Pages loaded at most while looking for a permalink's update. */
const MAX_PAGES_FOR_PERMALINK = 50;

export class LiveBlogView {
  readonly blogId: string;
  private readonly root: HTMLElement;
  /** Spaces the attempts to reload the list while the server cannot answer. */
  private readonly reloadBackoff = new Backoff();
  private readonly list: UpdateList;
  private readonly keyList: UpdateList;
  private readonly listElement: HTMLElement;
  private readonly notice: HTMLButtonElement;
  private readonly held = new Map<string, Update>();
  private readonly baseTitle = document.title;
  private readonly feed: LiveFeed | null;
  private readonly relativeTimer: ReturnType<typeof setInterval>;
  private next: string | undefined;
  private loadingOlder: Promise<void> | null = null;

  constructor(private readonly options: LiveBlogViewOptions) {
    const { root } = options;
    this.root = root;
    this.blogId = root.dataset.blogId!;
    this.next = root.dataset.next;
    this.listElement = root.querySelector<HTMLElement>('.lb-updates')!;
    this.list = new UpdateList(this.listElement);
    this.keyList = new UpdateList(root.querySelector<HTMLElement>('.lb-key-events ol')!, {
      render: (update) => fromHtml(renderKeyEvent(update)),
      elementId: keyEventElementId,
    });
    localizeTimes(root);
    refreshRelativeTimes(root);
    this.relativeTimer = setInterval(() => refreshRelativeTimes(root), RELATIVE_REFRESH_MS);

    // The notice floats over the list in a bar of no height, so showing it moves nothing.
    this.notice = document.createElement('button');
    this.notice.type = 'button';
    this.notice.className = 'lb-notice';
    this.notice.hidden = true;
    this.notice.addEventListener('click', () => this.showHeld());
    const bar = document.createElement('div');
    bar.className = 'lb-notice-bar';
    bar.append(this.notice);
    this.listElement.before(bar);
    this.enhanceOlderButton();
    root.addEventListener('click', (event) => this.onLinkClick(event));
    window.addEventListener('scroll', () => this.held.size && this.atTop() && this.showHeld(false), { passive: true });

    this.feed =
      root.dataset.status === 'ended'
        ? null
        : new LiveFeed(options.socket, this.blogId, root.dataset.cursor!, {
            onEvents: (events) => this.apply(events),
            onStatus: (status) => this.setStatus(status),
            onExpired: () => void this.reloadList(),
          });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.feed?.sync();
    });
  }

  stop(): void {
    this.feed?.stop();
    clearInterval(this.relativeTimer);
  }

  /** Scrolls to an update, loading older pages until it is there. */
  async goTo(updateId: string): Promise<boolean> {
    for (let pages = 0; !this.list.find(updateId) && this.next && pages < MAX_PAGES_FOR_PERMALINK; pages++) await this.loadOlder();
    const element = this.list.find(updateId);
    if (!element) return false;
    element.scrollIntoView({ block: 'start', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
    element.setAttribute('tabindex', '-1');
    element.focus({ preventScroll: true });
    return true;
  }

  private apply(events: BlogEvent[]): void {
    const shown: Update[] = [];
    const change = () => {
      for (const event of events) {
        applyEvent(event, {
          blog: (blog) => this.applyBlog(blog),
          upsert: (update, created) => this.applyUpdate(created, update, shown),
          remove: (updateId) => {
            this.held.delete(updateId);
            this.list.remove(updateId);
            this.keyList.remove(updateId);
          },
        });
      }
    };
    if (this.atTop()) change();
    else this.keepInPlace(change);
    this.toggleKeyEvents();
    this.refreshNotice();
    for (const update of shown) this.highlight(update.id);
    if (shown.length) this.announce(shown.length === 1 ? `New update: ${excerpt(shown[0], 120)}` : `${shown.length} new updates`);
    else if (events.some((event) => event.type === 'update.created') && this.held.size)
      this.announce(`${this.held.size} new updates above`);
  }

  private applyUpdate(created: boolean, update: Update, shown: Update[]): void {
    if (update.keyEvent) this.keyList.upsert(update);
    else this.keyList.remove(update.id);
    if (this.held.has(update.id) || (created && this.options.holdWhenScrolled && !this.atTop())) {
      this.held.set(update.id, update);
      return;
    }
    // An update older than everything loaded belongs to a page not shown yet: "Load older" will bring it.
    const last = this.list.lastOrder();
    if (!this.list.find(update.id) && this.next && last && displayOrderKey(update) < last) return;
    this.list.upsert(update);
    if (created) shown.push(update);
  }

  private applyBlog(blog: Blog): void {
    this.root.querySelector('.lb-title')!.textContent = blog.title;
    const description = this.root.querySelector<HTMLElement>('.lb-description')!;
    description.textContent = blog.description ?? '';
    description.hidden = !blog.description;
    const ended = blog.status === 'ended';
    this.root.dataset.status = blog.status;
    const flag = this.root.querySelector<HTMLElement>('.lb-flag')!;
    flag.textContent = ended ? 'Ended' : 'Live';
    flag.classList.toggle('lb-flag--ended', ended);
    this.root.querySelector<HTMLElement>('.lb-ended')!.hidden = !ended;
    if (ended) {
      this.showHeld(false);
      this.feed?.stop();
      this.setStatus('live');
      this.announce('This live blog has ended.');
      this.options.onEnded?.();
    }
  }

  private atTop(): boolean {
    return !this.options.holdWhenScrolled || this.listElement.getBoundingClientRect().top > -TOP_SLACK_PX;
  }

  /** Runs a DOM change without moving the first update the reader can see. */
  private keepInPlace(change: () => void): void {
    const anchor = Array.from(this.listElement.children).find((element) => element.getBoundingClientRect().bottom > 0);
    const next = anchor?.nextElementSibling;
    const before = anchor?.getBoundingClientRect().top;
    change();
    const still = anchor?.isConnected ? anchor : next?.isConnected ? next : null;
    if (still && before !== undefined) {
      const delta = still.getBoundingClientRect().top - before;
      if (delta) window.scrollBy(0, delta);
    }
  }

  private refreshNotice(): void {
    const count = this.held.size;
    this.notice.hidden = count === 0;
    this.notice.textContent = count === 1 ? '1 new update' : `${count} new updates`;
    if (this.options.titleCount) document.title = count ? `(${count}) ${this.baseTitle}` : this.baseTitle;
  }

  /** Shows the held updates; from the notice, also scrolls to them. */
  private showHeld(scroll = true): void {
    const updates = [...this.held.values()];
    this.held.clear();
    const change = () => updates.forEach((update) => this.list.upsert(update));
    if (scroll) change();
    else this.keepInPlace(change);
    this.refreshNotice();
    updates.forEach((update) => this.highlight(update.id));
    if (scroll && updates.length) {
      this.listElement.scrollIntoView({ block: 'start', behavior: prefersReducedMotion() ? 'auto' : 'smooth' });
      const first = this.listElement.querySelector<HTMLElement>('.lb-new');
      first?.setAttribute('tabindex', '-1');
      first?.focus({ preventScroll: true });
    }
  }

  private highlight(updateId: string): void {
    const element = this.list.find(updateId);
    if (!element) return;
    refreshRelativeTimes(element);
    element.classList.add('lb-new');
    setTimeout(() => element.classList.remove('lb-new'), 3_000);
  }

  private announce(message: string): void {
    const region = this.root.querySelector<HTMLElement>('.lb-announcer')!;
    region.textContent = '';
    // A new text node in a later frame makes screen readers speak it even if it equals the last one.
    requestAnimationFrame(() => (region.textContent = message));
  }

  private setStatus(status: FeedStatus): void {
    const text = this.root.dataset.status === 'ended' ? '' : STATUS_TEXT[status];
    this.root.querySelector('.lb-connection')!.textContent = text;
    this.root.dataset.connection = status;
  }

  private toggleKeyEvents(): void {
    this.root.querySelector<HTMLElement>('.lb-key-events')!.hidden = this.keyList.size === 0;
  }

  /** The server renders "Load older" as a link (it works without scripts); with them it is a button. */
  private enhanceOlderButton(): void {
    const older = this.root.querySelector<HTMLElement>('.lb-older');
    if (!older) return;
    let button = older as HTMLButtonElement;
    if (older.tagName === 'A') {
      button = document.createElement('button');
      button.type = 'button';
      button.className = 'lb-older';
      button.textContent = older.textContent;
      older.replaceWith(button);
    }
    button.addEventListener('click', () => void this.loadOlder());
  }

  private async loadOlder(): Promise<void> {
    if (!this.next) return;
    // One page at a time, however often the button is pressed.
    this.loadingOlder ??= (async () => {
      const button = this.root.querySelector<HTMLButtonElement>('.lb-older');
      try {
        if (button) button.disabled = true;
        const page = await api<UpdatePage>(
          'GET',
          `${this.options.apiOrigin}/api/blogs/${this.blogId}/updates?limit=${PAGE_SIZE}&before=${encodeURIComponent(this.next!)}`,
        );
        for (const update of page.updates) if (!this.held.has(update.id)) this.list.upsert(update);
        refreshRelativeTimes(this.listElement);
        this.next = page.next;
        this.root.querySelector<HTMLElement>('.lb-more')!.hidden = !this.next;
      } catch (error) {
        this.announce('Older updates could not be loaded. Try again.');
        console.warn('[liveblog] loading older updates failed', error);
      } finally {
        if (button) button.disabled = false;
        this.loadingOlder = null;
      }
    })();
    return this.loadingOlder;
  }

  /** After `cursor_expired`: the list is read afresh and live events follow on from it. */
  private async reloadList(): Promise<void> {
    try {
      const view = await api<BlogView>(
        'GET',
        `${this.options.apiOrigin}/api/blogs/${this.blogId}/view?limit=${Math.min(VIEW_MAX, Math.max(PAGE_SIZE, this.list.size))}`,
      );
      this.held.clear();
      this.list.clear();
      this.keyList.clear();
      view.updates.forEach((update) => this.list.upsert(update));
      view.keyEvents.forEach((update) => this.keyList.upsert(update));
      refreshRelativeTimes(this.listElement);
      this.next = view.next;
      this.root.querySelector<HTMLElement>('.lb-more')!.hidden = !this.next;
      this.applyBlog(view.blog);
      this.toggleKeyEvents();
      this.refreshNotice();
      if (view.blog.status !== 'ended') this.feed?.reset(view.cursor);
      this.reloadBackoff.reset();
    } catch (error) {
      const delay = this.reloadBackoff.next();
      console.warn(`[liveblog] reloading the list failed; retrying in ${delay} ms`, error);
      setTimeout(() => void this.reloadList(), delay);
    }
  }

  /** Links to `#update-<id>` load older pages if they must (in a shadow root the browser cannot follow them itself). */
  private onLinkClick(event: MouseEvent): void {
    const link = (event.target as Element | null)?.closest?.('a[href^="#update-"]');
    if (!link) return;
    const updateId = link.getAttribute('href')!.slice(`#${updateElementId('')}`.length);
    event.preventDefault();
    if (this.root.getRootNode() === document) history.replaceState(null, '', `#${updateElementId(updateId)}`);
    void this.goTo(updateId);
  }
}

function prefersReducedMotion(): boolean {
  return window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ?? false;
}
