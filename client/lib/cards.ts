/**
 * The social cards' button (shared/cards.ts): on the reader's click, and not before, the card's link
 * becomes the provider's own embed. One listener per blog, delegated, so that cards arriving live work
 * too (in the widget, on its shadow root's blog element). The embed's address is worked out again from
 * the link here: nothing else in the card's markup is taken as an address.
 */
import { blueskyEmbedWithDid, blueskyHandleLookup, CARD_CLASS, recogniseCard, type CardTarget } from '../../shared/cards';

/** `serviceOrigin`: where relative embeds (the Mastodon relay page) are: '' on the service's own pages. */
export function enableCards(root: HTMLElement, serviceOrigin: string): void {
  root.addEventListener('click', (event) => {
    const button = (event.target as Element | null)?.closest?.<HTMLButtonElement>(`.${CARD_CLASS}__load`);
    const card = button?.closest<HTMLElement>(`.${CARD_CLASS}`);
    const link = card?.querySelector<HTMLAnchorElement>(`.${CARD_CLASS}__link a`);
    const target = link && recogniseCard(link.href);
    if (!button || !card || !target || button.getAttribute('aria-disabled')) return;
    // Not `disabled`: a disabled button drops the keyboard focus to the page.
    button.setAttribute('aria-disabled', 'true');
    embedAddress(target, serviceOrigin)
      .then((src) => showEmbed(card, button, target, src))
      .catch((error: unknown) => {
        button.removeAttribute('aria-disabled');
        button.textContent = `${target.name} could not be reached. Try again`;
        console.warn('[liveblog] loading an embed failed', target.provider, error);
      });
  });
}

async function embedAddress(target: CardTarget, serviceOrigin: string): Promise<string> {
  if (target.embedUrl.startsWith('/')) return `${serviceOrigin}${target.embedUrl}`;
  const lookup = blueskyHandleLookup(target.embedUrl);
  if (!lookup) return target.embedUrl;
  const response = await fetch(lookup.url, { credentials: 'omit', referrerPolicy: 'no-referrer' });
  if (!response.ok) throw new Error(`resolveHandle answered ${response.status}`);
  const { did } = (await response.json()) as { did?: unknown };
  const src = blueskyEmbedWithDid(target.embedUrl, lookup.handle, did);
  if (!src) throw new Error('resolveHandle answered no DID');
  return src;
}

function showEmbed(card: HTMLElement, button: HTMLButtonElement, target: CardTarget, src: string): void {
  const frame = document.createElement('iframe');
  frame.className = `${CARD_CLASS}__frame ${CARD_CLASS}__frame--${target.shape}`;
  frame.src = src;
  frame.title = `Content from ${target.name}`;
  frame.allow = 'autoplay; encrypted-media; fullscreen; picture-in-picture; clipboard-write';
  frame.referrerPolicy = 'strict-origin-when-cross-origin';
  const active = (card.getRootNode() as Document | ShadowRoot).activeElement;
  const hadFocus = !!active && card.contains(active);
  button.replaceWith(frame);
  card.classList.add(`${CARD_CLASS}--loaded`);
  // The button is gone: focus stays on its card, where a Tab leads into the embed. Not on the frame
  // itself, whose document arriving later would scroll the page to it under the reader.
  card.tabIndex = -1;
  if (hadFocus) card.focus({ preventScroll: true });
}
