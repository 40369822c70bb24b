/**
 * Authentication on HTTP routes: the principal in `res.locals`, 401 (and 403 for a cross-site cookie
 * write) in the contract's shape; what a principal may do is http/roles.ts's. A bearer token is tried first (scripts), then the session cookie (people on the
 * desk). A write authenticated by the cookie must come from the service's own pages: browsers attach
 * cookies to other sites' requests too (cross-site request forgery), but they also say where a request
 * comes from (`Origin`, else `Sec-Fetch-Site`), which a page on another site cannot forge.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { ERROR_CODES } from '../../shared/codes';
import { HttpError } from '../http/errors';
import { bearerSecret, type Authenticator, type Principal } from './principal';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Throws 401 unless the request carries a known bearer token or a live session cookie (403 for a
 * cookie write from elsewhere); the principal goes to `res.locals.principal`.
 */
export async function authenticateRequest(authenticator: Authenticator, req: Request, res: Response): Promise<Principal> {
  const secret = bearerSecret(req.headers.authorization);
  if (secret) {
    const principal = await authenticator.authenticate(secret);
    if (!principal) throw new HttpError(401, ERROR_CODES.unauthorized, 'unknown or revoked token');
    res.locals.principal = principal;
    return principal;
  }
  const principal = await authenticator.sessions?.principal(req.headers);
  if (!principal) {
    throw new HttpError(
      401,
      ERROR_CODES.unauthorized,
      authenticator.sessions ? 'sign in, or send Authorization: Bearer <token>' : 'send Authorization: Bearer <token>',
    );
  }
  if (!SAFE_METHODS.has(req.method)) assertSameOrigin(req.headers, authenticator.sessions?.publicUrl);
  res.locals.principal = principal;
  return principal;
}

/**
 * Whether a request comes from the service's own pages: its `Origin` is the service's (LIVEBLOG_PUBLIC_URL,
 * or when that is unset the `Host` the request came to), or, with no `Origin`, `Sec-Fetch-Site` says
 * `same-origin`. A request with neither is refused too: every browser that sends cookies sends one of them.
 */
export function isSameOrigin(headers: IncomingHttpHeaders, publicUrl: string | undefined): boolean {
  const origin = headers.origin;
  if (origin !== undefined) {
    if (publicUrl) return origin === publicUrl;
    try {
      const url = new URL(origin);
      return /^https?:$/.test(url.protocol) && url.host === headers.host;
    } catch {
      return false;
    }
  }
  return headers['sec-fetch-site'] === 'same-origin';
}

export function assertSameOrigin(headers: IncomingHttpHeaders, publicUrl: string | undefined): void {
  if (!isSameOrigin(headers, publicUrl)) {
    throw new HttpError(
      403,
      ERROR_CODES.forbidden,
      'a signed-in write must come from this service’s own pages (Origin or Sec-Fetch-Site); scripts send a bearer token',
    );
  }
}

/** A known bearer token or a live session cookie, of any role: what it may do is each route's check (http/roles.ts). */
export function signedIn(authenticator: Authenticator): RequestHandler {
  return async (req, res, next) => {
    await authenticateRequest(authenticator, req, res);
    next();
  };
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}
