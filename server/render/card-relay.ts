/** The page that frames one Mastodon post for a card (see MASTODON_RELAY_PATH in shared/cards.ts). */
import { recogniseCard } from '../../shared/cards';
import { escapeHtml } from '../../shared/html';
import type { PageContext } from './pages';
import { layout } from './layout';

export interface MastodonEmbed {
  /** The instance, the one origin the page's CSP lets it frame. */
  origin: string;
  /** The instance's own embed of the post. */
  src: string;
}

/** The embed of a Mastodon post's address, or null unless the address is one (recognised as a card is). */
export function mastodonEmbed(address: string): MastodonEmbed | null {
  if (recogniseCard(address)?.provider !== 'mastodon') return null;
  const url = new URL(address);
  return { origin: url.origin, src: `${url.origin}${url.pathname.replace(/\/$/, '')}/embed` };
}

export function mastodonRelayPage(embed: MastodonEmbed, context: PageContext): string {
  return layout({
    title: 'Mastodon post',
    head: '<meta name="robots" content="noindex">',
    body: `<iframe class="lb-relay" src="${escapeHtml(embed.src)}" title="Post on Mastodon" allowfullscreen></iframe>`,
    stylesheets: [context.assets.url('reader.css')],
  });
}
