/**
 * The social cards' button (shared/cards.ts): on the reader's click, and not before, the card's link
 * becomes the provider's own embed. One listener per blog, delegated, so that cards arriving live work
 * too (in the widget, on its shadow root's blog element). The embed's address is worked out again from
 * the link here: nothing else in the card's markup is taken as an address.
 */
import { CARD_CLASS, recogniseCard } from '../../shared/cards';

/** `serviceOrigin`: where relative embeds (the Mastodon relay page) are: '' on the service's own pages. */
export function enableCards(root: HTMLElement, serviceOrigin: string): void {
  root.addEventListener('click', (event) => {
    const button = (event.target as Element | null)?.closest?.<HTMLButtonElement>(`.${CARD_CLASS}__load`);
    const card = button?.closest<HTMLElement>(`.${CARD_CLASS}`);
    const link = card?.querySelector<HTMLAnchorElement>(`.${CARD_CLASS}__link a`);
    const target = link && recogniseCard(link.href);
    if (!button || !card || !target) return;
    const frame = document.createElement('iframe');
    frame.className = `${CARD_CLASS}__frame ${CARD_CLASS}__frame--${target.shape}`;
    frame.src = target.embedUrl.startsWith('/') ? `${serviceOrigin}${target.embedUrl}` : target.embedUrl;
    frame.title = `Content from ${target.name}`;
    frame.allow = 'autoplay; encrypted-media; fullscreen; picture-in-picture; clipboard-write';
    frame.allowFullscreen = true;
    frame.referrerPolicy = 'strict-origin-when-cross-origin';
    button.replaceWith(frame);
    card.classList.add(`${CARD_CLASS}--loaded`);
    // The button is gone: focus stays on its card, where a Tab leads into the embed. Not on the frame
    // itself, whose document arriving later would scroll the page to it under the reader.
    card.tabIndex = -1;
    card.focus({ preventScroll: true });
  });
}
