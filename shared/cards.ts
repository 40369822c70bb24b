/**
 * Social posts and videos as click-to-load cards: which URLs are a provider's post or video, and the
 * provider's own embed for each. The server renders a card from `recogniseCard` (after sanitising, from
 * the link alone); the browser recomputes the embed from the card's link on the click, so no attribute
 * of the markup is ever trusted as an address. Every embed is an iframe: the widget lives on other
 * sites, under their CSP, where a frame is the one thing a provider's script cannot break.
 */
import { escapeHtml } from './html';

export type CardProvider = 'youtube' | 'vimeo' | 'x' | 'telegram' | 'instagram' | 'tiktok' | 'bluesky' | 'mastodon' | 'facebook';

export interface CardTarget {
  provider: CardProvider;
  /** The provider's name, for people: "YouTube", "X". */
  name: string;
  /** The iframe's address: the provider's official embed. */
  embedUrl: string;
  /** `video` frames keep 16:9 (or 9:16); `post` frames are tall. */
  shape: 'video' | 'portrait' | 'post';
}

export const PROVIDER_NAMES: Record<CardProvider, string> = {
  youtube: 'YouTube',
  vimeo: 'Vimeo',
  x: 'X',
  telegram: 'Telegram',
  instagram: 'Instagram',
  tiktok: 'TikTok',
  bluesky: 'Bluesky',
  mastodon: 'Mastodon',
  facebook: 'Facebook',
};

/**
 * The origins the embeds' frames come from: the reader's and the iframe page's CSP allows exactly these
 * (`frame-src`), plus the page's own origin for Mastodon, whose instances are countless (see `mastodonRelay`).
 */
export const CARD_FRAME_ORIGINS = [
  'https://www.youtube-nocookie.com',
  'https://player.vimeo.com',
  'https://platform.twitter.com',
  'https://t.me',
  'https://www.instagram.com',
  'https://www.tiktok.com',
  'https://embed.bsky.app',
  'https://www.facebook.com',
] as const;

/**
 * Bluesky's embed takes a DID, and most post addresses carry a handle: after the click, the browser asks
 * Bluesky's public API for the DID (the pages' CSP allows this origin in `connect-src`).
 */
export const CARD_CONNECT_ORIGINS = ['https://public.api.bsky.app'] as const;
const BLUESKY_HANDLE_EMBED = /^https:\/\/embed\.bsky\.app\/embed\/((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63})\//;
const DID = /^did:(?:plc:[a-z2-7]{24}|web:[A-Za-z0-9.-]{1,253})$/;

/** Where to ask for the DID behind a Bluesky embed's handle; null when the embed needs none. */
export function blueskyHandleLookup(embedUrl: string): { handle: string; url: string } | null {
  const handle = BLUESKY_HANDLE_EMBED.exec(embedUrl)?.[1];
  return handle
    ? { handle, url: `${CARD_CONNECT_ORIGINS[0]}/xrpc/com.atproto.identity.resolveHandle?handle=${encodeURIComponent(handle)}` }
    : null;
}

/** The embed with the handle replaced by its DID, or null if the answer is no DID. */
export function blueskyEmbedWithDid(embedUrl: string, handle: string, did: unknown): string | null {
  return typeof did === 'string' && DID.test(did) ? embedUrl.replace(`/embed/${handle}/`, `/embed/${did}/`) : null;
}

/** The path, on the service's own origin, of the page that frames one Mastodon post under a CSP naming its instance. */
export const MASTODON_RELAY_PATH = '/cards/mastodon';

const hosts = (...names: string[]) => new Set(names);
const YOUTUBE_HOSTS = hosts('youtube.com', 'www.youtube.com', 'm.youtube.com');
const VIMEO_HOSTS = hosts('vimeo.com', 'www.vimeo.com');
const X_HOSTS = hosts('x.com', 'www.x.com', 'mobile.x.com', 'twitter.com', 'www.twitter.com', 'mobile.twitter.com');
const TELEGRAM_HOSTS = hosts('t.me', 'telegram.me');
const INSTAGRAM_HOSTS = hosts('instagram.com', 'www.instagram.com');
const TIKTOK_HOSTS = hosts('tiktok.com', 'www.tiktok.com', 'm.tiktok.com');
const FACEBOOK_HOSTS = hosts('facebook.com', 'www.facebook.com', 'm.facebook.com');
/** Hosts whose `/@user/<digits>` is not a Mastodon post. */
const NOT_MASTODON = new Set([
  ...YOUTUBE_HOSTS,
  ...VIMEO_HOSTS,
  ...X_HOSTS,
  ...TELEGRAM_HOSTS,
  ...INSTAGRAM_HOSTS,
  ...TIKTOK_HOSTS,
  ...FACEBOOK_HOSTS,
  'bsky.app',
  'youtu.be',
  'medium.com',
]);

