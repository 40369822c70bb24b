/**
 * Two things that would otherwise fill a phone's screen: a very long update shows its start and
 * "Read more"; the Key events box shows five and "Show all N key events". Both are buttons with
 * `aria-expanded`; without scripts everything is shown.
 */

/** Characters of text beyond which an update is collapsed. */
const LONG_UPDATE_CHARS = 2_000;
/** Key events shown before "Show all" (unless told fewer). */
export const KEY_EVENTS_SHOWN = 5;

function toggleButton(onClick: () => void): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'lb-toggle';
  button.addEventListener('click', onClick);
  return button;
}

/** Collapses a long update's body behind "Read more"; `expanded` remembers the ones a reader opened (an edit re-renders them). */
export function collapseIfLong(article: HTMLElement, expanded: Set<string>): void {
  const body = article.querySelector<HTMLElement>('.lb-update__body');
  if (!body || (body.textContent ?? '').length < LONG_UPDATE_CHARS) return;
  body.id = `${article.id}-body`;
  const show = (open: boolean) => {
    article.classList.toggle('lb-update--collapsed', !open);
    button.setAttribute('aria-expanded', String(open));
    button.textContent = open ? 'Show less' : 'Read more';
    if (open) expanded.add(article.id);
    else expanded.delete(article.id);
  };
  const button = toggleButton(() => {
    const open = button.getAttribute('aria-expanded') !== 'true';
    show(open);
    if (!open) article.scrollIntoView({ block: 'nearest' });
  });
  button.setAttribute('aria-controls', body.id);
  body.after(button);
  show(expanded.has(article.id));
}

/** The Key events box: hidden when empty, five entries (or `shown`) then "Show all N key events". */
export class KeyEventsBox {
  #expanded = false;
  readonly #toggle = toggleButton(() => {
    this.#expanded = !this.#expanded;
    this.refresh();
  });

  readonly #box: HTMLElement;

  constructor(
    box: HTMLElement,
    readonly shown = KEY_EVENTS_SHOWN,
  ) {
    this.#box = box;
    box.append(this.#toggle);
    this.refresh();
  }

  /** After the list changed. */
  refresh(): void {
    const entries = this.#box.querySelectorAll<HTMLElement>('li');
    const count = entries.length;
    const collapsed = count > this.shown && !this.#expanded;
    this.#box.hidden = count === 0;
    this.#toggle.hidden = count <= this.shown;
    this.#box.toggleAttribute('data-collapsed', collapsed);
    entries.forEach((entry, index) => (entry.hidden = collapsed && index >= this.shown));
    this.#toggle.setAttribute('aria-expanded', String(this.#expanded));
    this.#toggle.textContent = this.#expanded ? 'Show fewer key events' : `Show all ${count} key events`;
  }
}
