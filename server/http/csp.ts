/**
 * The Content-Security-Policy, written once: every page gets the base policy (through helmet); the
 * iframe page changes who may frame it (the embed policy), the editors' desk forbids framing and posts
 * forms only to itself.
 */
import { CARD_CONNECT_ORIGINS, CARD_FRAME_ORIGINS } from '../../shared/cards';

export type CspDirectives = Record<string, string[]>;

export const BASE_CSP: CspDirectives = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'https:', 'data:'],
  'font-src': ["'self'", 'https:', 'data:'],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  // No upgrade-insecure-requests: plain-HTTP deployments (a laptop, a test host) must keep working;
  // HTTPS sites send HSTS.
};

/**
 * The reader's page and the iframe page: the frames of the social cards' embeds, loaded when the reader
 * asks (shared/cards.ts), from exactly those providers; 'self' for the Mastodon relay page; Bluesky's API
 * for the DID behind a handle. Every embed is an iframe, so script-src stays 'self'.
 */
export const CARD_CSP: CspDirectives = {
  'frame-src': ["'self'", ...CARD_FRAME_ORIGINS],
  'connect-src': [...BASE_CSP['connect-src'], ...CARD_CONNECT_ORIGINS],
};

/**
 * The editors' desk: nobody may frame it, and its upload dialog previews the chosen file from a `blob:`
 * URL before it is sent. Only the desk: readers' pages never show a `blob:` picture.
 */
export const DESK_CSP: CspDirectives = {
  'frame-ancestors': ["'none'"],
  'img-src': [...BASE_CSP['img-src'], 'blob:'],
};

/** The base policy with some directives replaced or added, as a header value. */
export function cspHeader(changes: CspDirectives = {}): string {
  return Object.entries({ ...BASE_CSP, ...changes })
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}