const YOUTUBE_ID = /^[A-Za-z0-9_-]{11}$/;
const YOUTUBE_PATH = /^\/(?:shorts|live|embed)\/([A-Za-z0-9_-]{11})\/?$/;
const VIMEO_PATH = /^\/(\d{1,12})(?:\/([0-9a-f]{6,20}))?\/?$/;
const PLAYER_VIMEO_PATH = /^\/video\/(\d{1,12})\/?$/;
const X_PATH = /^\/([A-Za-z0-9_]{1,15})\/status(?:es)?\/(\d{1,20})\/?$/;
const TELEGRAM_PATH = /^\/(?:s\/)?([A-Za-z][A-Za-z0-9_]{3,31})\/(\d{1,12})\/?$/;
/** t.me's own pages, never a channel. */
const TELEGRAM_RESERVED = new Set([
  'joinchat',
  'addstickers',
  'addemoji',
  'share',
  'proxy',
  'socks',
  'login',
  'confirmphone',
  'setlanguage',
  'iv',
]);
const INSTAGRAM_PATH = /^\/(?:[A-Za-z0-9_.]{1,30}\/)?(?:p|reel|reels|tv)\/([A-Za-z0-9_-]{5,40})\/?$/;
const TIKTOK_PATH = /^\/@[A-Za-z0-9_.]{1,24}\/video\/(\d{5,25})\/?$/;
const BLUESKY_PATH =
  /^\/profile\/((?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}|did:plc:[a-z2-7]{24}|did:web:[A-Za-z0-9.-]{1,253})\/post\/([a-z2-7]{13})\/?$/;
const MASTODON_PATH = /^\/@([A-Za-z0-9_]{1,30})\/(\d{6,20})\/?$/;
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const FACEBOOK_POST_PATH = /^\/([A-Za-z0-9.]{1,80})\/posts\/([A-Za-z0-9]{5,80})\/?$/;
const FACEBOOK_VIDEO_PATH = /^\/(?:([A-Za-z0-9.]{1,80})\/videos|reel)\/(\d{5,25})\/?$/;
const FACEBOOK_WATCH_PATH = /^\/watch\/?$/;
const DIGITS = /^\d{5,25}$/;

function target(provider: CardProvider, embedUrl: string, shape: CardTarget['shape']): CardTarget {
  return { provider, name: PROVIDER_NAMES[provider], embedUrl, shape };
}

/**
 * The provider's post or video this URL names, or null for anything else (other hosts, look-alikes such
 * as `youtube.com.evil.test`, a profile, a search). Conservative: only the shapes below, on `https` or
 * `http`, without a user name, password or port; Mastodon (any instance) only on `https`.
 */
