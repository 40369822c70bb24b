/**
 * A live blog on screen — the reader's page, the iframe page and the widget all use this — kept live
 * without ever moving what the reader is looking at:
 * - at the top of the list, a new update appears at once, briefly highlighted;
 * - scrolled down (in an iframe: scrolled past its top on the host page too), it waits behind an
 *   "N new updates" button (and "(N)" in the tab title), placed just above the reader's place so that
 *   a keyboard user reaches it in a Shift+Tab or two;
 * - edits and deletes above the reader keep the reader's place (the first visible update stays put);
 * - "Load older updates" pages back by cursor and puts focus on the first update it loaded;
 * - a permalink, however old, opens at once: the list is replaced by the update and its neighbours
 *   (`?around=`), with "Back to the latest"; live updates meanwhile are counted, not shown above it;
 * - a hidden tab catches up when shown; a `cursor_expired` reloads the list, not the page;
 * - an ended blog keeps listening, so that a reopened one goes live again;
 * - each batch of new updates is announced once to screen readers;
 * - a social card loads its provider's embed when the reader presses its button (cards.ts);
 * - pictures (`/media/…`, root-relative) name the service's origin wherever the view is on another site's page.
 */
import { Backoff } from './backoff';
import { applyEvent } from './events';
import { excerpt, keyEventElementId, renderKeyEvent, renderUpdate, updateElementId } from '../../shared/html';
import { absoluteMedia } from '../../shared/media';
import { displayOrderKey, updateOrderKey } from '../../shared/order';
import { VIEW_MAX } from '../../shared/limits';
import type { Blog, BlogEvent, BlogView, Update, UpdatePage } from '../../shared/schemas';
import { api, ApiError } from './api';
import { enableCards } from './cards';
import { collapseIfLong, KeyEventsBox } from './collapsibles';
import { LiveFeed, type FeedSocket, type FeedStatus } from './live-feed';
import { activeElement, focusQuietly, prefersReducedMotion } from './dom';
import { fromHtml, localizeTimes, refreshRelativeTimes, UpdateList } from './update-list';

export interface LiveBlogViewOptions {
  /** The `.lb-blog` element rendered by `renderBlog`. */
  root: HTMLElement;
  socket: FeedSocket;
  /** Where the API is: '' on the service's own pages, its origin inside another site. */
  apiOrigin: string;
  /** After each change: how many new updates wait behind the notice (the reader's page counts them in the tab title). */
  onHeld?(count: number): void;
  /**
   * The page is the blog's own (the reader's page, not an iframe or a host's page, whose history is
   * the host's): following a permalink or key event adds an entry to the browser's history, and Back
   * returns to where the reader was.
   */
  ownsHistory?: boolean;
  /** Key events shown before "Show all N key events" (five unless told fewer). */
  keyEventsShown?: number;
}

const STATUS_TEXT: Record<FeedStatus, string> = { connecting: 'Connecting…', live: '', reconnecting: 'Reconnecting…' };
const PAGE_SIZE = 20;
/** Updates in a permalink's page: about half newer than it, half older. */
const AROUND_SIZE = 20;
/** How far the list's top may be above the viewport and still count as "at the top". */
const TOP_SLACK_PX = 40;
const RELATIVE_REFRESH_MS = 30_000;
const PERMALINK = /^#update-([a-z0-9]{1,64})$/;

/** The id in a `#update-<id>` fragment, if it is one. */
export function permalinkId(hash: string): string | undefined {
  return PERMALINK.exec(hash)?.[1];
}

/** While the list shows a permalink's neighbours rather than the latest updates. */
interface Slice {
  /** Order key of the newest update of the slice: anything newer is not shown. */
  top: string;
  /** Updates newer than the slice when it was read (unknown on an older page served as such, `?before=`). */
  newer?: number;
  bar: HTMLElement;
  /** The same way back, for keyboard users, just before the opened update: one Shift+Tab from it, shown when focused. */
  jump: HTMLElement;
}

