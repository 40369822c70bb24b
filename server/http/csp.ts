/**
 * The Content-Security-Policy, written once: every page gets the base policy (through helmet); the
 * iframe page changes who may frame it (the embed policy), the editors' desk forbids framing and posts
 * forms only to itself.
 */
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

/** The base policy with some directives replaced or added, as a header value. */
export function cspHeader(changes: CspDirectives = {}): string {
  return Object.entries({ ...BASE_CSP, ...changes })
    .map(([name, values]) => `${name} ${values.join(' ')}`)
    .join('; ');
}