export function recogniseCard(address: string): CardTarget | null {
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return null;
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password || url.port) return null;
  const host = url.hostname.toLowerCase();
  const path = url.pathname;
  let match: RegExpExecArray | null;

  if (YOUTUBE_HOSTS.has(host) || host === 'youtu.be') {
    const id =
      host === 'youtu.be'
        ? path.slice(1).replace(/\/$/, '')
        : path === '/watch'
          ? (url.searchParams.get('v') ?? '')
          : YOUTUBE_PATH.exec(path)?.[1];
    return id && YOUTUBE_ID.test(id)
      ? target('youtube', `https://www.youtube-nocookie.com/embed/${id}`, path.startsWith('/shorts/') ? 'portrait' : 'video')
      : null;
  }
  if (VIMEO_HOSTS.has(host) && (match = VIMEO_PATH.exec(path))) {
    return target('vimeo', `https://player.vimeo.com/video/${match[1]}?dnt=1${match[2] ? `&h=${match[2]}` : ''}`, 'video');
  }
  if (host === 'player.vimeo.com' && (match = PLAYER_VIMEO_PATH.exec(path))) {
    const hash = url.searchParams.get('h');
    return target(
      'vimeo',
      `https://player.vimeo.com/video/${match[1]}?dnt=1${hash && /^[0-9a-f]{6,20}$/.test(hash) ? `&h=${hash}` : ''}`,
      'video',
    );
  }
  if (X_HOSTS.has(host) && (match = X_PATH.exec(path))) {
    return target('x', `https://platform.twitter.com/embed/Tweet.html?id=${match[2]}&dnt=true`, 'post');
  }
  if (TELEGRAM_HOSTS.has(host) && (match = TELEGRAM_PATH.exec(path)) && !TELEGRAM_RESERVED.has(match[1].toLowerCase())) {
    return target('telegram', `https://t.me/${match[1]}/${match[2]}?embed=1`, 'post');
  }
  if (INSTAGRAM_HOSTS.has(host) && (match = INSTAGRAM_PATH.exec(path))) {
    return target('instagram', `https://www.instagram.com/p/${match[1]}/embed/`, 'post');
  }
  if (TIKTOK_HOSTS.has(host) && (match = TIKTOK_PATH.exec(path))) {
    return target('tiktok', `https://www.tiktok.com/player/v1/${match[1]}`, 'portrait');
  }
  if (host === 'bsky.app' && (match = BLUESKY_PATH.exec(path))) {
    return target('bluesky', `https://embed.bsky.app/embed/${match[1]}/app.bsky.feed.post/${match[2]}`, 'post');
  }
  if (FACEBOOK_HOSTS.has(host)) return facebook(url);
  if (url.protocol === 'https:' && !NOT_MASTODON.has(host) && DOMAIN.test(host) && (match = MASTODON_PATH.exec(path))) {
    const post = `https://${host}/@${match[1]}/${match[2]}`;
    return target('mastodon', `${MASTODON_RELAY_PATH}?url=${encodeURIComponent(post)}`, 'post');
  }
  return null;
}

/** Facebook's plugins take the post's address itself, rebuilt here from the parts that were checked. */
function facebook(url: URL): CardTarget | null {
  const path = url.pathname;
  let match: RegExpExecArray | null;
  let canonical: string;
  let video = false;
  if ((match = FACEBOOK_POST_PATH.exec(path))) canonical = `https://www.facebook.com/${match[1]}/posts/${match[2]}`;
  else if ((match = FACEBOOK_VIDEO_PATH.exec(path))) {
    canonical = match[1] ? `https://www.facebook.com/${match[1]}/videos/${match[2]}` : `https://www.facebook.com/reel/${match[2]}`;
    video = true;
  } else if (FACEBOOK_WATCH_PATH.test(path) && DIGITS.test(url.searchParams.get('v') ?? '')) {
    canonical = `https://www.facebook.com/watch/?v=${url.searchParams.get('v')}`;
    video = true;
  } else return null;
  const plugin = video ? 'video.php' : 'post.php';
  return target('facebook', `https://www.facebook.com/plugins/${plugin}?href=${encodeURIComponent(canonical)}`, video ? 'video' : 'post');
}

/** The class names of a card, for the markup, the stylesheet and the click handler. */
export const CARD_CLASS = 'lb-card';

/**
 * A card: the provider's name, the link (what feeds, scripts-off readers and search engines keep), and
 * the button that loads the embed. Every value is escaped; `href` is the sanitised link's.
 */
export function renderCard(card: CardTarget, href: string): string {
  const link = escapeHtml(href);
  return (
    `<div class="${CARD_CLASS}" data-provider="${card.provider}">` +
    `<p class="${CARD_CLASS}__provider">${card.name}</p>` +
    `<p class="${CARD_CLASS}__link"><a href="${link}" rel="nofollow noopener noreferrer" target="_blank">${link}</a></p>` +
    `<button type="button" class="${CARD_CLASS}__load">Load content from ${card.name}</button>` +
    '</div>'
  );
}

/** A card as `renderCard` writes it (a literal, so that the browsers' bundles leave it out). */
const RENDERED_CARD =
  /<div class="lb-card" data-provider="[a-z]+"><p class="lb-card__provider">[^<]*<\/p><p class="lb-card__link">(<a [^<>]*>[^<>]*<\/a>)<\/p><button [^<>]*>[^<>]*<\/button><\/div>/g;

/** Cards back to their links, as paragraphs: for feeds, where a button does nothing. */
export function cardsAsLinks(html: string): string {
  return html.replace(RENDERED_CARD, '<p>$1</p>');
}
