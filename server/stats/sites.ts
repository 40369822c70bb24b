/**
 * Which site a reader reads on, from its connection's handshake alone: a well-formed origin
 * (scheme://host[:port]) or one of three labels, never a URL, a path or anything about the reader.
 *
 * - The widget connects from the host site's page, cross-origin: the browser's `Origin` header is the
 *   host site's origin.
 * - The service's own pages connect same-origin (`Origin` is the service's own host, or absent on a
 *   same-origin long-poll): `self`.
 * - The iframe page (/embed/…) is same-origin too (and a WebSocket handshake carries no `Referer`): it
 *   says it is framed, and by which site, in the handshake's `auth.site` (the host's origin, from
 *   `location.ancestorOrigins` or `document.referrer`; empty when the host hides it): `frame` then.
 *
 * Anyone may claim any Origin from a script: figures are indicative, not proof.
 */
import type { LiveSocket } from '../realtime/context';

/** The service's own pages. */
export const SELF = 'self';
/** An iframe whose host site is not known. */
export const FRAME = 'frame';
/** Every site beyond the first MAX_SITES of a blog. */
export const OTHER = 'other';
/** Distinct sites kept per blog (per process, and in the answer): the rest are `other`. */
export const MAX_SITES = 50;

/** Longer values are not origins anyone needs counted. */
const MAX_ORIGIN_LENGTH = 200;

/** `value`'s origin when it is an http(s) URL, else null. Paths, queries and credentials are dropped. */
export function originOf(value: unknown): string | null {
  if (typeof value !== 'string' || value.length > MAX_ORIGIN_LENGTH) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null; // `null` (sandboxed frames), garbage: not a site
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin : null;
}

function hostOf(value: string | undefined): string | null {
  if (!value) return null;
  try {
    return new URL(value).host;
  } catch {
    return null;
  }
}

/** The site label of a connection (see the top of this file). */
export function siteOf(handshake: LiveSocket['handshake']): string {
  const headers = handshake.headers;
  const host = headers.host;
  const origin = typeof headers.origin === 'string' ? headers.origin : undefined;
  if (origin !== undefined && hostOf(origin) !== host) return originOf(origin) ?? OTHER;
  // Same-origin: the service's own page, or its iframe page on some other site, which says so.
  const auth = handshake.auth as { site?: unknown } | undefined;
  if (typeof auth?.site !== 'string') return SELF;
  const told = originOf(auth.site);
  return told !== null && hostOf(told) !== host ? told : FRAME;
}

/** A connection's site, worked out once. */
const known = new WeakMap<object, string>();
export function cachedSiteOf(socket: LiveSocket): string {
  let site = known.get(socket);
  if (site === undefined) {
    site = siteOf(socket.handshake);
    known.set(socket, site);
  }
  return site;
}
