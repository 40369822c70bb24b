/**
 * The list of updates in the page: applies events in place. Each `<article>` carries its order key, so
 * a new or back-dated update is inserted where `publishedAt` puts it, not simply on top.
 */
import { formatTime, renderUpdate, updateElementId } from '../../shared/html';
import type { BlogEvent, Update } from '../../shared/schemas';

export interface UpdateListOptions {
  /** The element for one update; it must carry `data-order` (its order key). @default the reader's article */
  render?: (update: Update) => HTMLElement;
  /** The DOM id of an update's element. @default `update-<id>` */
  elementId?: (updateId: string) => string;
}

export class UpdateList {
  private readonly render: (update: Update) => HTMLElement;
  private readonly elementId: (updateId: string) => string;

  constructor(
    private readonly container: HTMLElement,
    options: UpdateListOptions = {},
  ) {
    this.render = options.render ?? ((update) => fromHtml(renderUpdate(update)));
    this.elementId = options.elementId ?? updateElementId;
  }

  /** Applies one event; returns the element of a created or edited update. */
  apply(event: BlogEvent): HTMLElement | null {
    if ((event.type === 'update.created' || event.type === 'update.edited') && event.update) return this.upsert(event.update);
    if (event.type === 'update.deleted' && event.updateId) this.remove(event.updateId);
    return null;
  }

  upsert(update: Update): HTMLElement {
    this.remove(update.id);
    const element = this.render(update);
    const order = element.dataset.order ?? '';
    const after = Array.from(this.container.querySelectorAll<HTMLElement>(':scope > [data-order]')).find(
      (other) => (other.dataset.order ?? '') < order,
    );
    this.container.insertBefore(element, after ?? null);
    this.container.querySelector('.lb-empty')?.remove();
    return element;
  }

  remove(updateId: string): void {
    document.getElementById(this.elementId(updateId))?.remove();
  }

  /** Empties the list (before it is reloaded). */
  clear(): void {
    for (const element of Array.from(this.container.querySelectorAll(':scope > [data-order]'))) element.remove();
  }
}

export function fromHtml(html: string): HTMLElement {
  const template = document.createElement('template');
  template.innerHTML = html;
  return template.content.firstElementChild as HTMLElement;
}

/** Shows server-rendered times (in UTC) in the reader's own time zone. */
export function localizeTimes(root: ParentNode): void {
  for (const time of Array.from(root.querySelectorAll<HTMLTimeElement>('time[datetime]'))) {
    time.textContent = formatTime(time.dateTime);
  }
}
