/**
 * The list of updates in the page: applies events in place. Each `<article>` carries its order key, so
 * a new or back-dated update is inserted where `publishedAt` puts it, not simply on top.
 */
import { formatTime, relativeTime, renderUpdate, updateElementId } from '../../shared/html';
import type { BlogEvent, Update } from '../../shared/schemas';
import { applyEvent } from './events';

export interface UpdateListOptions {
  /** The element for one update; it must carry `data-order` (its order key). @default the reader's article */
  render?: (update: Update) => HTMLElement;
  /** The DOM id of an update's element. @default `update-<id>` */
  elementId?: (updateId: string) => string;
}

export class UpdateList {
  readonly #render: (update: Update) => HTMLElement;
  readonly #elementId: (updateId: string) => string;
  readonly #container: HTMLElement;

  constructor(container: HTMLElement, options: UpdateListOptions = {}) {
    this.#container = container;
    this.#render = options.render ?? ((update) => fromHtml(renderUpdate(update)));
    this.#elementId = options.elementId ?? updateElementId;
  }

  /** Applies one event; returns the element of a created or edited update. */
  apply(event: BlogEvent): HTMLElement | null {
    let shown: HTMLElement | null = null;
    applyEvent(event, { upsert: (update) => (shown = this.upsert(update)), remove: (updateId) => this.remove(updateId) });
    return shown;
  }

  upsert(update: Update): HTMLElement {
    this.remove(update.id);
    const element = this.#render(update);
    const order = element.dataset.order ?? '';
    const after = Array.from(this.#container.querySelectorAll<HTMLElement>(':scope > [data-order]')).find(
      (other) => (other.dataset.order ?? '') < order,
    );
    this.#container.insertBefore(element, after ?? null);
    this.#container.querySelector('.lb-empty')?.remove();
    return element;
  }

  remove(updateId: string): void {
    this.find(updateId)?.remove();
  }

  /** The element of an update, if shown. (Looked up in the list, not the document: the widget lives in a shadow root.) */
  find(updateId: string): HTMLElement | null {
    return this.#container.querySelector<HTMLElement>(`:scope > [id="${this.#elementId(updateId)}"]`);
  }

  /** The order key of the last (oldest) element shown. */
  lastOrder(): string | undefined {
    const elements = this.#container.querySelectorAll<HTMLElement>(':scope > [data-order]');
    return elements[elements.length - 1]?.dataset.order;
  }

  /** The first element the reader can see (or that is below the viewport's top). */
  firstInView(): HTMLElement | undefined {
    return Array.from(this.#container.querySelectorAll<HTMLElement>(':scope > [data-order]')).find(
      (element) => element.getBoundingClientRect().bottom > 0,
    );
  }

  /** Runs a change to the list without moving the first update the reader can see. */
  keepInPlace(change: () => void): void {
    const anchor = this.firstInView();
    const next = anchor?.nextElementSibling;
    const before = anchor?.getBoundingClientRect().top;
    change();
    const still = anchor?.isConnected ? anchor : next?.isConnected ? next : null;
    if (still && before !== undefined) {
      const delta = still.getBoundingClientRect().top - before;
      if (delta) window.scrollBy(0, delta);
    }
  }

  get size(): number {
    return this.#container.querySelectorAll(':scope > [data-order]').length;
  }

  /** Empties the list (before it is reloaded). */
  clear(): void {
    for (const element of Array.from(this.#container.querySelectorAll(':scope > [data-order]'))) element.remove();
  }
}

export function fromHtml(html: string): HTMLElement {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content.firstElementChild as HTMLElement;
}

/** Shows server-rendered times (in UTC) in the reader's own time zone. */
export function localizeTimes(root: ParentNode): void {
  for (const time of Array.from(root.querySelectorAll<HTMLTimeElement>('time.lb-time[datetime], .lb-edited time[datetime]'))) {
    time.textContent = formatTime(time.dateTime);
  }
}

/** Fills and refreshes the "5 min ago" next to each time. */
export function refreshRelativeTimes(root: ParentNode, now = Date.now()): void {
  for (const time of Array.from(root.querySelectorAll<HTMLTimeElement>('time.lb-ago[datetime]'))) {
    time.textContent = relativeTime(time.dateTime, now);
  }
}