export class LiveBlogView {
  readonly blogId: string;
  readonly #options: LiveBlogViewOptions;
  readonly #root: HTMLElement;
  /** Spaces the attempts to reload the list while the server cannot answer. */
  readonly #reloadBackoff = new Backoff();
  readonly #list: UpdateList;
  readonly #keyList: UpdateList;
  readonly #keyBox: KeyEventsBox;
  readonly #listElement: HTMLElement;
  readonly #notice: HTMLButtonElement;
  readonly #noticeBar: HTMLElement;
  readonly #held = new Map<string, Update>();
  /** Long updates the reader opened ("Read more"), kept open when an edit re-renders them. */
  readonly #expanded = new Set<string>();
  readonly #feed: LiveFeed;
  #next: string | undefined;
  #loadingOlder: Promise<void> | null = null;
  #slice: Slice | null = null;
  #message: HTMLElement | null = null;
  /** In an iframe: whether the host page shows the list's top. */
  #topInHost = true;
  /** The address whose part of the blog is shown: a `popstate` and a `hashchange` for one step back are followed once. */
  #address = location.href;

  constructor(options: LiveBlogViewOptions) {
    this.#options = options;
    const { root } = options;
    this.#root = root;
    this.blogId = root.dataset.blogId!;
    this.#next = root.dataset.next;
    this.#listElement = root.querySelector<HTMLElement>('.lb-updates')!;
    this.#list = new UpdateList(this.#listElement, { render: (update) => this.#renderUpdate(update) });
    this.#keyList = new UpdateList(root.querySelector<HTMLElement>('.lb-key-events ol')!, {
      render: (update) => fromHtml(renderKeyEvent(update)),
      elementId: keyEventElementId,
    });
    this.#keyBox = new KeyEventsBox(root.querySelector<HTMLElement>('.lb-key-events')!, options.keyEventsShown);
    localizeTimes(root);
    refreshRelativeTimes(root);
    this.#listElement.querySelectorAll<HTMLElement>(':scope > article').forEach((article) => collapseIfLong(article, this.#expanded));
    setInterval(() => refreshRelativeTimes(root), RELATIVE_REFRESH_MS);

    // The notice floats over the list in a bar of no height, so showing it moves nothing.
    this.#noticeBar = fromHtml('<div class="lb-notice-bar"><button type="button" class="lb-notice" hidden></button></div>');
    this.#notice = this.#noticeBar.firstElementChild as HTMLButtonElement;
    this.#notice.addEventListener('click', () => this.#showHeld());
    this.#listElement.before(this.#noticeBar);
    // Keyboard users reach the notice from where they are: it moves to just above the update holding focus.
    this.#listElement.addEventListener('focusin', (event) => {
      const article = (event.target as Element).closest?.('.lb-updates > article');
      if (this.#held.size && article) article.before(this.#noticeBar);
    });
    this.#enhanceOlderButton();
    root.addEventListener('click', (event) => this.#onLinkClick(event));
    enableCards(root, options.apiOrigin);
    // A message the server put above the list (an `?around=` update that is gone) goes as ours would.
    this.#message = root.querySelector<HTMLElement>('.lb-message');
    // A permalink typed or followed into this page (in the widget, the host page's address): quietly, for a
    // widget, since the update may be another widget's.
    window.addEventListener('hashchange', () => this.#followAddress());
    if (options.ownsHistory) window.addEventListener('popstate', () => this.#followAddress());
    window.addEventListener('scroll', () => this.#showHeldAtTop(), { passive: true });

    // An older page (`?before=`, opened from a link) does not reach the latest: new updates are counted, not put above it.
    const newest = this.#listElement.querySelector<HTMLElement>(':scope > [data-order]')?.dataset.order;
    if (root.dataset.older !== undefined && newest) this.#setSlice({ top: newest.slice(2) });

    this.#feed = new LiveFeed(options.socket, this.blogId, root.dataset.cursor!, {
      onEvents: (events) => this.#apply(events),
      onStatus: (status) => this.#setStatus(status),
      onExpired: () => void this.#reloadList(),
    });
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.#feed.sync();
    });
  }

  /** In an iframe, whether the host page shows the list's top (its scrolling is not ours to see). */
  hostShowsTop(visible: boolean): void {
    this.#topInHost = visible;
    this.#showHeldAtTop();
  }

  /**
   * Scrolls to an update, highlighted and focused. One not shown is fetched with its neighbours
   * (`?around=`), which replace the list. `quiet`: say nothing if it is not found (a widget asked for
   * another widget's permalink).
   */
  async goTo(updateId: string, quiet = false): Promise<boolean> {
    this.#setMessage(null);
    if (!this.#list.find(updateId)) {
      try {
        const page = await api<UpdatePage>(
          'GET',
          `${this.#options.apiOrigin}/api/blogs/${this.blogId}/updates?around=${encodeURIComponent(updateId)}&limit=${AROUND_SIZE}`,
        );
        this.#install(page);
        this.#setSlice(page.newer ? { top: page.updates.map(updateOrderKeyOf).sort().at(-1)!, newer: page.newer } : null);
      } catch (error) {
        if (!quiet) {
          const gone = error instanceof ApiError && error.status === 404;
          this.#setMessage(
            gone ? 'This update is no longer available: it may have been removed.' : 'This update could not be loaded. Try again.',
          );
        }
        if (!(error instanceof ApiError && error.status === 404)) warn('loading a permalink', error);
        return false;
      }
    }
    const element = this.#list.find(updateId);
    if (!element) return false;
    this.#root.querySelector('.lb-target')?.classList.remove('lb-target');
    element.classList.add('lb-target');
    if (this.#slice) element.before(this.#slice.jump);
    // A jump, as the browser's own #fragment navigation is: a smooth scroll here could still be running
    // when the reader presses "Back to the latest", and carry the page off the headline again.
    element.scrollIntoView({ block: 'start' });
    focusQuietly(element);
    return true;
  }

  #renderUpdate(update: Update): HTMLElement {
    // Pictures' URLs are root-relative (`/media/…`): inside another site (the widget) they name this service.
    const element = fromHtml(absoluteMedia(renderUpdate(update), this.#options.apiOrigin));
    refreshRelativeTimes(element);
    collapseIfLong(element, this.#expanded);
    return element;
  }

  #apply(events: BlogEvent[]): void {
    const shown: Update[] = [];
    const heldBefore = this.#held.size;
    const change = () => {
      for (const event of events) {
        applyEvent(event, {
          blog: (blog) => this.#applyBlog(blog),
          upsert: (update, created) => this.#applyUpdate(created, update, shown),
          remove: (updateId) => {
            this.#held.delete(updateId);
            this.#list.remove(updateId);
            this.#keyList.remove(updateId);
          },
        });
      }
    };
    if (this.#atTop()) change();
    else this.#list.keepInPlace(change);
    this.#keyBox.refresh();
    this.#refreshNotice();
    for (const update of shown) this.#highlight(update.id);
    if (shown.length) this.#announce(shown.length === 1 ? `New update: ${excerpt(shown[0], 120)}` : `${shown.length} new updates`);
    else if (this.#held.size > heldBefore)
      this.#announce(this.#held.size === 1 ? '1 new update above' : `${this.#held.size} new updates above`);
  }

  #applyUpdate(created: boolean, update: Update, shown: Update[]): void {
    if (update.keyEvent) this.#keyList.upsert(update);
    else this.#keyList.remove(update.id);
    const isShown = !!this.#list.find(update.id);
    // Above a permalink's slice: not shown (new ones are counted, and shown with the latest).
    const aboveSlice = this.#slice !== null && updateOrderKeyOf(update) > this.#slice.top;
    if (this.#held.has(update.id) || (created && !isShown && (aboveSlice || (!this.#slice && !this.#atTop())))) {
      this.#held.set(update.id, update);
      return;
    }
    if (aboveSlice && !isShown) return;
    // An update older than everything loaded belongs to a page not shown yet: "Load older" will bring it.
    const last = this.#list.lastOrder();
    if (!isShown && this.#next && last && displayOrderKey(update) < last) return;
    this.#list.upsert(update);
    if (created) shown.push(update);
  }

  #applyBlog(blog: Blog): void {
    this.#root.querySelector('.lb-title')!.textContent = blog.title;
    const description = this.#root.querySelector<HTMLElement>('.lb-description')!;
    description.textContent = blog.description ?? '';
    description.hidden = !blog.description;
    const ended = blog.status === 'ended';
    const reopened = this.#root.dataset.status === 'ended' && !ended;
    this.#root.dataset.status = blog.status;
    const flag = this.#root.querySelector<HTMLElement>('.lb-flag')!;
    flag.textContent = ended ? 'Ended' : 'Live';
    flag.classList.toggle('lb-flag--ended', ended);
    this.#root.querySelector<HTMLElement>('.lb-ended')!.hidden = !ended;
    // An ended blog stays subscribed (its events are rare): an editor may reopen it.
    if (ended) {
      if (!this.#slice) this.#showHeld(false);
      this.#setStatus('live');
      this.#announce('This live blog has ended.');
    } else if (reopened) {
      this.#setStatus(this.#root.dataset.connection as FeedStatus);
      this.#announce('This live blog is live again.');
    }
  }

  #atTop(): boolean {
    return !this.#slice && this.#topInHost && this.#listElement.getBoundingClientRect().top > -TOP_SLACK_PX;
  }

  /** Back at the top, held updates show; not while the notice has focus (it would vanish from under it). */
  #showHeldAtTop(): void {
    if (this.#held.size && this.#atTop() && activeElement(this.#root) !== this.#notice) this.#showHeld(false);
  }

  #refreshNotice(): void {
    const count = this.#held.size;
    if (count && this.#notice.hidden) this.#placeNotice();
    this.#notice.hidden = count === 0;
    this.#notice.textContent = count === 1 ? '1 new update' : `${count} new updates`;
    this.#options.onHeld?.(count);
    if (this.#slice) {
      const newer = this.#slice.newer === undefined ? undefined : this.#slice.newer + count;
      this.#slice.bar.querySelector('span')!.textContent =
        newer === undefined
          ? 'Newer updates are above this earlier part of the blog.'
          : `${newer.toLocaleString('en-GB')} newer ${newer === 1 ? 'update' : 'updates'} above this earlier part of the blog.`;
    }
  }

  /** Just above the update holding focus, or else the first one in view: a Shift+Tab or two away. */
  #placeNotice(): void {
    const focused = activeElement(this.#root)?.closest?.('.lb-updates > article');
    const place = focused ?? (this.#atTop() ? null : this.#list.firstInView());
    if (place) place.before(this.#noticeBar);
    else this.#listElement.before(this.#noticeBar);
  }

  /** Shows the held updates; from the notice, also scrolls to the top (the headline in view) and focuses the first. */
  #showHeld(scroll = true): void {
    if (this.#slice) {
      void this.#backToLatest();
      return;
    }
    const updates = [...this.#held.values()];
    this.#held.clear();
    const change = () => updates.forEach((update) => this.#list.upsert(update));
    if (scroll) change();
    else this.#list.keepInPlace(change);
    const hadFocus = activeElement(this.#root) === this.#notice;
    this.#refreshNotice();
    updates.forEach((update) => this.#highlight(update.id));
    if (scroll && updates.length) this.#scrollToHeader(prefersReducedMotion() ? 'auto' : 'smooth');
    const first = this.#listElement.querySelector<HTMLElement>('.lb-new');
    if ((scroll || hadFocus) && first) focusQuietly(first);
  }

  /**
   * The blog's header (Live badge, headline) wholly in view: on a page of the blog's own, the page's
   * top (the blog's box starts below the page's margin); in a host's page, the widget's top.
   */
  #scrollToHeader(behavior: ScrollBehavior): void {
    if (this.#root.getRootNode() === document && this.#root.getBoundingClientRect().top + scrollY < innerHeight / 2)
      scrollTo({ top: 0, behavior });
    else this.#root.scrollIntoView({ block: 'start', behavior });
  }

  #highlight(updateId: string): void {
    const element = this.#list.find(updateId);
    if (!element) return;
    element.classList.add('lb-new');
    setTimeout(() => element.classList.remove('lb-new'), 3_000);
  }

  #announce(message: string): void {
    const region = this.#root.querySelector<HTMLElement>('.lb-announcer')!;
    region.textContent = '';
    // A new text node in a later frame makes screen readers speak it even if it equals the last one.
    requestAnimationFrame(() => (region.textContent = message));
  }

  /** A line above the list about what a link led to (an update gone); null removes it. */
  #setMessage(text: string | null): void {
    this.#message?.remove();
    this.#message = null;
    if (!text) return;
    this.#message = fromHtml('<p class="lb-message" role="alert"></p>');
    this.#message.textContent = text;
    this.#listElement.before(this.#message);
    this.#message.scrollIntoView({ block: 'nearest' });
  }

  #setStatus(status: FeedStatus): void {
    const text = this.#root.dataset.status === 'ended' ? '' : STATUS_TEXT[status];
    this.#root.querySelector('.lb-connection')!.textContent = text;
    this.#root.dataset.connection = status;
  }

  /** The server renders "Load older" as a link (it works without scripts); with them it is a button. */
  #enhanceOlderButton(): void {
    const older = this.#root.querySelector<HTMLElement>('.lb-older');
    if (!older) return;
    let button = older as HTMLButtonElement;
    if (older.tagName === 'A') {
      button = document.createElement('button');
      button.type = 'button';
      button.className = 'lb-older';
      button.textContent = older.textContent;
      older.replaceWith(button);
    }
    button.addEventListener('click', () => void this.#loadOlder());
  }

  /** One page at a time, however often the button is pressed; focus goes to the first update it brought. */
  async #loadOlder(): Promise<void> {
    if (!this.#next) return;
    this.#loadingOlder ??= (async () => {
      const button = this.#root.querySelector<HTMLButtonElement>('.lb-older');
      // Not `disabled`: a disabled button drops the keyboard focus to the page.
      button?.setAttribute('aria-disabled', 'true');
      try {
        const page = await api<UpdatePage>(
          'GET',
          `${this.#options.apiOrigin}/api/blogs/${this.blogId}/updates?limit=${PAGE_SIZE}&before=${encodeURIComponent(this.#next!)}`,
        );
        let first: HTMLElement | null = null;
        for (const update of page.updates) {
          if (this.#held.has(update.id) || this.#list.find(update.id)) continue;
          const element = this.#list.upsert(update);
          first ??= element;
        }
        this.#next = page.next;
        this.#root.querySelector<HTMLElement>('.lb-more')!.hidden = !this.#next;
        if (first) {
          // In view as well as focused: the button is now a page of updates below it.
          first.scrollIntoView({ block: 'start' });
          focusQuietly(first);
        }
      } catch (error) {
        this.#announce('Older updates could not be loaded. Try again.');
        warn('loading older updates', error);
      } finally {
        button?.removeAttribute('aria-disabled');
        this.#loadingOlder = null;
      }
    })();
    return this.#loadingOlder;
  }

  /**
   * Replaces the list with a page read afresh. The feed starts again from the page's cursor, so every
   * event after it is applied on top, once, whatever arrived while the page was on its way.
   */
  #install(page: { updates: Update[]; cursor: string; next?: string }): void {
    this.#held.clear();
    this.#list.clear();
    this.#listElement.querySelector('.lb-empty')?.remove();
    page.updates.forEach((update) => this.#list.upsert(update));
    this.#next = page.next;
    this.#root.querySelector<HTMLElement>('.lb-more')!.hidden = !this.#next;
    this.#feed.reset(page.cursor);
  }

  /** Enters (or, with null, leaves) the state where the list shows a permalink's neighbours. */
  #setSlice(slice: Pick<Slice, 'top' | 'newer'> | null): void {
    this.#slice?.bar.remove();
    this.#slice?.jump.remove();
    this.#slice = null;
    this.#root.toggleAttribute('data-slice', !!slice);
    if (slice) {
      const bar = fromHtml('<div class="lb-slice"><button type="button">Back to the latest</button><span></span></div>');
      const jump = fromHtml('<button type="button" class="lb-jump">Back to the latest updates</button>');
      for (const button of [bar.firstElementChild!, jump]) button.addEventListener('click', () => void this.#backToLatest());
      this.#listElement.before(bar);
      this.#slice = { ...slice, bar, jump };
    }
    this.#refreshNotice();
  }

  /** From a permalink's slice to the latest updates, at the top, the first one focused. */
  async #backToLatest(): Promise<void> {
    try {
      const view = await api<BlogView>('GET', `${this.#options.apiOrigin}/api/blogs/${this.blogId}/view?limit=${PAGE_SIZE}`);
      this.#install(view);
      this.#setSlice(null);
      this.#setMessage(null);
      // The address no longer names an update or an older page (the widget leaves the host's query alone).
      const older = this.#root.dataset.older !== undefined;
      delete this.#root.dataset.older;
      if (permalinkId(location.hash) || older)
        history.replaceState(history.state, '', older ? latestAddress() : location.pathname + location.search);
      this.#address = location.href;
      this.#scrollToHeader('auto');
      const first = this.#listElement.querySelector<HTMLElement>(':scope > article');
      if (first) focusQuietly(first);
    } catch (error) {
      this.#setMessage('The latest updates could not be loaded. Try again.');
      warn('loading the latest updates', error);
    }
  }

  /** After `cursor_expired`: the list is read afresh and live events follow on from it. */
  async #reloadList(): Promise<void> {
    try {
      const view = await api<BlogView>(
        'GET',
        `${this.#options.apiOrigin}/api/blogs/${this.blogId}/view?limit=${Math.min(VIEW_MAX, Math.max(PAGE_SIZE, this.#list.size))}`,
      );
      this.#keyList.clear();
      view.keyEvents.forEach((update) => this.#keyList.upsert(update));
      this.#keyBox.refresh();
      this.#setSlice(null);
      this.#install(view);
      this.#applyBlog(view.blog);
      this.#refreshNotice();
      this.#reloadBackoff.reset();
    } catch (error) {
      const delay = this.#reloadBackoff.next();
      warn(`reloading the list (again in ${delay} ms)`, error);
      setTimeout(() => void this.#reloadList(), delay);
    }
  }

  /**
   * Links to `#update-<id>` open the update however far back it is (in a shadow root the browser
   * cannot follow them itself). The address shows the permalink — the host page's, in the widget — so
   * that it can be copied and shared.
   */
  #onLinkClick(event: MouseEvent): void {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return; // a new tab or window: the browser's
    const link = (event.target as Element | null)?.closest?.<HTMLAnchorElement>('a[href^="#update-"], a[href^="?around="]');
    const updateId = link && permalinkId(new URL(link.href).hash);
    if (!updateId) return;
    event.preventDefault();
    if (this.#options.ownsHistory) {
      // A step of its own: Back returns to where the reader was (the latest, or the permalink before).
      const address = new URL(latestAddress(), location.href);
      address.hash = updateElementId(updateId);
      history.pushState(null, '', address);
    } else {
      // The host page's own address with the hash: a bare "#…" would resolve against a <base href>.
      const address = new URL(location.href);
      address.hash = updateElementId(updateId);
      history.replaceState(history.state, '', address);
    }
    this.#address = location.href;
    void this.goTo(updateId);
  }

  /**
   * The address changed without a page load (a typed fragment, Back or Forward): show what it names —
   * the update of a permalink, else the latest updates. In the widget only permalinks are followed,
   * quietly, since the update may be another widget's; the host page's own fragments are the host's.
   */
  #followAddress(): void {
    if (location.href === this.#address) return;
    this.#address = location.href;
    const updateId = permalinkId(location.hash);
    if (updateId) {
      void this.goTo(updateId, this.#root.getRootNode() !== document);
      return;
    }
    if (!this.#options.ownsHistory) return;
    const query = new URLSearchParams(location.search);
    // An older page the server rendered (`?before=`, or `?around=` without its fragment): the server's again.
    if (query.has('before') || query.has('around')) location.reload();
    // (Showing the latest already, the browser puts the reader back where they were.)
    else if (this.#slice || this.#message) void this.#backToLatest();
  }
}

/** This page's address without the parts that name an earlier part of the blog (`?before=`, `?around=`, a permalink). */
function latestAddress(): string {
  const url = new URL(location.href);
  url.searchParams.delete('before');
  url.searchParams.delete('around');
  url.hash = '';
  return url.pathname + url.search;
}

function warn(what: string, error: unknown): void {
  console.warn(`[liveblog] ${what} failed`, error);
}

function updateOrderKeyOf(update: Update): string {
  return updateOrderKey(update.publishedAt, update.id);
}
